/**
 * The verdict over seeds: each run is judged on its own (passed, failed, error, killed, pruned); a variant
 * passes when at least `required` of its seeds' runs passed (constraints.minPassingSeeds, default all).
 * The sweep's parent run and the exit code follow these verdicts, not the single runs.
 */
import type { RunOutcome } from '../kinds/types.ts';

export interface SeedRunOutcome {
  variant: string;
  seed: number;
  status: RunOutcome['status'] | 'pruned';
}

export interface VariantVerdict {
  variant: string;
  seeds: number[];
  /** Seeds whose run passed. */
  passing: number;
  required: number;
  /**
   * 'killed' when an interrupt left seeds unjudged and the verdict could still go either way;
   * 'pruned' when the sweep's scheduler stopped it early and no seed of it ran to a verdict: a
   * search's weak trial, neither passed nor failed.
   */
  verdict: 'passed' | 'failed' | 'killed' | 'pruned';
}

/** One verdict per variant, in the order the variants first appear. */
export function judgeOverSeeds(runs: readonly SeedRunOutcome[], requiredFor: (variant: string, seedCount: number) => number, seedsPerVariant: number): VariantVerdict[] {
  const byVariant = new Map<string, SeedRunOutcome[]>();
  for (const run of runs) byVariant.set(run.variant, [...(byVariant.get(run.variant) ?? []), run]);
  return [...byVariant].map(([variant, own]) => {
    const seeds = own.map((run) => run.seed);
    const passing = own.filter((run) => run.status === 'passed').length;
    const required = requiredFor(variant, seedsPerVariant);
    // Seeds that never ran (interrupted before they started) or were killed could still have passed.
    const open = seedsPerVariant - own.length + own.filter((run) => run.status === 'killed').length;
    const pruned = own.every((run) => run.status === 'pruned' || run.status === 'killed') && own.some((run) => run.status === 'pruned');
    const verdict = passing >= required ? 'passed' : pruned ? 'pruned' : passing + open >= required ? 'killed' : 'failed';
    return { variant, seeds, passing, required, verdict };
  });
}

/** "3/5 seeds passed (4 required)". */
export function describeVerdict(v: VariantVerdict): string {
  return `${v.passing}/${v.seeds.length} seed${v.seeds.length === 1 ? '' : 's'} passed (${v.required} required)`;
}
