/**
 * What `xp compare` shows of a search (sweep.random, sweep.optuna, either stopped early by ASHA or
 * median stopping): which search chose the runs (their xp.search tag), the paths it drew with the
 * distribution of each (from the recorded spec: a log axis for a log-uniform one), how many trials
 * were pruned, and the best trial. A pruned run's metric was measured after a shorter training, so it
 * never ranks above a run that completed: the best trial is the best complete one, as Optuna's is.
 */
import { TAG_SEARCH } from '../run/sweeper.ts';
import type { RunRecord } from '@xp/tracking';
import type { SweepShape } from './axes.ts';
import type { ComparedRun } from './compared-run.ts';

export const PRUNED = 'pruned';

export interface SearchedParam {
  /** The dotted path drawn, as a run's param (vars.c1, train.lr). */
  param: string;
  /** uniform, loguniform, intUniform, quniform or choice. */
  distribution: string;
}

export interface SearchSummary {
  /** The search that chose the runs: random or optuna (several when the compared runs mix them). */
  search: string;
  /** The drawn paths that the runs recorded as params, in the spec's order. */
  params: SearchedParam[];
  trials: number;
  pruned: number;
  /** The best run among those that completed (not pruned) with the metric; null when none did. */
  bestRunId: string | null;
}

/**
 * Where a run stands in the ranking before its metric is compared: a run that measured the metric at
 * the end of its training (0), one stopped early that measured it on the way (1), one without it (2).
 */
export function standing(run: Pick<ComparedRun, 'status' | 'metrics'>, metric: string): 0 | 1 | 2 {
  const value = run.metrics[metric];
  if (value === undefined || Number.isNaN(value)) return 2;
  return run.status === PRUNED ? 1 : 0;
}

/** The search the runs came from, or null when they are not a search's trials. */
export function summarizeSearch(records: readonly RunRecord[], rows: readonly ComparedRun[], shape: SweepShape | null, metric: string): SearchSummary | null {
  const searches = [...new Set([...records.map((run) => run.tags[TAG_SEARCH]).filter(Boolean), ...(shape?.searched ?? []).map((path) => path.search)])].sort();
  if (searches.length === 0) return null;
  const params = (shape?.searched ?? [])
    .filter((path) => rows.some((run) => run.params[path.key] !== undefined))
    .map((path) => ({ param: path.key, distribution: path.distribution }));
  // Rows come ranked: the first that completed with the metric is the best.
  const best = rows.find((run) => standing(run, metric) === 0);
  return {
    search: searches.join('+'),
    params,
    trials: rows.length,
    pruned: rows.filter((run) => run.status === PRUNED).length,
    bestRunId: best?.runId ?? null,
  };
}
