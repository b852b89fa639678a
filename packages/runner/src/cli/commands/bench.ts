import { InvalidArgumentError, type Command } from 'commander';
import { BACKEND_NAMES, checkBackendName, startBackend, type BackendName } from '../../run/backend-choice.ts';
import { UsageError, type CliContext } from '../context.ts';
import { loadAndCheck } from '../../run/static-checks.ts';
import { positiveInt, resolveFromCwd, setOption } from '../options.ts';


interface BenchCliOptions {
  backend?: string;
  batches: number;
  warmup: number;
  variant?: string;
  set: string[];
  json?: boolean;
  workers?: 'auto' | number;
}

/** `--workers auto` or a count 1..64, as train.workers. */
function workersOption(value: string): 'auto' | number {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError("expected 'auto' or an integer from 1 to 64");
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description("Time training steps of a spec's model (its batch size, loss and optimizer) on random images after a warm-up. Trains nothing for real, tracks nothing.")
    .argument('<spec>', 'experiment spec (YAML), kind cnn-classifier')
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_NAMES.join(', ')} (default: the spec's, else auto)`)
    .option('--batches <n>', 'timed steps; the median is reported', positiveInt, 10)
    .option('--warmup <n>', 'untimed steps first', positiveInt, 2)
    .option('--variant <name>', 'which variant of a sweep (default: the first)')
    .option('--set <path=value>', 'override a field (repeatable), e.g. train.batchSize=64', setOption, [])
    .option('--workers <n>', "worker threads training data-parallel, 'auto' (every core) or 1..64 (default: the spec's train.workers, else auto)", workersOption)
    .option('--json', 'print {"backend", "batchSize", "threads", "workers", "msPerBatch", "imagesPerSec"}; threads: the cores the steps kept busy')
    .action(async (spec: string, options: BenchCliOptions) => {
      checkBackendName(options.backend);
      const { variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { sets: options.set });
      const chosen = options.variant === undefined ? variants[0] : variants.find(({ variant }) => variant.name === options.variant);
      if (!chosen) {
        throw new UsageError(`no variant named '${options.variant}'; the variants are: ${variants.map(({ variant }) => variant.name).join(', ')}`);
      }
      const variantSpec = chosen.variant.spec;
      if (variantSpec.kind !== 'cnn-classifier') throw new UsageError(`xp bench times cnn-classifier training; this spec is ${variantSpec.kind}`);
      await startBackend((options.backend ?? variantSpec.backend ?? 'auto') as BackendName);
      const { benchSpecTraining } = await import('../../kinds/cnn-classifier/train/bench-spec.ts');
      const result = await benchSpecTraining(variantSpec, { batches: options.batches, warmup: options.warmup, workers: options.workers });
      const { samplesMs, note, ...summary } = result;
      if (note) ctx.stderr(`note: ${note}\n`);
      if (options.json) {
        ctx.stdout(`${JSON.stringify(summary)}\n`);
        return;
      }
      const spread = `${Math.min(...samplesMs).toFixed(0)}–${Math.max(...samplesMs).toFixed(0)} ms`;
      ctx.stdout(
        `${chosen.variant.name} on ${result.backend} (${result.threads} thread${result.threads === 1 ? '' : 's'}` +
          `${result.workers > 1 ? `: data-parallel on ${result.workers} workers` : ''}), batch ${result.batchSize}: ` +
          `${result.msPerBatch.toFixed(1)} ms per batch (median of ${samplesMs.length}, range ${spread}), ${result.imagesPerSec.toFixed(0)} images/s\n`,
      );
    });
}
