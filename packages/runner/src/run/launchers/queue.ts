/**
 * The queue launcher (`xp run --queue redis://HOST:PORT`): jobs go into a BullMQ queue on Redis, and
 * `xp worker`s anywhere take them (../queue/worker.ts). This side enqueues a sweep's jobs and follows
 * them: BullMQ's QueueEvents bring each job's start, reports (job progress), and end; the reports reach
 * the sweep's hooks as from any other launcher, and a 'stop' from its scheduler goes back to the
 * worker through a Redis key. A job already waiting or running in the queue (the same content
 * enqueued by another sweep or an earlier `--detach`) is followed, not added twice.
 *
 * Events can be missed (Redis restarting, a follower that started late), so every unfinished job's
 * state is also read back every POLL_MS: the queue itself is the truth, events only make it prompt.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Launcher, LaunchHooks } from '../launcher.ts';
import type { Job, JobResult } from '../job.ts';
import { answerWithin, QUEUE_NAME, QUEUE_PREFIX, queueConnection, reportOutages } from '../queue/connection.ts';
import { FollowView } from '../queue/follow-view.ts';
import { queueJobId, queuedJobOptions, stopKey, STOP_KEY_SECONDS, type QueuedJobData, type QueuedReport } from '../queue/queued-job.ts';
import { recordSweep, sweepIdOf } from '../queue/sweep-record.ts';

const POLL_MS = 2_000;
/** The longest a poll waits for one answer from Redis before it leaves that job to the next poll. */
const ANSWER_MS = 10_000;
const NO_ANSWER = Symbol('no answer');
/** BullMQ states in which a job is still to be run or running: such a job is followed, not enqueued again. */
const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export interface QueueLauncherOptions {
  url: string;
  /** Enqueue and return: results are left undefined, and `xp status` follows the sweep. */
  detach: boolean;
  /** `--force`: workers train the jobs even where the run cache has them. */
  force: boolean;
  /** Where the live view goes, and whether it may redraw in place (a terminal). */
  write: (text: string) => void;
  redraw: boolean;
  /** Called once the sweep has its id, before any job is followed. */
  onSweep?: (sweep: { id: string; enqueued: number; alreadyQueued: number }) => void;
}

/** When the queue moved one job, as BullMQ recorded it and this follower saw it (milliseconds since the epoch). */
export interface QueuedTimes {
  job: string;
  /** The worker that ran its last attempt. */
  worker?: string;
  enqueuedAt: number;
  startedAt: number;
  finishedAt: number;
  seenAt: number;
}

/** How long one job spent in the queue's hands rather than training: what BENCHMARKS.md reports. */
export interface QueueOverhead {
  job: string;
  /** Enqueued → a worker started it, waiting for a free worker included. */
  toStartMs: number;
  /** From the moment a worker was free for it (enqueued, or that worker's previous job finished) to its start. */
  pickupMs: number;
  /** The worker finished it → this follower saw its result. */
  toSeenMs: number;
}

/** Each job's overhead; a worker is free for a job once it is enqueued and the worker's previous job has finished. */
export function queueOverheads(times: readonly QueuedTimes[]): QueueOverhead[] {
  const byStart = [...times].sort((a, b) => a.startedAt - b.startedAt);
  const freeAt = new Map<string, number>();
  return byStart.map((job) => {
    const free = Math.max(job.enqueuedAt, job.worker === undefined ? 0 : (freeAt.get(job.worker) ?? 0));
    if (job.worker !== undefined) freeAt.set(job.worker, job.finishedAt);
    return { job: job.job, toStartMs: job.startedAt - job.enqueuedAt, pickupMs: Math.max(0, job.startedAt - free), toSeenMs: Math.max(0, job.seenAt - job.finishedAt) };
  });
}

export function queueLauncher(options: QueueLauncherOptions): Launcher & { times: QueuedTimes[] } {
  let sweepId: string | undefined;
  const times: QueuedTimes[] = [];
  return {
    times,
    async launch(jobs, hooks, signal) {
      const results: Array<JobResult | undefined> = new Array(jobs.length);
      if (jobs.length === 0) return results;
      const queueRedis = queueConnection(options.url);
      const eventsRedis = queueConnection(options.url);
      const keysRedis = queueConnection(options.url);
      const queue = new Queue<QueuedJobData, JobResult>(QUEUE_NAME, { connection: queueRedis, prefix: QUEUE_PREFIX });
      const events = new QueueEvents(QUEUE_NAME, { connection: eventsRedis, prefix: QUEUE_PREFIX, autorun: false });
      const view = new FollowView(options.write, options.redraw, jobs.map((job) => job.name));
      const note = (line: string): void => view.note(line);
      reportOutages(queueRedis, 'queue', note, [queue]);
      reportOutages(eventsRedis, 'queue events', note, [events]);
      reportOutages(keysRedis, 'queue keys', note);
      try {
        const ids = jobs.map((job) => queueJobId(job));
        // Listening before anything is added, so no job's start or end happens unheard.
        void events.run();
        await events.waitUntilReady();
        sweepId ??= sweepIdOf(ids);
        await recordSweep(keysRedis, { id: sweepId, experiment: experimentOf(jobs[0]), specFile: jobs[0].specFile, jobs: jobs.map((job, index) => ({ jobId: ids[index], name: job.name })) });
        let alreadyQueued = 0;
        for (const [index, job] of jobs.entries()) {
          if (await enqueue(queue, keysRedis, job, ids[index], { sweepId, force: options.force })) continue;
          alreadyQueued += 1;
        }
        options.onSweep?.({ id: sweepId, enqueued: jobs.length - alreadyQueued, alreadyQueued });
        if (options.detach) return results;
        await follow({ queue, events, keysRedis, jobs, ids, hooks, signal, view, results, times });
        return results;
      } finally {
        view.close();
        await Promise.allSettled([events.close(), queue.close()]);
        for (const redis of [queueRedis, eventsRedis, keysRedis]) redis.disconnect();
      }
    },
  };
}

/** Adds the job unless the queue holds it already, waiting or running; returns whether it was added. */
async function enqueue(queue: Queue<QueuedJobData, JobResult>, keysRedis: Redis, job: Job, jobId: string, how: { sweepId: string; force: boolean }): Promise<boolean> {
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (PENDING_STATES.has(state)) return false;
    // Ended (completed or failed) and asked for again: what stands for a finished job is the run
    // cache's business, not the queue's, so the ended copy makes way for a fresh one.
    await existing.remove();
  }
  await keysRedis.del(stopKey(jobId));
  await queue.add(job.name, { job, sweepId: how.sweepId, force: how.force }, queuedJobOptions(jobId));
  return true;
}

interface FollowContext {
  queue: Queue<QueuedJobData, JobResult>;
  events: QueueEvents;
  keysRedis: Redis;
  jobs: Job[];
  ids: string[];
  hooks: LaunchHooks;
  signal: AbortSignal;
  view: FollowView;
  results: Array<JobResult | undefined>;
  times: QueuedTimes[];
}

/** Resolves once every job has ended (or the user stopped following), its result in `results`. */
async function follow(ctx: FollowContext): Promise<void> {
  const { queue, events, keysRedis, jobs, ids, hooks, view, results } = ctx;
  const indexOf = new Map(ids.map((id, index) => [id, index]));
  const stopped = new Set<string>();
  let left = jobs.length;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const settling = new Set<number>();
  const settle = async (index: number, outcome: { result?: JobResult; failedReason?: string }): Promise<void> => {
    if (results[index] !== undefined || settling.has(index)) return;
    settling.add(index);
    const seenAt = Date.now();
    const job = jobs[index];
    view.setState(job.name, outcome.result === undefined ? 'failed' : outcome.result.cached ? 'cached' : 'done', outcome.result?.status ?? 'error');
    const queued = await answerWithin(queue.getJob(ids[index]), ANSWER_MS, undefined).catch(() => undefined);
    const result: JobResult = outcome.result ?? {
      name: job.name,
      variant: job.variant,
      seed: job.seed,
      runId: queued?.data.runId ?? '',
      status: 'error',
      params: {},
      metrics: {},
      artifacts: {},
      message: `failed on its last attempt: ${outcome.failedReason ?? 'no reason given'}`,
    };
    results[index] = result;
    if (queued?.processedOn && queued.finishedOn) {
      ctx.times.push({ job: job.name, worker: queued.processedBy, enqueuedAt: queued.timestamp, startedAt: queued.processedOn, finishedAt: queued.finishedOn, seenAt });
    }
    hooks.onResult(result);
    left -= 1;
    if (left === 0) finish();
  };

  const onReport = (index: number, report: QueuedReport): void => {
    const id = ids[index];
    view.report(jobs[index].name, report.step, report.metrics);
    if (hooks.onReport(jobs[index].name, report.step, report.metrics) !== 'stop' || stopped.has(id)) return;
    stopped.add(id);
    view.note(`${jobs[index].name}: asking its worker to stop it`);
    void keysRedis.set(stopKey(id), '1', 'EX', STOP_KEY_SECONDS);
  };

  const at = (jobId: string): number | undefined => indexOf.get(jobId);
  events.on('active', ({ jobId }) => {
    const index = at(jobId);
    if (index !== undefined && results[index] === undefined) view.setState(jobs[index].name, 'running');
  });
  events.on('waiting', ({ jobId, prev }) => {
    const index = at(jobId);
    if (index !== undefined && results[index] === undefined && prev === 'active') view.setState(jobs[index].name, 'waiting', 'handed back by its worker');
  });
  events.on('stalled', ({ jobId }) => {
    const index = at(jobId);
    if (index !== undefined) view.note(`${jobs[index].name}: its worker stopped answering; the job goes to another worker`);
  });
  events.on('delayed', ({ jobId }) => {
    const index = at(jobId);
    if (index !== undefined && results[index] === undefined) view.setState(jobs[index].name, 'waiting', 'failed; will be retried');
  });
  events.on('progress', ({ jobId, data }) => {
    const index = at(jobId);
    if (index !== undefined && isReport(data)) onReport(index, data);
  });
  events.on('completed', ({ jobId, returnvalue }) => {
    const index = at(jobId);
    if (index !== undefined) void settle(index, { result: parseResult(returnvalue) });
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const index = at(jobId);
    if (index !== undefined) void settle(index, { failedReason });
  });

  const poll = async (): Promise<void> => {
    for (const [index, id] of ids.entries()) {
      if (results[index] !== undefined) continue;
      const queued = await answerWithin(queue.getJob(id), ANSWER_MS, NO_ANSWER);
      if (queued === NO_ANSWER) continue;
      if (!queued) {
        await settle(index, { failedReason: 'the job is gone from the queue (removed by hand?)' });
        continue;
      }
      const state = await answerWithin(queued.getState(), ANSWER_MS, NO_ANSWER);
      if (state === 'completed') await settle(index, { result: parseResult(queued.returnvalue) });
      else if (state === 'failed') await settle(index, { failedReason: queued.failedReason });
      else if (state === 'active') view.setState(jobs[index].name, 'running');
    }
  };
  // One poll at a time: while Redis is down a poll waits for it, and the next must not pile up behind it.
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    poll()
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, POLL_MS);
  const onAbort = (): void => finish();
  ctx.signal.addEventListener('abort', onAbort);
  try {
    // Some may have ended before we were listening (an earlier copy of the job, or a fast worker).
    await poll().catch(() => undefined);
    if (left > 0 && !ctx.signal.aborted) await finished;
  } finally {
    clearInterval(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    events.removeAllListeners('active').removeAllListeners('waiting').removeAllListeners('stalled').removeAllListeners('delayed');
    events.removeAllListeners('progress').removeAllListeners('completed').removeAllListeners('failed');
  }
}

function isReport(data: unknown): data is QueuedReport {
  return typeof data === 'object' && data !== null && typeof (data as QueuedReport).step === 'number' && typeof (data as QueuedReport).metrics === 'object';
}

/** A return value arrives parsed from QueueEvents, and may arrive as JSON text from older BullMQs or a poll. */
function parseResult(value: unknown): JobResult {
  return (typeof value === 'string' ? JSON.parse(value) : value) as JobResult;
}

function experimentOf(job: Job): string {
  return job.spec.tracking?.experiment ?? job.spec.name;
}
