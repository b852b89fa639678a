/**
 * Median stopping (Golovin et al., "Google Vizier", KDD 2017): after `grace` steps, a job stops when
 * its best value so far is worse than the median of the other jobs' running averages at the same
 * step. Needs at least `minJobs` other jobs' reports at that step before it judges anyone.
 */
import { better, type Decision, type Scheduler, type WatchedMetric } from '../scheduler.ts';

export interface MedianStoppingOptions extends WatchedMetric {
  grace: number;
  minJobs: number;
}

export class MedianStoppingScheduler implements Scheduler {
  /** Job → its values by step, in the order reported. */
  private readonly history = new Map<string, Array<[number, number]>>();

  constructor(private readonly options: MedianStoppingOptions) {}

  onReport(job: string, step: number, metrics: Record<string, number>): Decision {
    const value = metrics[this.options.metric];
    if (value === undefined || !Number.isFinite(value)) return 'continue';
    const own = this.history.get(job) ?? [];
    own.push([step, value]);
    this.history.set(job, own);
    if (step < this.options.grace) return 'continue';

    const averages: number[] = [];
    for (const [other, points] of this.history) {
      if (other === job) continue;
      const upTo = points.filter(([s]) => s <= step);
      if (upTo.length === 0 || upTo[upTo.length - 1][0] < step) continue; // not there yet
      averages.push(upTo.reduce((sum, [, v]) => sum + v, 0) / upTo.length);
    }
    if (averages.length < this.options.minJobs) return 'continue';
    const best = own.reduce((b, [, v]) => (better(this.options.mode, v, b) ? v : b), own[0][1]);
    return better(this.options.mode, median(averages), best) ? 'stop' : 'continue';
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
