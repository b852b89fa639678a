/** The schedulers, by the name a spec gives them under sweep.scheduler: one line each. */
import type { Scheduler } from '../scheduler.ts';
import { AshaScheduler, type AshaOptions } from './asha.ts';
import { MedianStoppingScheduler, type MedianStoppingOptions } from './median.ts';

export const SCHEDULERS = {
  asha: (options: AshaOptions): Scheduler => new AshaScheduler(options),
  median: (options: MedianStoppingOptions): Scheduler => new MedianStoppingScheduler(options),
};

export type SchedulerName = keyof typeof SCHEDULERS;

/** `sweep.scheduler` as the schema gives it: one rule, by name, with its settings. */
export type SchedulerSpec = { [Name in SchedulerName]?: Parameters<(typeof SCHEDULERS)[Name]>[0] };

/** The scheduler a spec asks for, or none. */
export function schedulerFor(spec: SchedulerSpec | undefined): Scheduler | undefined {
  if (!spec) return undefined;
  for (const name of Object.keys(SCHEDULERS) as SchedulerName[]) {
    const options = spec[name];
    if (options) return (SCHEDULERS[name] as (o: typeof options) => Scheduler)(options);
  }
  return undefined;
}
