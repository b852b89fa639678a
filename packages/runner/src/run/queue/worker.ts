/**
 * `xp worker`: a BullMQ Worker that takes xp's jobs from the queue, one at a time, and runs each with
 * runJob in a process of its own (./job-process.ts), so that training never keeps this event loop from
 * renewing the job's lock (`--concurrency N` starts N workers: one wasm instance trains on one core, as
 * with `xp run --jobs N`).
 *
 * What BullMQ does for us: a job's lock is renewed while it runs, and a worker that stops renewing it
 * (killed, its machine gone) loses the job to another at the next stalled-job check (lockSeconds);
 * a job that throws is retried with back-off up to JOB_ATTEMPTS times, then fails with its message.
 * What this module adds: the run cache (a job finished meanwhile is not trained), one MLflow run per
 * job over all its attempts (./attempt-run.ts), the 'stop' a follower's scheduler asks for, and on
 * SIGINT/SIGTERM the current job ends its batch, saves its checkpoint and goes back to the queue.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { redactUrl } from '@xp/core';
import { openTrackingStore, parseTrackingUri, resolveTrackingUri } from '@xp/tracking';
import { jobContentHash } from '../job-hash.ts';
import type { JobResult } from '../job.ts';
import { cachedResult, findCachedRuns } from '../run-cache.ts';
import { answerWithin, QUEUE_NAME, QUEUE_PREFIX, queueConnection, reportOutages } from './connection.ts';
import { JobProcessHost } from './job-process-host.ts';
import { HANDED_BACK, JOB_ATTEMPTS, stopKey, type QueuedJobData, type QueuedReport } from './queued-job.ts';
/** An idle worker with --exit-when-idle looks at the queue this often, and leaves after finding it empty this long. */
const IDLE_CHECK_MS = 1_000;
const IDLE_GRACE_MS = 3_000;
/** The longest an idle check waits for Redis's answer, and a shutdown for BullMQ to close. */
const ANSWER_MS = 10_000;
const CLOSE_MS = 30_000;
/** How much of a failed job's message BullMQ keeps as its failedReason. */
const REASON_CHARS = 4_000;

export interface QueueWorkerOptions {
  url: string;
  /** The MLflow server this worker logs to (--tracking-uri); default: $MLFLOW_TRACKING_URI in `env`, else the URI the job was enqueued with. */
  trackingUri?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Leave once the queue has nothing waiting, delayed or running. */
  exitWhenIdle: boolean;
  /** A job whose worker has not renewed its lock for this long goes to another worker. */
  lockSeconds: number;
  /** Cores a job may keep busy here (train.workers: auto). */
  cores?: number;
  /** Aborted on SIGINT/SIGTERM: the running job saves and goes back to the queue, and the worker stops. */
  signal: AbortSignal;
}

export interface WorkerSummary {
  ran: number;
  cached: number;
  handedBack: number;
}

export async function runQueueWorker(options: QueueWorkerOptions): Promise<WorkerSummary> {
  const summary: WorkerSummary = { ran: 0, cached: 0, handedBack: 0 };
  const workerRedis = queueConnection(options.url);
  const queueRedis = queueConnection(options.url);
  const queue = new Queue<QueuedJobData, JobResult>(QUEUE_NAME, { connection: queueRedis, prefix: QUEUE_PREFIX });
  const running = new Map<string, AbortController>();
  const me = `${hostname()}:${process.pid}`;
  const jobProcess = new JobProcessHost(options.cwd, options.env);
  jobProcess.warm();
  // As this machine reaches the server: --tracking-uri, else $MLFLOW_TRACKING_URI, else each job's own URI.
  const trackingUri = options.trackingUri || options.env.MLFLOW_TRACKING_URI || undefined;
  // The job's process must not outlive its worker (it also leaves when the IPC channel closes).
  const killJobProcess = (): void => jobProcess.stop('kill');
  process.on('exit', killJobProcess);

  const worker = new Worker<QueuedJobData, JobResult>(
    QUEUE_NAME,
    (job, token) => processJob(job, token, { ...options, trackingUri, keys: queueRedis, running, jobProcess, me, summary }),
    {
      connection: workerRedis,
      prefix: QUEUE_PREFIX,
      // Recorded on each job it runs (processedBy): which worker ran what, and when it was free again.
      name: me,
      concurrency: 1,
      lockDuration: options.lockSeconds * 1000,
      stalledInterval: options.lockSeconds * 1000,
      // A job whose workers keep dying (a machine that runs out of memory on it) ends as failed, not in a loop.
      maxStalledCount: JOB_ATTEMPTS,
      autorun: false,
    },
  );
  reportOutages(workerRedis, 'worker', options.log, [worker]);
  reportOutages(queueRedis, 'worker queue', options.log, [queue]);
  worker.on('failed', (job, error) => {
    if (!job || error instanceof WaitingError || error.name === 'WaitingError') return;
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    options.log(`[${job.name}] attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed${last ? '; no attempt left' : '; it will be retried'}: ${error.message.split('\n')[0]}`);
  });

  const handBack = (): void => {
    for (const controller of running.values()) controller.abort(HANDED_BACK);
  };
  options.signal.addEventListener('abort', handBack);
  // A job is taken only once its process is warm: a worker still starting (Node, tsx, TensorFlow.js:
  // seconds, tens on a loaded machine) leaves the job to one that can start it now.
  await Promise.race([jobProcess.whenReady(), new Promise((resolve) => options.signal.addEventListener('abort', resolve, { once: true }))]);
  options.log(`worker ${me} takes jobs from ${redactUrl(options.url)}${options.exitWhenIdle ? ' until the queue is empty' : ''}`);
  const runningWorker = worker.run();
  try {
    await Promise.race([
      runningWorker,
      new Promise<void>((resolve) => {
        if (options.signal.aborted) return resolve();
        options.signal.addEventListener('abort', () => resolve(), { once: true });
      }),
      ...(options.exitWhenIdle ? [untilIdle(queue, running, options.signal)] : []),
    ]);
  } finally {
    options.signal.removeEventListener('abort', handBack);
    // Waits for the running job: it has been asked to hand itself back, or the queue is empty. Once no
    // job runs, a close that hangs past CLOSE_MS is BullMQ waiting on a connection an outage left
    // behind: said, and left.
    const closing = worker.close().then(() => runningWorker.catch(() => undefined)).then(() => true);
    let closed = false;
    do closed = await answerWithin(closing, CLOSE_MS, false);
    while (!closed && running.size > 0);
    if (!closed) options.log(`worker: BullMQ did not close within ${CLOSE_MS / 1000} s; leaving without it`);
    jobProcess.stop();
    process.off('exit', killJobProcess);
    await answerWithin(queue.close(), CLOSE_MS, undefined);
    workerRedis.disconnect();
    queueRedis.disconnect();
  }
  return summary;
}

/** Resolves once the queue has had no job waiting, delayed or running for IDLE_GRACE_MS while this worker ran none. */
async function untilIdle(queue: Queue<QueuedJobData, JobResult>, running: Map<string, AbortController>, signal: AbortSignal): Promise<void> {
  let emptySince: number | null = null;
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_CHECK_MS));
    let pending = running.size;
    if (pending === 0) {
      try {
        const counts = await answerWithin(queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'), ANSWER_MS, null);
        // No answer counts as work left: only a queue seen empty lets the worker go.
        pending = counts === null ? 1 : Object.values(counts).reduce((sum, count) => sum + count, 0);
      } catch {
        pending = 1;
      }
    }
    if (pending > 0) emptySince = null;
    else if (emptySince === null) emptySince = Date.now();
    else if (Date.now() - emptySince >= IDLE_GRACE_MS) return;
  }
}

interface ProcessContext extends QueueWorkerOptions {
  keys: Redis;
  running: Map<string, AbortController>;
  /** Where jobs train. */
  jobProcess: JobProcessHost;
  me: string;
  summary: WorkerSummary;
}

async function processJob(bullJob: BullJob<QueuedJobData, JobResult>, token: string | undefined, ctx: ProcessContext): Promise<JobResult> {
  const data = bullJob.data;
  const { job } = data;
  const jobId = bullJob.id!;
  const log = (line: string): void => ctx.log(`[${job.name}] ${line}`);
  // attemptsMade counts failed tries; attemptsStarted also counts starts a dead worker never finished.
  const retaken = (bullJob.attemptsStarted ?? 0) > bullJob.attemptsMade + 1 ? ', taken again after its worker stopped' : '';
  log(`taken by ${ctx.me} (attempt ${bullJob.attemptsMade + 1} of ${bullJob.opts.attempts ?? 1}${retaken})`);

  const uri = ctx.trackingUri ?? job.trackingUri;
  const location = parseTrackingUri(resolveTrackingUri(uri, ctx.env), ctx.cwd);
  if (location.kind === 'file' && !existsSync(location.root)) {
    // Retrying on this machine cannot help: fail the job at once, with what to do.
    throw new UnrecoverableError(
      `the job is tracked in the file store ${location.root}, which worker ${ctx.me} cannot see: run the sweep against an MLflow server ` +
        `(mlflow server --serve-artifacts; xp run --tracking-uri http://HOST:PORT) or mount that directory at the same path on every worker`,
    );
  }
  if (!data.force) {
    const hash = jobContentHash(job);
    try {
      const store = openTrackingStore({ uri, cwd: ctx.cwd, env: ctx.env, log });
      const cached = (await findCachedRuns(store, job.experimentId, [hash])).get(hash);
      if (cached) {
        log(`cached: run ${cached.runId} finished it already; not trained again`);
        ctx.summary.cached += 1;
        return cachedResult(job, cached);
      }
    } catch (error) {
      log(`run cache: could not search the experiment (${(error as Error).message}); training`);
    }
  }

  const controller = new AbortController();
  ctx.running.set(jobId, controller);
  if (ctx.signal.aborted) controller.abort(HANDED_BACK);
  try {
    const ended = await ctx.jobProcess.run(
      { job, earlierRunId: data.runId, trackingUri: ctx.trackingUri, cores: Math.max(1, ctx.cores ?? availableParallelism()), workerTags: { 'xp.worker': ctx.me, 'xp.queueJob': jobId } },
      {
        log,
        // Recorded before training starts, so that whoever takes the job next continues this run.
        created: (runId) => bullJob.updateData({ ...data, runId }),
        report: (step, metrics) => {
          const report: QueuedReport = { step, metrics };
          bullJob.updateProgress(report).catch(() => undefined);
          // The follower's scheduler may have asked for a stop; a check per report is its chance.
          ctx.keys.exists(stopKey(jobId)).then(
            (found) => {
              if (found > 0) ctx.jobProcess.prune();
            },
            () => undefined,
          );
        },
      },
      controller.signal,
    );
    if (ended.result === undefined) throw new Error(ended.crash);
    const { result } = ended;
    if (result.status === 'killed' && controller.signal.reason === HANDED_BACK) {
      log('saved and handed back to the queue; another worker continues it');
      ctx.summary.handedBack += 1;
      await bullJob.moveToWait(token);
      throw new WaitingError();
    }
    ctx.summary.ran += 1;
    // Thrown, BullMQ retries it (attempts, back-off) and keeps the message as the failed reason.
    if (result.status === 'error') throw new Error((result.message ?? 'the run crashed').slice(0, REASON_CHARS));
    log(`${result.status} (run ${result.runId})`);
    return result;
  } finally {
    ctx.running.delete(jobId);
  }
}

