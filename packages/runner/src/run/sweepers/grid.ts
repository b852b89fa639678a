/**
 * The grid sweeper: every variant the spec's sweep expands to (grid, named variants, or both), once
 * per seed, all proposed at once; results change nothing.
 */
import type { CheckedExperiment } from '../static-checks.ts';
import { TAG_SEARCH, TAG_TRIAL, type ProposedJob, type Sweeper, type SweeperOptions } from '../sweeper.ts';

/** Every variant once per seed, variant by variant; names gain `_seed=N` where there are several seeds. */
export function gridJobs(checked: Pick<CheckedExperiment, 'experiment' | 'variants'>, onlySeed?: number): ProposedJob[] {
  const seeds = onlySeed === undefined ? checked.experiment.seeds : [onlySeed];
  const named = checked.experiment.seeds.length > 1;
  return checked.variants.flatMap(({ variant }) =>
    seeds.map((seed) => ({
      name: named ? `${variant.name}_seed=${seed}` : variant.name,
      variant: variant.name,
      seed,
      // A random search's trial says so, as an Optuna trial does: compare finds the search by it.
      ...(variant.trial === undefined ? {} : { tags: { [TAG_SEARCH]: 'random', [TAG_TRIAL]: String(variant.trial) } }),
    })),
  );
}

export function gridSweeper(checked: CheckedExperiment, options: SweeperOptions): Sweeper {
  let proposed = false;
  return {
    propose() {
      if (proposed) return null;
      proposed = true;
      return gridJobs(checked, options.onlySeed);
    },
    onReport: () => 'continue',
    onResult: () => {},
  };
}
