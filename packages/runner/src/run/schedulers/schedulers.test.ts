import { describe, expect, it } from 'vitest';
import { AshaScheduler, ashaRungs } from './asha.ts';
import { MedianStoppingScheduler } from './median.ts';

describe('ASHA', () => {
  it('puts rungs at grace · reduction^k below max', () => {
    expect(ashaRungs({ grace: 1, reduction: 3, max: 19 })).toEqual([1, 3, 9]);
    expect(ashaRungs({ grace: 1, reduction: 3, max: 9 })).toEqual([1, 3]);
    expect(ashaRungs({ grace: 2, reduction: 2, max: 20 })).toEqual([2, 4, 8, 16]);
  });

  it('promotes a job arriving at a rung only when it is in the top ⌊n/η⌋ of the values recorded there', () => {
    const asha = new AshaScheduler({ metric: 'acc', mode: 'max', grace: 1, reduction: 3, max: 9 });
    const at = (job: string, step: number, acc: number) => asha.onReport(job, step, { acc });
    // Rung 1: n = 1, 2 → ⌊n/3⌋ = 0, nobody to compare with yet: both go on.
    expect(at('a', 1, 0.5)).toBe('continue');
    expect(at('b', 1, 0.4)).toBe('continue');
    // n = 3: top 1; c is the best so far.
    expect(at('c', 1, 0.6)).toBe('continue');
    // n = 4: top 1; three are better than d.
    expect(at('d', 1, 0.3)).toBe('stop');
    expect(at('e', 1, 0.7)).toBe('continue');
    // n = 6: top 2; only e is better than f.
    expect(at('f', 1, 0.65)).toBe('continue');
    // n = 6 → 7: top 2; g is last.
    expect(at('g', 1, 0.1)).toBe('stop');
    // Between rungs nothing is judged, whatever the value.
    expect(at('a', 2, 0.0)).toBe('continue');
    // Rung 3 keeps its own record: a arrives first, then b worse (n = 2, top 0), then c worse (n = 3, top 1).
    expect(at('a', 3, 0.8)).toBe('continue');
    expect(at('b', 3, 0.7)).toBe('continue');
    expect(at('c', 3, 0.75)).toBe('stop');
    // Past the last rung (and at max) a job is never stopped.
    expect(at('a', 9, 0.0)).toBe('continue');
    expect([...asha.rungs[0].recorded.keys()]).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect([...asha.rungs[1].recorded.entries()]).toEqual([['a', 0.8], ['b', 0.7], ['c', 0.75]]);
  });

  it('judges a job once per rung, and at the highest rung it reached when it reports sparsely', () => {
    const asha = new AshaScheduler({ metric: 'loss', mode: 'min', grace: 1, reduction: 2, max: 16 });
    for (const [job, loss] of [['a', 0.2], ['b', 0.3]] as const) asha.onReport(job, 1, { loss });
    // c first reports at step 5: judged at rung 4 (the highest reached), not at 1 or 2.
    expect(asha.onReport('c', 5, { loss: 0.9 })).toBe('continue'); // n = 1 at rung 4
    expect(asha.rungs.map((r) => r.recorded.has('c'))).toEqual([false, false, true, false]);
    // Reporting again past rung 4 but before 8 changes nothing.
    expect(asha.onReport('c', 6, { loss: 5 })).toBe('continue');
    expect(asha.rungs[2].recorded.get('c')).toBe(0.9);
    // In min mode the lower value wins: n = 2 at rung 1 after a, b; d = 0.25 with one better (a) and top ⌊3/2⌋ = 1 → stop.
    expect(asha.onReport('d', 1, { loss: 0.25 })).toBe('stop');
    expect(asha.onReport('e', 1, { loss: 0.1 })).toBe('continue');
  });

  it('ignores reports without the watched metric, and refuses nonsense settings', () => {
    const asha = new AshaScheduler({ metric: 'acc', mode: 'max', grace: 1, reduction: 3, max: 9 });
    expect(asha.onReport('a', 1, { loss: 1 })).toBe('continue');
    expect(asha.rungs[0].recorded.size).toBe(0);
    expect(() => new AshaScheduler({ metric: 'acc', mode: 'max', grace: 0, reduction: 3, max: 9 })).toThrow(/grace/);
    expect(() => new AshaScheduler({ metric: 'acc', mode: 'max', grace: 1, reduction: 1, max: 9 })).toThrow(/reduction/);
  });
});

describe('median stopping', () => {
  it("stops a job whose best is worse than the median of the others' running averages at that step", () => {
    const median = new MedianStoppingScheduler({ metric: 'acc', mode: 'max', grace: 2, minJobs: 2 });
    for (const [job, values] of [['a', [0.5, 0.6]], ['b', [0.7, 0.8]]] as const) {
      values.forEach((acc, k) => median.onReport(job, k + 1, { acc }));
    }
    // Running averages at step 2: a 0.55, b 0.75 → median 0.65.
    expect(median.onReport('c', 1, { acc: 0.1 })).toBe('continue'); // inside grace
    expect(median.onReport('c', 2, { acc: 0.6 })).toBe('stop'); // best 0.6 < 0.65
    expect(median.onReport('d', 2, { acc: 0.66 })).toBe('continue');
    // Too few others at a step: no judgement.
    expect(median.onReport('e', 3, { acc: 0 })).toBe('continue');
  });
});
