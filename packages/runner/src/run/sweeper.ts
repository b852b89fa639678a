/**
 * A Sweeper decides what to run: it proposes jobs, hears how they go and, once they end, their
 * results, and may propose more from what it learnt (random search, early stopping, Bayesian search
 * build on this). It never starts a job itself: where jobs run is a Launcher's business.
 *
 * Adding a way to sweep is one module under ./sweepers/ and one line in ./sweepers/index.ts.
 */
import type { CheckedExperiment } from './static-checks.ts';
import type { JobResult } from './job.ts';

/** A job the sweeper wants run: which variant, on which seed, as which run name. */
export interface ProposedJob {
  name: string;
  variant: string;
  seed: number;
}

export interface Sweeper {
  /**
   * Jobs to start now; an empty list when it is waiting for results before it can say more; null
   * when the sweep is complete (after the jobs already proposed end).
   */
  propose(): ProposedJob[] | null;
  /** A running job's metrics at a step. 'stop' asks the launcher to end that job early. */
  onReport(job: string, step: number, metrics: Record<string, number>): 'continue' | 'stop';
  /** A job has ended. */
  onResult(result: JobResult): void;
}

export interface SweeperOptions {
  /** Restrict to one seed (a resumed run continues its own seed only). */
  onlySeed?: number;
}

export type SweeperFactory = (checked: CheckedExperiment, options: SweeperOptions) => Sweeper;
