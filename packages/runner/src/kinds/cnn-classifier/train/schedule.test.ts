import { describe, expect, it } from 'vitest';
import { cnnSpecOf, resolveSpecValue, type ExperimentSpec } from '@xp/core';
import { learningRateAt, oneCycleRate, type LrSchedule } from './schedule.ts';

/** A schedule as loading resolves it: the schema's defaults for its type filled in. */
function resolved<Type extends LrSchedule['type']>(schedule: Extract<Written, { type: Type }>): Extract<LrSchedule, { type: Type }> {
  const spec = resolveSpecValue({ name: 's', kind: 'cnn-classifier', model: { blocks: { a: ['flatten', { dense: { units: 10 } }, 'log-softmax'] } }, train: { epochs: 1, lr: 0.1, schedule } });
  return cnnSpecOf(spec).train.schedule as Extract<LrSchedule, { type: Type }>;
}
type Written = NonNullable<NonNullable<ExperimentSpec['train']>['schedule']>;

const at = (epoch: number, batch = 0) => ({ epoch, batch, batchesPerEpoch: 10, epochs: 20 });

describe('learningRateAt', () => {
  it('keeps the base rate without a schedule', () => {
    expect(learningRateAt(0.01, undefined, at(7, 3))).toBe(0.01);
  });

  it('step: multiplies by gamma every stepSize epochs', () => {
    const schedule = resolved({ type: 'step', stepSize: 5, gamma: 0.5 });
    expect(learningRateAt(0.1, schedule, at(0))).toBeCloseTo(0.1);
    expect(learningRateAt(0.1, schedule, at(4, 9))).toBeCloseTo(0.1);
    expect(learningRateAt(0.1, schedule, at(5))).toBeCloseTo(0.05);
    expect(learningRateAt(0.1, schedule, at(12))).toBeCloseTo(0.025);
  });

  it("step: gamma defaults to 0.1 (the schema's default)", () => {
    expect(learningRateAt(1, resolved({ type: 'step', stepSize: 2 }), at(4))).toBeCloseTo(0.01);
  });
});

describe('one-cycle (PyTorch OneCycleLR, cosine)', () => {
  // The schema's defaults are PyTorch's: pctStart 0.3, divFactor 25, finalDivFactor 1e4.
  const schedule = resolved({ type: 'one-cycle', maxLr: 0.1 });
  const total = 1000;

  it('starts at maxLr/divFactor, peaks at pctStart·total − 1 and ends at initial/finalDivFactor', () => {
    expect(oneCycleRate(schedule, 0, total)).toBeCloseTo(0.1 / 25, 12);
    expect(oneCycleRate(schedule, 299, total)).toBeCloseTo(0.1, 12);
    expect(oneCycleRate(schedule, 999, total)).toBeCloseTo(0.1 / 25 / 10_000, 12);
  });

  it('matches PyTorch at intermediate steps', () => {
    // torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=1000): step 100 and step 600.
    const rise = 0.004 + ((0.1 - 0.004) / 2) * (1 - Math.cos((Math.PI * 100) / 299));
    expect(oneCycleRate(schedule, 100, total)).toBeCloseTo(rise, 12);
    const final = 0.004 / 10_000;
    const fall = final + ((0.1 - final) / 2) * (1 + Math.cos((Math.PI * (600 - 299)) / (999 - 299)));
    expect(oneCycleRate(schedule, 600, total)).toBeCloseTo(fall, 12);
  });

  it('is computed per batch across epochs', () => {
    const rate = learningRateAt(0.01, schedule, { epoch: 2, batch: 5, batchesPerEpoch: 100, epochs: 10 });
    expect(rate).toBeCloseTo(oneCycleRate(schedule, 205, 1000), 12);
  });

  it('rises monotonically, then falls monotonically', () => {
    const rates = Array.from({ length: total }, (_, s) => oneCycleRate(schedule, s, total));
    for (let s = 1; s < 300; s++) expect(rates[s]).toBeGreaterThan(rates[s - 1]);
    for (let s = 300; s < total; s++) expect(rates[s]).toBeLessThan(rates[s - 1]);
  });
});
