/**
 * Learning-rate schedules as pure functions of the position in training, so a resumed run computes
 * the same rate as an uninterrupted one without replaying any scheduler state.
 */
import type { ResolvedSchedule } from '@xp/core';

/** A schedule as loading resolved it: its type's defaults (gamma, pctStart, ...) present. */
export type LrSchedule = ResolvedSchedule;

export interface TrainingPosition {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  batchesPerEpoch: number;
  epochs: number;
}

/**
 * The rate for the batch at `position`: the schedule's, or `baseLr` throughout when there is none.
 * `baseLr` is the spec's train.lr, which the schema requires unless a one-cycle schedule gives the rates.
 */
export function learningRateAt(baseLr: number | undefined, schedule: LrSchedule | undefined, position: TrainingPosition): number {
  if (schedule?.type === 'one-cycle') {
    return oneCycleRate(schedule, position.epoch * position.batchesPerEpoch + position.batch, position.epochs * position.batchesPerEpoch);
  }
  if (baseLr === undefined) throw new Error('train.lr is missing: the schema requires it without a one-cycle schedule');
  if (schedule === undefined) return baseLr;
  return baseLr * schedule.gamma ** Math.floor(position.epoch / schedule.stepSize);
}

const cosineBetween = (start: number, end: number, fraction: number): number => end + ((start - end) / 2) * (1 + Math.cos(Math.PI * fraction));

/**
 * PyTorch's OneCycleLR (two phases, cosine annealing): step 0 is maxLr/divFactor, the peak falls on
 * step pctStart·total − 1 and the last step reaches the initial rate / finalDivFactor. The base lr is
 * ignored, as PyTorch ignores the optimizer's.
 */
export function oneCycleRate(schedule: Extract<LrSchedule, { type: 'one-cycle' }>, step: number, totalSteps: number): number {
  const initial = schedule.maxLr / schedule.divFactor;
  const final = initial / schedule.finalDivFactor;
  const peakStep = schedule.pctStart * totalSteps - 1;
  const lastStep = totalSteps - 1;
  if (lastStep <= 0) return initial;
  if (step <= peakStep) return cosineBetween(initial, schedule.maxLr, peakStep <= 0 ? 1 : step / peakStep);
  return cosineBetween(schedule.maxLr, final, Math.min(1, (step - peakStep) / (lastStep - peakStep)));
}
