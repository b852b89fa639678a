/**
 * The messages between `xp worker` and the process it trains a job in (./job-process.ts), over Node's
 * IPC channel. The worker keeps BullMQ's side (the job's lock, its progress, its data) on an event loop
 * that training never blocks; the job's process does the tracking and the training.
 */
import type { Job, JobResult } from '../job.ts';

export interface JobStart {
  job: Job;
  /** The run an earlier attempt of this job created (./attempt-run.ts). */
  earlierRunId?: string;
  /** The MLflow server as the worker reaches it; default: the job's own tracking URI. */
  trackingUri?: string;
  /** Cores the job may keep busy. */
  cores: number;
  /** Tags that say which worker ran this attempt. */
  workerTags: Record<string, string>;
}

export type ToJobProcess =
  | { type: 'start'; start: JobStart }
  /** The worker has recorded the run the job created: training may begin. */
  | { type: 'created-recorded' }
  /** 'pruned': the sweep's scheduler stopped it; 'handback': the worker is stopping and gives the job back. */
  | { type: 'interrupt'; reason: 'pruned' | 'handback' };

export type FromJobProcess =
  | { type: 'ready' }
  | { type: 'log'; line: string }
  /** The first attempt created this run; the job waits for 'created-recorded' before training. */
  | { type: 'created'; runId: string }
  | { type: 'report'; step: number; metrics: Record<string, number> }
  | { type: 'result'; result: JobResult };
