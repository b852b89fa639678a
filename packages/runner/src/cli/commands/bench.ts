import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { ResolvedCnnSpec } from '@xp/core';
import type { SpecBenchResult } from '../../kinds/cnn-classifier/train/bench-spec.ts';
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
  profile?: boolean;
  kernelThreads?: number[];
}

/** `--kernel-threads 1,2`: counts from 1 to 64. */
function countsOption(value: string): number[] {
  const counts = value.split(',').map((v) => Number(v.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) {
    throw new InvalidArgumentError('expected thread counts from 1 to 64, separated by commas, e.g. 1,2');
  }
  return counts;
}

/** `--workers auto` or a count 1..64, as train.workers. */
function workersOption(value: string): 'auto' | number {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError("expected 'auto' or an integer from 1 to 64");
  return n;
}

/** Untimed steps before timing: enough for the step's time to settle. */
const STEP_WARMUP = 2;
/**
 * Before a profile, more: a profile times each kernel on its own, and a kernel's first calls run
 * before V8 has optimized its JavaScript (after 2 steps the seed network's bias sums showed 176 ms
 * a step, after 8 steps 7 ms).
 */
const PROFILE_WARMUP = 8;

export function register(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description("Time training steps of a spec's model (its batch size, loss and optimizer) on random images after a warm-up. Trains nothing for real, tracks nothing.")
    .argument('<spec>', 'experiment spec (YAML), kind cnn-classifier')
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_NAMES.join(', ')}, or 'all' to time every one set up here and say which auto takes (default: the spec's, else auto)`)
    .option('--batches <n>', 'timed steps; the median is reported', positiveInt, 10)
    .option('--warmup <n>', `untimed steps first (default ${STEP_WARMUP}; ${PROFILE_WARMUP} with --profile)`, positiveInt)
    .option('--variant <name>', 'which variant of a sweep (default: the first)')
    .option('--set <path=value>', 'override a field (repeatable), e.g. train.batchSize=64', setOption, [])
    .option('--workers <n>', "threads that train, 'auto' (every core) or 1..64, shared out as the spec's train.parallelism says (default: the spec's train.workers, else auto)", workersOption)
    .option('--json', 'print {"backend", "batchSize", "threads", "workers", "msPerBatch", "imagesPerSec"}; threads: the cores the steps kept busy, workers: the data-parallel workers among them')
    .option('--kernel-threads <counts>', "instead, on wasm: time the step on this thread with its kernels split over each count of threads (e.g. 1,2), the counts alternating step by step in one process (the spec's arithmetic applies)", countsOption)
    .option('--profile', 'instead of timing steps, profile one single-thread step after the warm-up: time per kernel and per kernel and input shapes, largest first')
    .action(async (spec: string, given: Omit<BenchCliOptions, 'warmup'> & { warmup?: number }) => {
      const options: BenchCliOptions = { ...given, warmup: given.warmup ?? (given.profile ? PROFILE_WARMUP : STEP_WARMUP) };
      if (options.backend !== 'all') checkBackendName(options.backend);
      const { variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { sets: options.set });
      const chosen = options.variant === undefined ? variants[0] : variants.find(({ variant }) => variant.name === options.variant);
      if (!chosen) {
        throw new UsageError(`no variant named '${options.variant}'; the variants are: ${variants.map(({ variant }) => variant.name).join(', ')}`);
      }
      const variantSpec = chosen.variant.spec;
      if (variantSpec.kind !== 'cnn-classifier') throw new UsageError(`xp bench times cnn-classifier training; this spec is ${variantSpec.kind}`);
      const requested = (options.backend ?? variantSpec.backend ?? 'auto') as BackendName | 'all';
      if (requested === 'all') {
        await benchAll(ctx, variantSpec, chosen.variant.name, options);
        return;
      }
      let backend: BackendName = requested;
      if (requested === 'auto') {
        await startBackend('auto');
        const { autoBackendFor } = await import('../../kinds/cnn-classifier/train/auto-backend.ts');
        const decision = await autoBackendFor(variantSpec, { env: ctx.env });
        ctx.stderr(`auto: ${decision.backend}, ${decision.reason}\n`);
        backend = decision.backend;
      }
      if (options.kernelThreads && backend !== 'wasm') {
        throw new UsageError(`--kernel-threads splits the wasm kernels; this bench runs on ${backend} (add --backend wasm)`);
      }
      await startBackend(backend);
      if (options.kernelThreads) {
        const { compareKernelThreads } = await import('../../kinds/cnn-classifier/train/bench-spec.ts');
        const timings = await compareKernelThreads(variantSpec, { counts: options.kernelThreads, batches: options.batches, warmup: options.warmup });
        if (options.json) {
          ctx.stdout(`${JSON.stringify({ variant: chosen.variant.name, batchSize: variantSpec.train.batchSize, timings: timings.map(({ samplesMs: _s, ...t }) => t) })}\n`);
          return;
        }
        ctx.stdout(`${chosen.variant.name} on wasm, batch ${variantSpec.train.batchSize}, median of ${options.batches} steps per count, counts alternating:\n`);
        for (const t of timings) {
          ctx.stdout(`  ${String(t.threads).padStart(2)} kernel thread${t.threads === 1 ? ' ' : 's'} ${t.msPerBatch.toFixed(1).padStart(8)} ms/batch  ${(timings[0].msPerBatch / t.msPerBatch).toFixed(2)}× the first count's speed\n`);
        }
        return;
      }
      if (options.profile) {
        const { profileSpecStep } = await import('../../kinds/cnn-classifier/train/bench-spec.ts');
        const profile = await profileSpecStep(variantSpec, { warmup: options.warmup });
        if (options.json) {
          ctx.stdout(`${JSON.stringify(profile)}\n`);
          return;
        }
        ctx.stdout(`${chosen.variant.name} on ${profile.backend}, batch ${profile.batchSize}, one step on this thread: ${profile.totalMs.toFixed(1)} ms in kernels\n`);
        const row = (k: { kernel: string; shapes?: string; ms: number; calls: number }) =>
          `  ${k.ms.toFixed(1).padStart(8)} ms ${((100 * k.ms) / Math.max(profile.totalMs, 1e-9)).toFixed(1).padStart(5)} % ${String(k.calls).padStart(4)}× ${k.kernel}${k.shapes ? ` ${k.shapes}` : ''}\n`;
        ctx.stdout('by kernel:\n');
        for (const k of profile.byKernel.slice(0, 15)) ctx.stdout(row(k));
        ctx.stdout('by kernel and input shapes:\n');
        for (const k of profile.byShape.slice(0, 20)) ctx.stdout(row(k));
        return;
      }
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

/** Why `--backend all` timed no WebGPU: not installed, no adapter, or one that only emulates a GPU. */
async function webgpuAbsence(): Promise<string> {
  const { missingWebgpuPackages, probeAdapter, describeAdapter } = await import('@xp/engine');
  if (missingWebgpuPackages().length > 0) return 'not set up (npx xp setup webgpu)';
  const adapter = await probeAdapter().catch(() => undefined);
  if (!adapter) return 'no WebGPU adapter (npx xp setup webgpu says what is missing)';
  return `its adapter is ${describeAdapter(adapter)}: auto never takes it; time it with --backend webgpu`;
}

/**
 * `--backend all`: every backend `auto` can choose that is set up here, timed on the spec's model
 * (the pure-JavaScript cpu backend is left out: auto never prefers it over wasm), fastest first, then
 * what auto takes for this model and why; the measurement is recorded for auto to use.
 */
async function benchAll(ctx: CliContext, spec: ResolvedCnnSpec, variantName: string, options: BenchCliOptions): Promise<void> {
  const { gpuCandidate, nativeInstalled, selectBackend, BackendUnavailableError } = await import('@xp/engine/backend');
  const { benchSpecTraining } = await import('../../kinds/cnn-classifier/train/bench-spec.ts');
  const { autoBackendFor } = await import('../../kinds/cnn-classifier/train/auto-backend.ts');
  await startBackend('wasm');
  const rows: { backend: string; result?: SpecBenchResult; unavailable?: string }[] = [];
  if (gpuCandidate()) {
    try {
      await selectBackend('tensorflow-gpu');
      rows.push({ backend: 'tensorflow-gpu', result: await benchSpecTraining(spec, { batches: options.batches, warmup: options.warmup, workers: options.workers }) });
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      rows.push({ backend: 'tensorflow-gpu', unavailable: error.message });
    }
  }
  // wasm and native CPU are timed by the auto rule's own measurement, with this command's step count.
  const decision = await autoBackendFor(spec, {
    env: ctx.env,
    remeasure: true,
    batches: options.batches,
    warmup: options.warmup,
    workers: options.workers,
    onMeasured: (backend, result) => rows.push({ backend, result }),
  });
  if (!rows.some((r) => r.backend === 'wasm')) {
    await selectBackend('wasm');
    rows.push({ backend: 'wasm', result: await benchSpecTraining(spec, { batches: options.batches, warmup: options.warmup, workers: options.workers }) });
  }
  if (!nativeInstalled('tensorflow')) rows.push({ backend: 'tensorflow', unavailable: 'not set up (npx xp setup native)' });
  if (!rows.some((r) => r.backend === 'webgpu')) rows.push({ backend: 'webgpu', unavailable: await webgpuAbsence() });
  if (nativeInstalled('tensorflow-gpu') && !gpuCandidate()) rows.push({ backend: 'tensorflow-gpu', unavailable: 'set up, but no NVIDIA driver is loaded' });
  const timed = rows.filter((r): r is { backend: string; result: SpecBenchResult } => r.result !== undefined).sort((a, b) => a.result.msPerBatch - b.result.msPerBatch);
  const fastest = timed[0];
  if (options.json) {
    ctx.stdout(`${JSON.stringify({
      variant: variantName,
      results: timed.map(({ result: { samplesMs: _samples, note: _note, ...summary } }) => summary),
      unavailable: rows.filter((r) => r.unavailable).map((r) => ({ backend: r.backend, reason: r.unavailable })),
      fastest: fastest?.backend,
      auto: { backend: decision.backend, reason: decision.reason },
    })}\n`);
    return;
  }
  ctx.stdout(`${variantName}, batch ${spec.train.batchSize}, median of ${options.batches} steps (load average ${os.loadavg()[0].toFixed(1)}):\n`);
  for (const { backend, result } of timed) {
    const ratio = result.msPerBatch / fastest.result.msPerBatch;
    ctx.stdout(`  ${backend.padEnd(15)} ${result.msPerBatch.toFixed(1).padStart(8)} ms/batch ${result.imagesPerSec.toFixed(0).padStart(6)} images/s  ${String(result.threads).padStart(2)} thread${result.threads === 1 ? ' ' : 's'}${result.workers > 1 ? ` (${result.workers} workers)` : ''}  ${ratio === 1 ? 'fastest' : `${ratio.toFixed(2)}×`}\n`);
  }
  for (const { backend, unavailable } of rows.filter((r) => r.unavailable)) ctx.stdout(`  ${backend.padEnd(15)} not timed: ${unavailable}\n`);
  ctx.stdout(`fastest: ${fastest.backend}. backend auto takes ${decision.backend}: ${decision.reason}\n`);
}
