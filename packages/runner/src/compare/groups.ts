/**
 * Reporting over seeds: the runs of one variant on its several seeds form a group, judged as a whole
 * (constraints.minPassingSeeds of them must pass, default all) and summarised by mean ± sample standard
 * deviation, min and max of the ranking metric, and by the epoch at which the accuracy threshold was first
 * reached. The variant is the run's xp.variant tag (its name without the seed); the seed is its xp.seed
 * tag, else its `seed` param (runs recorded before seeds were an axis), else unknown.
 *
 * A seed counts once. Where a variant ran on the same seed more than once (one `xp run --set seed=N` per
 * seed, a rerun, a run that crashed and was run again; seen with `xp compare --all`), the run that counts is
 * the latest that reached a verdict (passed, failed, pruned), else the latest; the others are listed as
 * not counted and enter neither the verdict nor the statistics.
 */
import type { MetricDirection } from '../kinds/types.ts';
import type { ComparedRun } from './compared-run.ts';

export const TAG_VARIANT = 'xp.variant';
export const TAG_SEED = 'xp.seed';
export const MIN_PASSING_SEEDS_PARAM = 'constraints.minPassingSeeds';

export interface Stats {
  /** Runs that have a finite value. */
  count: number;
  mean: number;
  /** Sample standard deviation (n − 1); null with fewer than two values. */
  std: number | null;
  min: number;
  max: number;
}

export type GroupVerdict = 'passed' | 'failed' | 'killed' | 'running' | 'pruned';

export interface VariantGroup {
  variant: string;
  /** The runs that count, one per seed (and every run of unknown seed); best first, as in the report. */
  runs: ComparedRun[];
  /** Runs of a seed that another run of the group answers for (see above); oldest last. */
  notCounted: ComparedRun[];
  /** The known seeds, ascending (runs of unknown seed are counted in runs, not listed here). */
  seeds: number[];
  passing: number;
  /** How many must pass: constraints.minPassingSeeds capped at the seeds, default all. */
  required: number;
  /**
   * passed: at least `required` passed. failed: too few passed and no seed is still open. killed/running:
   * too few passed so far, but seeds that were interrupted (or never started) or are still running could
   * still make it. pruned: the sweep's scheduler stopped it early and no seed ran to a verdict (a search's
   * weak trial, neither passed nor failed), as `xp run` judges it.
   */
  verdict: GroupVerdict;
  /** Of the ranking metric over the runs that count and have ended; null where none has it. */
  metric: Stats | null;
  /** Of the first epoch reaching constraints.minTestAccuracy, over the runs that reached it; null where the runs have no threshold. */
  thresholdEpoch: (Partial<Stats> & { threshold: number; reached: number }) | null;
}

export function variantOf(run: { name: string; tags: Record<string, string> }): string {
  return run.tags[TAG_VARIANT] || run.name;
}

export function seedOf(run: { params: Record<string, string>; tags: Record<string, string> }): number | null {
  for (const text of [run.tags[TAG_SEED], run.params.seed]) {
    if (text !== undefined && /^\s*-?\d+\s*$/.test(text)) return Number(text);
  }
  return null;
}

export function stats(values: readonly number[]): Stats | null {
  const finite = values.filter((value) => Number.isFinite(value));
  if (!finite.length) return null;
  const mean = finite.reduce((sum, value) => sum + value, 0) / finite.length;
  const std = finite.length > 1 ? Math.sqrt(finite.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (finite.length - 1)) : null;
  return { count: finite.length, mean, std, min: Math.min(...finite), max: Math.max(...finite) };
}

/** A run whose verdict is a pass: xp's `passed`, or MLflow's FINISHED for a run without xp's tag. */
export function isPassing(run: Pick<ComparedRun, 'status'>): boolean {
  return run.status === 'passed' || run.status === 'finished';
}

export interface GroupOptions {
  metric: string;
  direction: MetricDirection;
  /** Seeds each variant was meant to run (the sweep's `seeds` param), when known: seeds never started count as open. */
  expectedSeeds?: number;
}

/** Groups the runs (already ranked) by variant; groups are ranked by their mean, best first, ties by first appearance. */
export function groupByVariant(runs: readonly ComparedRun[], options: GroupOptions): VariantGroup[] {
  const byVariant = new Map<string, ComparedRun[]>();
  for (const run of runs) byVariant.set(run.variant, [...(byVariant.get(run.variant) ?? []), run]);
  const groups = [...byVariant].map(([variant, own]) => toGroup(variant, own, options));
  const order = new Map(groups.map((group, i) => [group, i]));
  // A variant stopped early ranks after those that completed, as its runs do.
  const early = (group: VariantGroup) => Number(group.verdict === 'pruned');
  return groups.sort((a, b) => early(a) - early(b) || compareMeans(a.metric?.mean, b.metric?.mean, options.direction) || order.get(a)! - order.get(b)!);
}

/** Statuses that are a verdict on the seed; a run with another (running, killed, error) yields to one of these. */
const DECIDED = new Set(['passed', 'failed', 'pruned', 'finished']);

/** Positive where `a` answers for its seed rather than `b`: a verdict first, then the later start. */
const outranks = (a: ComparedRun, b: ComparedRun): number => Number(DECIDED.has(a.status)) - Number(DECIDED.has(b.status)) || a.startTime - b.startTime;

/** Splits a variant's runs (ranked) into those that count, one per seed, and the rest. */
function countedRuns(runs: readonly ComparedRun[]): { counted: ComparedRun[]; notCounted: ComparedRun[] } {
  const answering = new Map<number, ComparedRun>();
  for (const run of runs) {
    if (run.seed === null) continue;
    const held = answering.get(run.seed);
    if (!held || outranks(run, held) > 0) answering.set(run.seed, run);
  }
  const counted = runs.filter((run) => run.seed === null || answering.get(run.seed) === run);
  const notCounted = runs.filter((run) => !counted.includes(run)).sort((a, b) => b.startTime - a.startTime);
  return { counted, notCounted };
}

function toGroup(variant: string, all: ComparedRun[], options: GroupOptions): VariantGroup {
  const { counted: runs, notCounted } = countedRuns(all);
  const seeds = [...new Set(runs.map((run) => run.seed).filter((seed): seed is number => seed !== null))].sort((a, b) => a - b);
  const passing = runs.filter(isPassing).length;
  const planned = Math.max(runs.length, options.expectedSeeds ?? 0);
  const asked = runs.map((run) => Number(run.params[MIN_PASSING_SEEDS_PARAM])).find((n) => Number.isInteger(n) && n > 0);
  const required = Math.min(asked ?? planned, planned);
  const running = runs.filter((run) => run.status === 'running').length;
  const open = planned - runs.length + running + runs.filter((run) => run.status === 'killed').length;
  const pruned = runs.some((run) => run.status === 'pruned') && runs.every((run) => run.status === 'pruned' || run.status === 'killed');
  const verdict: GroupVerdict = passing >= required ? 'passed' : pruned ? 'pruned' : passing + open >= required ? (running ? 'running' : 'killed') : 'failed';

  const thresholds = runs.map((run) => run.threshold).filter((t): t is number => t !== null);
  let thresholdEpoch: VariantGroup['thresholdEpoch'] = null;
  if (thresholds.length) {
    const epochs = runs.map((run) => run.thresholdEpoch).filter((e): e is number => e !== null);
    const summary = stats(epochs);
    thresholdEpoch = { threshold: thresholds[0], reached: epochs.length, ...(summary ?? {}) };
  }
  return {
    variant,
    runs,
    notCounted,
    seeds,
    passing,
    required,
    verdict,
    // A run still going has no final value yet: its latest would pull the mean down (or up) for nothing.
    metric: stats(runs.filter((run) => run.status !== 'running').map((run) => run.metrics[options.metric]).filter((v): v is number => v !== undefined)),
    thresholdEpoch,
  };
}

/** Missing means sort last whichever the direction. */
function compareMeans(a: number | undefined, b: number | undefined, direction: MetricDirection): number {
  const aOk = a !== undefined && Number.isFinite(a);
  const bOk = b !== undefined && Number.isFinite(b);
  if (!aOk || !bOk) return Number(!aOk) - Number(!bOk);
  return direction === 'min' ? a - b : b - a;
}
