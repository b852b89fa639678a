/**
 * A Launcher decides where jobs run: in this process, in child processes, later on other machines.
 * It starts the jobs it is given, streams each job's reports and result back through the hooks, and
 * knows nothing of sweeps, seeds or verdicts. Every launcher runs a job with runJob.
 *
 * Adding a place to run is one module under ./launchers/ and one line in ./launchers/index.ts.
 */
import type { TrackingStore } from '@xp/tracking';
import type { Job, JobResult } from './job.ts';

export interface LaunchHooks {
  /** A line for the user about a job (its log, prefixed as the launcher sees fit). */
  log(line: string): void;
  /** A running job's metrics at a step; 'stop' asks that the job end early. */
  onReport(job: string, step: number, metrics: Record<string, number>): 'continue' | 'stop';
  onResult(result: JobResult): void;
}

export interface Launcher {
  /**
   * Runs every job, at most the launcher's own limit at once, and resolves once all have ended, with
   * their results in the jobs' order: undefined for a job that an interrupt kept from starting.
   */
  launch(jobs: Job[], hooks: LaunchHooks, signal: AbortSignal): Promise<Array<JobResult | undefined>>;
}

export interface LauncherOptions {
  /** Jobs at once (processes). */
  jobs: number;
  /** The store this process writes to (in-process). */
  store: TrackingStore;
  cwd: string;
  env: NodeJS.ProcessEnv;
}
