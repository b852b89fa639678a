import { describeDistribution, type ExperimentSpec } from '@xp/core';
import type { Command } from 'commander';
import { experimentNameFrom, openTrackingStore } from '@xp/tracking';
import type { RunRecord } from '@xp/tracking';
import { cachedRunsOfPlan } from '../../run/run-cache.ts';
import type { CliContext } from '../context.ts';
import { budgetDetails, budgetText, loadAndCheck } from '../../run/static-checks.ts';
import { commandLineOverrides, MULTIRUN_HELP, OVERRIDES_ARGUMENT_HELP, resolveFromCwd, seedsOption, setOption, variantsOption } from '../options.ts';
import { planRuns } from '../../run/run-sweep.ts';
import type { CheckedExperiment } from '../../run/static-checks.ts';
import { optunaSearchOf, optunaSettings } from '../../run/sweepers/optuna-search.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('List the variants a spec expands to, with their overrides, trainable parameter count and budget verdict. Runs nothing.')
    .argument('<spec>', 'experiment spec (YAML)')
    .argument('[overrides...]', OVERRIDES_ARGUMENT_HELP)
    .option('--set <path=value>', 'override a field (repeatable)', setOption, [])
    .option('-m, --multirun', MULTIRUN_HELP)
    .option('--max-variants <n>', 'refuse sweeps larger than this', variantsOption)
    .option('--seeds <n|a..b|list>', "each variant once per seed: '5' is seeds 1..5, '3..5' seeds 3 to 5 ('7..7' seed 7 alone), '3,7,11' those seeds", seedsOption)
    .option('--tracking-uri <uri>', 'where to look for finished runs that the run cache would reuse (default: as xp run: spec tracking.uri, $MLFLOW_TRACKING_URI, ./mlruns)')
    .option('--json', 'print {"experiment", "variants": [{"name", "overrides", "trial"?, "params", "withinBudget", "spec"}], "seeds": [..], "runs": [{"name", "variant", "seed"}]}; a random search\'s variants carry their trial number and, in overrides, their sampled values in full')
    .addHelpText('after', '\nExit codes: 0 every variant is within its parameter budget; 1 a variant is over it (constraints.maxParams), as with xp validate (the plan is printed all the same); 2 invalid spec or usage.')
    .action(async (spec: string, args: string[], options: { set: string[]; multirun?: boolean; maxVariants?: number; json?: boolean; seeds?: number[]; trackingUri?: string }) => {
      const { experiment, variants } = await loadAndCheck(resolveFromCwd(ctx, spec), { ...commandLineOverrides(ctx, args, options), maxVariants: options.maxVariants, seeds: options.seeds });
      // Optuna chooses its trials from the results: there is no list to show before they come in.
      if (optunaSearchOf(experiment.spec)) {
        printOptunaPlan(ctx, { experiment, variants }, options.json === true);
        if (variants.some(({ check }) => !check.withinBudget)) ctx.exit(1);
        return;
      }
      const cached = await cachedRuns(ctx, { experiment, variants }, options.trackingUri);
      // Over budget is a failed check, as in `xp validate`: both exit 1.
      if (variants.some(({ check }) => !check.withinBudget)) ctx.exit(1);
      if (options.json) {
        const plan = {
          experiment: experimentNameFrom(experiment.spec, ctx.env),
          variants: variants.map(({ variant, check }) => ({
            name: variant.name,
            overrides: variant.overrides,
            trial: variant.trial,
            params: check.params,
            withinBudget: check.withinBudget,
            // The resolved form: what the run trains, every schema default filled in.
            spec: variant.spec,
          })),
          seeds: experiment.seeds,
          // One run per variant and seed, named as xp run names them.
          runs: planRuns({ experiment, variants }).map((run) => ({ name: run.name, variant: run.variantName, seed: run.seed, cached: cached.get(run.name)?.runId ?? null })),
        };
        ctx.stdout(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const width = Math.max(...variants.map(({ variant }) => variant.name.length), 7);
      const seeds = experiment.seeds.length > 1 ? ` × ${experiment.seeds.length} seeds (${experiment.seeds.join(', ')}) = ${variants.length * experiment.seeds.length} runs` : '';
      ctx.stdout(`${experiment.spec.name} (${experiment.spec.kind}): ${variants.length} variant${variants.length === 1 ? '' : 's'}${seeds}\n`);
      const random = experiment.spec.sweep?.random;
      if (random) for (const line of randomSearchLines(random)) ctx.stdout(`  ${line}\n`);
      const sampled = new Set(Object.keys(random?.space ?? {}));
      for (const { variant, check } of variants) {
        const overrides = Object.entries(variant.overrides)
          .map(([key, value]) => `${key}=${overrideText(value, sampled.has(key))}`)
          .join(' ');
        ctx.stdout(`  ${variant.name.padEnd(width)}  ${budgetText(check, variant.spec.constraints?.maxParams).padEnd(34)}  ${overrides}\n`);
        for (const line of budgetDetails(variant, check)) ctx.stdout(`  ${' '.repeat(width)}    ${line}\n`);
      }
      if (cached.size > 0) {
        const runs = planRuns({ experiment, variants });
        const nameWidth = Math.max(...runs.map((run) => run.name.length));
        ctx.stdout(`cached: ${cached.size} of ${runs.length} run(s) finished already with this xp version and are not trained again (xp run --force trains them):\n`);
        for (const run of runs) {
          const record = cached.get(run.name);
          if (record) ctx.stdout(`  ${run.name.padEnd(nameWidth)}  run ${record.runId.slice(0, 8)}, finished ${new Date(record.endTime ?? record.startTime).toISOString()}\n`);
        }
      }
    });
}

/** The plan's runs that the run cache holds; none where the store cannot be read (a plan never waits on a server). */
async function cachedRuns(ctx: CliContext, checked: Parameters<typeof cachedRunsOfPlan>[0], trackingUri: string | undefined): Promise<Map<string, RunRecord>> {
  try {
    const store = openTrackingStore({ uri: trackingUri ?? checked.experiment.spec.tracking?.uri, cwd: ctx.cwd, env: ctx.env, retry: { retries: 0 }, log: () => undefined });
    return await cachedRunsOfPlan(checked, store, experimentNameFrom(checked.experiment.spec, ctx.env));
  } catch (error) {
    ctx.stderr(`note: the run cache was not searched (${(error as Error).message})\n`);
    return new Map();
  }
}

/** An Optuna search's plan: its study, what it optimises and draws from, and the base spec's budget; no trials. */
function printOptunaPlan(ctx: CliContext, { experiment, variants }: CheckedExperiment, json: boolean): void {
  const search = optunaSearchOf(experiment.spec)!;
  const settings = optunaSettings(experiment);
  const [base] = variants;
  if (json) {
    const plan = {
      experiment: experimentNameFrom(experiment.spec, ctx.env),
      search: {
        kind: 'optuna',
        sampler: settings.sampler,
        trials: settings.trials,
        study: settings.study,
        storage: settings.storageShown,
        metric: settings.metric,
        direction: settings.direction,
        space: search.space,
      },
      // The spec every trial starts from, before its drawn values.
      base: { name: base.variant.name, params: base.check.params, withinBudget: base.check.withinBudget, spec: base.variant.spec },
      seeds: experiment.seeds,
      // Chosen as results come in: none is known before the search runs.
      runs: [],
    };
    ctx.stdout(`${JSON.stringify(plan, null, 2)}\n`);
    return;
  }
  const paths = Object.keys(search.space);
  const width = Math.max(...paths.map((path) => path.length));
  const seeds = experiment.seeds.length > 1 ? `, each on ${experiment.seeds.length} seeds (${experiment.seeds.join(', ')})` : '';
  ctx.stdout(`${experiment.spec.name} (${experiment.spec.kind}): an Optuna search of ${settings.trials} trial${settings.trials === 1 ? '' : 's'}${seeds}, chosen by ${settings.sampler === 'tpe' ? 'TPE' : 'random sampling'} as results come in (not listed before they do)\n`);
  ctx.stdout(`  study ${settings.study} in ${settings.storageShown}, ${settings.direction === 'maximize' ? 'maximising' : 'minimising'} ${settings.metric}; trials already finished there count towards ${settings.trials}\n`);
  ctx.stdout(`  drawn from\n`);
  for (const [path, distribution] of Object.entries(search.space)) ctx.stdout(`    ${path.padEnd(width)}  ${describeDistribution(distribution)}\n`);
  ctx.stdout(`  base spec: ${budgetText(base.check, base.variant.spec.constraints?.maxParams)}; a trial over the budget is recorded as a failed run, not trained, and told to Optuna as failed\n`);
}

/** What the trials are drawn from, one path a line, before the trials themselves. */
function randomSearchLines(random: NonNullable<NonNullable<ExperimentSpec['sweep']>['random']>): string[] {
  const paths = Object.keys(random.space);
  const width = Math.max(...paths.map((path) => path.length));
  return [
    `random search: ${random.trials} trial${random.trials === 1 ? '' : 's'} drawn with seed ${random.seed ?? 0} from`,
    ...Object.entries(random.space).map(([path, distribution]) => `  ${path.padEnd(width)}  ${describeDistribution(distribution)}`),
  ];
}

/** A sampled real number shows four significant digits (enough to tell trials apart; --json has it in full). */
function overrideText(value: unknown, sampled: boolean): string {
  if (typeof value === 'object' && value !== null) return '[…]';
  if (sampled && typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(4)));
  return String(value);
}
