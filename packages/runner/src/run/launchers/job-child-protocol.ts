/** The messages between the processes launcher and a job's child process (Node IPC, structured clone). */
import type { Job, JobResult } from '../job.ts';

export type ParentMessage = { type: 'job'; job: Job } | { type: 'interrupt'; reason?: 'pruned' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'report'; step: number; metrics: Record<string, number> }
  | { type: 'result'; result: JobResult };
