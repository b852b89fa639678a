import { describe, expect, it } from 'vitest';
import { judgeOverSeeds, type SeedRunOutcome } from './seed-verdict.ts';
import { sweepStatus } from './run-sweep.ts';

const runs = (variant: string, statuses: SeedRunOutcome['status'][]): SeedRunOutcome[] =>
  statuses.map((status, i) => ({ variant, seed: i + 1, status }));

describe('the verdict over seeds', () => {
  it('passes a variant when at least the required number of its seeds pass', () => {
    const outcomes = [...runs('a', ['passed', 'passed', 'failed', 'passed', 'passed']), ...runs('b', ['passed', 'failed', 'failed', 'passed', 'passed'])];
    const verdicts = judgeOverSeeds(outcomes, () => 4, 5);
    expect(verdicts.map((v) => [v.variant, v.passing, v.verdict])).toEqual([
      ['a', 4, 'passed'],
      ['b', 3, 'failed'],
    ]);
    expect(verdicts[0].seeds).toEqual([1, 2, 3, 4, 5]);
    expect(sweepStatus(outcomes, verdicts)).toBe('failed');
    expect(sweepStatus(outcomes, verdicts.slice(0, 1))).toBe('passed');
  });

  it('requires all seeds by default, so one failing seed fails the variant', () => {
    const outcomes = runs('a', ['passed', 'passed', 'failed']);
    const verdicts = judgeOverSeeds(outcomes, (_, count) => count, 3);
    expect(verdicts[0]).toMatchObject({ passing: 2, required: 3, verdict: 'failed' });
  });

  it('counts a crashed seed as not passing, and a crash fails the sweep even when the variant passes', () => {
    const outcomes = runs('a', ['passed', 'error', 'passed']);
    const verdicts = judgeOverSeeds(outcomes, () => 2, 3);
    expect(verdicts[0].verdict).toBe('passed');
    expect(sweepStatus(outcomes, verdicts)).toBe('failed');
  });

  it('leaves a variant open (killed) while interrupted seeds could still decide it', () => {
    // Two of four seeds ran, one passed; three are required: the two missing seeds could still make it.
    const outcomes = runs('a', ['passed', 'failed']);
    const open = judgeOverSeeds(outcomes, () => 3, 4);
    expect(open[0].verdict).toBe('killed');
    // But if too few seeds are left to reach the requirement, it has failed already.
    const lost = judgeOverSeeds(runs('a', ['failed', 'failed']), () => 3, 4);
    expect(lost[0].verdict).toBe('failed');
  });

  it('with one seed is the run\'s own verdict', () => {
    expect(judgeOverSeeds(runs('a', ['passed']), (_, n) => n, 1)[0].verdict).toBe('passed');
    expect(judgeOverSeeds(runs('a', ['failed']), (_, n) => n, 1)[0].verdict).toBe('failed');
    expect(sweepStatus(runs('a', ['killed']), judgeOverSeeds(runs('a', ['killed']), (_, n) => n, 1))).toBe('killed');
  });

  it('a pruned trial is neither passed nor failed, and does not fail the sweep', () => {
    const outcomes = [...runs('a', ['passed']), ...runs('b', ['pruned'])];
    const verdicts = judgeOverSeeds(outcomes, (_, n) => n, 1);
    expect(verdicts.map((v) => v.verdict)).toEqual(['passed', 'pruned']);
    expect(sweepStatus(outcomes, verdicts)).toBe('passed');
    // A failed seed beside a pruned one is a failure.
    expect(judgeOverSeeds(runs('c', ['pruned', 'failed']), (_, n) => n, 2)[0].verdict).toBe('failed');
  });
});
