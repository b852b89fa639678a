/**
 * Where a queued sweep stands (`xp status --queue URL [SWEEP]`), read from the queue itself: each job's
 * BullMQ state, attempts, last report, and once ended its result (or why it failed).
 */
import type { Queue } from 'bullmq';
import type { JobResult } from '../job.ts';
import type { QueuedJobData, QueuedReport } from './queued-job.ts';
import type { SweepRecord } from './sweep-record.ts';

export type QueuedJobState = 'waiting' | 'running' | 'done' | 'failed' | 'gone';

export interface QueuedJobStatus {
  name: string;
  jobId: string;
  state: QueuedJobState;
  /** Attempts started so far (a job taken again after its worker died counts here too). */
  attempts: number;
  runId?: string;
  /** The last report while it runs. */
  report?: QueuedReport;
  /** Once done: the run's status (passed, failed, pruned) and metrics; cached where it was not trained. */
  result?: Pick<JobResult, 'status' | 'metrics' | 'cached' | 'message'>;
  /** Once failed: why, from its last attempt. */
  failedReason?: string;
}

export interface SweepStatus {
  sweep: SweepRecord;
  counts: Record<QueuedJobState, number>;
  jobs: QueuedJobStatus[];
}

export async function readSweepStatus(queue: Queue<QueuedJobData, JobResult>, sweep: SweepRecord): Promise<SweepStatus> {
  const jobs: QueuedJobStatus[] = [];
  for (const { jobId, name } of sweep.jobs) {
    const queued = await queue.getJob(jobId);
    if (!queued) {
      jobs.push({ name, jobId, state: 'gone', attempts: 0 });
      continue;
    }
    const bullState = await queued.getState();
    const state: QueuedJobState = bullState === 'completed' ? 'done' : bullState === 'failed' ? 'failed' : bullState === 'active' ? 'running' : 'waiting';
    const status: QueuedJobStatus = { name, jobId, state, attempts: queued.attemptsStarted ?? queued.attemptsMade, runId: queued.data.runId };
    const progress = queued.progress as unknown;
    if (state === 'running' && typeof progress === 'object' && progress !== null && 'step' in progress) status.report = progress as QueuedReport;
    if (state === 'done' && queued.returnvalue) {
      const result = (typeof queued.returnvalue === 'string' ? JSON.parse(queued.returnvalue) : queued.returnvalue) as JobResult;
      status.result = { status: result.status, metrics: result.metrics, cached: result.cached, message: result.message };
      status.runId = result.runId || status.runId;
    }
    if (state === 'failed') status.failedReason = queued.failedReason;
    jobs.push(status);
  }
  const counts: Record<QueuedJobState, number> = { waiting: 0, running: 0, done: 0, failed: 0, gone: 0 };
  for (const job of jobs) counts[job.state] += 1;
  return { sweep, counts, jobs };
}
