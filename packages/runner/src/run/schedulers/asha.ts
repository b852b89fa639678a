/**
 * ASHA, asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning", MLSys 2020; arXiv 1810.05934), in its stopping form (as Ray Tune runs it): every job starts
 * and is stopped at a rung unless it ranks high enough there.
 *
 * Rungs sit at r_k = grace · reduction^k steps, for k = 0, 1, … while r_k < max (a job that reaches
 * `max` is complete, not judged). When a job first reports at or past rung k, its value joins that
 * rung's record, and it is promoted (goes on) when it is among the top ⌊n / reduction⌋ of the n values
 * recorded there so far, itself included — the paper's promotion rule, applied at the moment a job
 * arrives, since nothing waits for a rung to fill: that is what makes it asynchronous. A job that
 * arrives at a rung before enough others have (⌊n / reduction⌋ = 0) goes on: ASHA may promote
 * early jobs that a synchronous halving would have stopped; the paper accepts this as the price of
 * never waiting. Ties count in the job's favour.
 */
import { better, type Decision, type Scheduler, type WatchedMetric } from '../scheduler.ts';

export interface AshaOptions extends WatchedMetric {
  /** Steps before the first judgement (r_0). */
  grace: number;
  /** η: one in this many goes on at each rung. */
  reduction: number;
  /** The steps a complete job runs; no rung at or past it. */
  max: number;
}

export interface AshaRung {
  /** Steps at which the rung judges. */
  at: number;
  /** Job → the value it arrived with. */
  recorded: Map<string, number>;
}

export function ashaRungs(options: Pick<AshaOptions, 'grace' | 'reduction' | 'max'>): number[] {
  const rungs: number[] = [];
  for (let at = options.grace; at < options.max; at *= options.reduction) rungs.push(at);
  return rungs;
}

export class AshaScheduler implements Scheduler {
  readonly rungs: AshaRung[];

  constructor(private readonly options: AshaOptions) {
    if (!(options.grace >= 1)) throw new RangeError(`asha: grace must be at least 1, got ${options.grace}`);
    if (!(options.reduction >= 2)) throw new RangeError(`asha: reduction must be at least 2, got ${options.reduction}`);
    this.rungs = ashaRungs(options).map((at) => ({ at, recorded: new Map() }));
  }

  onReport(job: string, step: number, metrics: Record<string, number>): Decision {
    const value = metrics[this.options.metric];
    if (value === undefined || !Number.isFinite(value)) return 'continue';
    // The highest rung the job has reached and not yet been judged at; lower ones it skipped (reports
    // every few steps) are not back-filled, as in Ray's ASHA.
    const rung = [...this.rungs].reverse().find((r) => step >= r.at && !r.recorded.has(job));
    if (!rung || this.rungs.some((r) => r.at > rung.at && r.recorded.has(job))) return 'continue';
    rung.recorded.set(job, value);
    return this.promoted(rung, value) ? 'continue' : 'stop';
  }

  private promoted(rung: AshaRung, value: number): boolean {
    const n = rung.recorded.size;
    const top = Math.floor(n / this.options.reduction);
    if (top === 0) return true;
    const betterThanIt = [...rung.recorded.values()].filter((other) => better(this.options.mode, other, value)).length;
    return betterThanIt < top;
  }
}
