/**
 * A Sweeper decides what to run: it proposes jobs, hears how they go and, once they end, their
 * results, and may propose more from what it learnt (random search, early stopping, Bayesian search
 * build on this). It never starts a job itself: where jobs run is a Launcher's business.
 *
 * Adding a way to sweep is one module under ./sweepers/ and one line in ./sweepers/index.ts.
 */
import type { CheckedExperiment, CheckedVariant } from './static-checks.ts';
import type { JobResult } from './job.ts';

/** On each run of a search: which search chose it ('random' | 'optuna'), and its trial number (1-based). */
export const TAG_SEARCH = 'xp.search';
export const TAG_TRIAL = 'xp.trial';

/** A job the sweeper wants run: which variant, on which seed, as which run name. */
export interface ProposedJob {
  name: string;
  variant: string;
  seed: number;
  /** A variant the sweeper made itself after loading (a trial chosen from results), checked; absent: `variant` names one of the loaded ones. */
  made?: CheckedVariant;
  /** Tags of this job's run besides the sweep's own, e.g. which trial of which search it is. */
  tags?: Record<string, string>;
}

export interface Sweeper {
  /**
   * Jobs to start now; an empty list when it is waiting for results before it can say more; null
   * when the sweep is complete (after the jobs already proposed end).
   */
  propose(): ProposedJob[] | null | Promise<ProposedJob[] | null>;
  /** A running job's metrics at a step. 'stop' asks the launcher to end that job early. */
  onReport(job: string, step: number, metrics: Record<string, number>): 'continue' | 'stop';
  /** A job has ended. */
  onResult(result: JobResult): void;
  /** The sweep is over, however it ended: let go of what the sweeper holds (a search's study). */
  close?(): Promise<void>;
}

export interface SweeperOptions {
  /** Restrict to one seed (a resumed run continues its own seed only). */
  onlySeed?: number;
  /** Jobs the launcher runs at once: how many a search that learns from results proposes together. */
  jobsAtOnce?: number;
  /** Lines for the user (stderr). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export type SweeperFactory = (checked: CheckedExperiment, options: SweeperOptions) => Sweeper;
