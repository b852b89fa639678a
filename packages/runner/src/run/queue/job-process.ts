/**
 * The process `xp worker` trains queued jobs in, one after another (./job-process-host.ts): for each,
 * it continues the job's run or creates it (./attempt-run.ts), runs the job with runJob, and sends back
 * log lines, reports and the result.
 * An 'interrupt' ends the job as Ctrl-C would (the batch finished, the checkpoint saved). If the worker
 * dies (SIGKILL, a lost machine), this process goes with it at once: another worker takes the job,
 * and two attempts must never write to the run together.
 */
import { openTrackingStore } from '@xp/tracking';
import { allKinds } from '../../kinds/registry.ts';
import { quietTensorFlow, startBackend, type BackendName } from '../backend-choice.ts';
import { PRUNED } from '../job.ts';
import { runJob } from '../run-job.ts';
import { prepareAttempt } from './attempt-run.ts';
import type { FromJobProcess, JobStart, ToJobProcess } from './job-process-protocol.ts';
import { HANDED_BACK } from './queued-job.ts';

const send = (message: FromJobProcess): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });

/** The running job's: an 'interrupt' aborts it. */
let controller = new AbortController();
let createdRecorded: (() => void) | undefined;

process.on('disconnect', () => process.exit(1));
process.on('message', (message: ToJobProcess) => {
  if (message.type === 'interrupt') controller.abort(message.reason === 'pruned' ? PRUNED : HANDED_BACK);
  else if (message.type === 'created-recorded') createdRecorded?.();
  else if (message.type === 'start') {
    controller = new AbortController();
    // Kept for the next job when this one ends; anything thrown past runJob leaves no trust in this process.
    run(message.start).catch(async (error: unknown) => {
      await send({ type: 'log', line: `crashed: ${(error as Error).stack ?? String(error)}` });
      process.exit(1);
    });
  }
});

async function run(start: JobStart): Promise<void> {
  const { job } = start;
  const log = (line: string): void => void send({ type: 'log', line });
  if (job.spec.kind === 'cnn-classifier') await startBackend(job.backend as BackendName);
  else await quietTensorFlow();
  const store = openTrackingStore({ uri: start.trackingUri ?? job.trackingUri, cwd: process.cwd(), env: process.env, log });
  const attempt = await prepareAttempt(store, {
    earlierRunId: start.earlierRunId,
    onCreated: (runId) =>
      new Promise<void>((resolve) => {
        createdRecorded = resolve;
        void send({ type: 'created', runId });
      }),
    workerTags: start.workerTags,
    log,
  });
  const { result } = await runJob(
    { ...job, resumeFrom: attempt.resumeFrom, cpuShare: start.cores },
    { store: attempt.store, log, signal: controller.signal, report: (step, metrics) => void send({ type: 'report', step, metrics }) },
  );
  await send({ type: 'result', result });
}

// Ready once every kind's lazily loaded modules are in: the worker takes a job only then.
await Promise.all(allKinds().map((kind) => kind.preload?.())).catch((error: unknown) => send({ type: 'log', line: `warning: preloading failed (${(error as Error).message}); the first job loads what it needs` }));
void send({ type: 'ready' });
