/**
 * What travels through the queue: a Job as BullMQ job data (it is plain JSON already), the reports a
 * worker sends as job progress, and the JobResult it returns. The BullMQ job id is the job's content
 * hash in its experiment, so the same job enqueued twice is held once.
 */
import type { JobsOptions } from 'bullmq';
import { jobContentHash } from '../job-hash.ts';
import type { Job } from '../job.ts';
import { QUEUE_NAME, QUEUE_PREFIX } from './connection.ts';

export interface QueuedJobData {
  job: Job;
  /** The sweep that enqueued it (./sweep-record.ts). */
  sweepId: string;
  /** `--force`: the worker trains it even where the run cache has it. */
  force: boolean;
  /**
   * The MLflow run the job's first attempt created. A later attempt (the job taken again after its
   * worker died, handed back, or retried) continues that run instead of starting another.
   */
  runId?: string;
}

/** A running job's report, as BullMQ job progress: what the sweep's scheduler and the live view follow. */
export interface QueuedReport {
  step: number;
  metrics: Record<string, number>;
}

/** The abort reason of a job its worker gives back to the queue (SIGINT/SIGTERM): not the user's kill, not a prune. */
export const HANDED_BACK = 'xp:handed-back';

/** How many times a job that fails by itself (a bug, bad data) is tried in all before it ends as an error. */
export const JOB_ATTEMPTS = 3;

export function queueJobId(job: Pick<Job, 'spec' | 'name' | 'variant' | 'inputsKey' | 'experimentId'>): string {
  // BullMQ takes any id but a bare integer or one with ':'; the hash is hex, the experiment id is not trusted.
  return `e${job.experimentId.replace(/[^\w-]/g, '_')}-${jobContentHash(job).slice(0, 40)}`;
}

export function queuedJobOptions(jobId: string): JobsOptions {
  return {
    jobId,
    attempts: JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 2_000 },
    // Kept a while after they end, for `xp status` and for a follower that reconnects late.
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

/** The key a follower sets to ask the worker running `jobId` to stop it (the sweep's scheduler said so). */
export function stopKey(jobId: string): string {
  return `${QUEUE_PREFIX}:${QUEUE_NAME}:xp-stop:${jobId}`;
}

/** How long a stop request is kept: longer than any job waits to be taken again. */
export const STOP_KEY_SECONDS = 7 * 24 * 3600;
