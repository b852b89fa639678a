/**
 * A job's child process (./processes.ts): waits for its Job over IPC, runs it with runJob on the
 * store the job names, and sends back log lines, reports and the result. An 'interrupt' message is
 * Ctrl-C for the job: finish the batch, save, end as killed.
 */
import { openTrackingStore } from '@xp/tracking';
import { startBackend, quietTensorFlow, type BackendName } from '../backend-choice.ts';
import { runJob } from '../run-job.ts';
import { PRUNED } from '../job.ts';
import type { ChildMessage, ParentMessage } from './job-child-protocol.ts';

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });

const controller = new AbortController();
// The parent owns Ctrl-C: it reaches this process group only through an 'interrupt' message.
process.on('SIGINT', () => controller.abort());

process.on('message', (message: ParentMessage) => {
  if (message.type === 'interrupt') controller.abort(message.reason === 'pruned' ? PRUNED : undefined);
  else if (message.type === 'job') {
    void (async () => {
      const { job } = message;
      const log = (line: string): void => void send({ type: 'log', line });
      if (job.spec.kind === 'cnn-classifier') await startBackend(job.backend as BackendName);
      else await quietTensorFlow();
      const store = openTrackingStore({ uri: job.trackingUri, cwd: process.cwd(), env: process.env, log });
      const { result } = await runJob(job, { store, log, signal: controller.signal, report: (step, metrics) => void send({ type: 'report', step, metrics }) });
      await send({ type: 'result', result });
      process.disconnect?.();
      process.exit(0);
    })().catch(async (error: unknown) => {
      await send({ type: 'log', line: `crashed: ${(error as Error).stack ?? String(error)}` });
      process.exit(1);
    });
  }
});
void send({ type: 'ready' });
