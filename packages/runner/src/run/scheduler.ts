/**
 * A Scheduler decides, from a running job's reports alone, whether it goes on (Ray Tune's trial
 * schedulers: ASHA, median stopping). It sees metrics at steps and answers continue or stop; it never
 * starts, stops or tracks a job itself: the sweep loop passes 'stop' to the launcher, and the job ends
 * as `pruned`. Any sweeper can have one, on any launcher.
 *
 * Adding a rule is one module under ./schedulers/ and one line in ./schedulers/index.ts.
 */

export type Decision = 'continue' | 'stop';

export interface Scheduler {
  /** Job `job` measured `metrics` at `step` (an epoch; the toy network's own step). */
  onReport(job: string, step: number, metrics: Record<string, number>): Decision;
  /** The job ended, whatever way; a rule may forget it or keep its record. */
  onEnd?(job: string): void;
}

/** What every rule needs to know of the metric it watches. */
export interface WatchedMetric {
  metric: string;
  mode: 'max' | 'min';
}

/** True when `a` is strictly better than `b` in `mode`. */
export function better(mode: WatchedMetric['mode'], a: number, b: number): boolean {
  return mode === 'max' ? a > b : a < b;
}
