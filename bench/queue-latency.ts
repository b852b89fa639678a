/**
 * How long a job waits between being enqueued and starting, with idle workers: a real Redis, an
 * MLflow server, two `xp worker`s started and left idle, then one toy job at a time through
 * `xp run --queue`, each after the workers sat idle for IDLE_MS (longer than BullMQ's drain delay, so
 * each worker is blocked waiting on Redis, as between jobs of a real sweep).
 *
 * For each job, from BullMQ's own enqueue time (job.timestamp):
 *   taken    a worker moved it to active (job.processedOn)
 *   training its first report arrived (the job's run created, its first step trained: QueueEvents 'progress')
 *   done     the job finished (job.finishedOn)
 *
 * Run: npx tsx bench/queue-latency.ts [--jobs 5] [--tracking-uri http://HOST:PORT]
 * (without --tracking-uri an MLflow server with a sqlite store is started in a temporary folder).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startMlflowServer } from '../tests/fixtures/mlflow-server.ts';
import { startRedisServer } from '../tests/fixtures/redis-server.ts';

const REPO = resolve(import.meta.dirname, '..');
const XP_BIN = join(REPO, 'packages/runner/bin/xp.js');
const IDLE_MS = 8_000;

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '5' }, 'tracking-uri': { type: 'string' } } });
const jobs = Number(values.jobs);
const dir = mkdtempSync(join(tmpdir(), 'xp-bench-queue-'));
for (const sub of ['redis', 'mlflow', 'worker-a', 'worker-b', 'follower']) mkdirSync(join(dir, sub));

const started: ChildProcess[] = [];
function startXp(args: string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exited: Promise<number> } {
  const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.resume();
  return { child, stderr: () => stderr, exited: new Promise((done) => child.on('exit', (code) => done(code ?? -1))) };
}

const redis = await startRedisServer(join(dir, 'redis'));
const mlflow = values['tracking-uri'] ? undefined : await startMlflowServer(join(dir, 'mlflow'));
const trackingUri = values['tracking-uri'] ?? mlflow!.url;
const env = { MLFLOW_TRACKING_URI: trackingUri };
const queueUrl = `${redis.url}/0`;
const workers = ['worker-a', 'worker-b'].map((name) => startXp(['worker', '--queue', queueUrl], join(dir, name), env));
const workersUp = Date.now();
while (!workers.every((w) => /takes jobs from/.test(w.stderr()))) await new Promise((r) => setTimeout(r, 100));
console.log(`workers ready (job processes warm) after ${((Date.now() - workersUp) / 1000).toFixed(1)} s`);

const eventsRedis = new Redis(queueUrl, { maxRetriesPerRequest: null });
const queueRedis = new Redis(queueUrl, { maxRetriesPerRequest: null });
const events = new QueueEvents('xp-jobs', { connection: eventsRedis, prefix: 'xp' });
await events.waitUntilReady();
const firstReport = new Map<string, number>();
events.on('progress', ({ jobId }) => {
  if (!firstReport.has(jobId)) firstReport.set(jobId, Date.now());
});
const queue = new Queue('xp-jobs', { connection: queueRedis, prefix: 'xp' });

const rows: Array<{ taken: number; training: number; done: number }> = [];
for (let i = 0; i < jobs; i++) {
  await new Promise((r) => setTimeout(r, IDLE_MS));
  // One job, a learning rate of its own, so the run cache has nothing for it.
  const spec = join(dir, 'follower', `one-${i}.yaml`);
  writeFileSync(
    spec,
    `name: queue-latency
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 157, lr: ${(0.3 + i / 1000).toFixed(3)}}
constraints: {maxGradientError: 1.0e-8}
tracking: {experiment: queue-latency-${Date.now()}}
`,
  );
  const follower = startXp(['run', spec, '--queue', queueUrl], join(dir, 'follower'), env);
  if ((await follower.exited) !== 0) throw new Error(`xp run failed:\n${follower.stderr()}`);
  const [job] = (await queue.getJobs(['completed'])).sort((a, b) => b.timestamp - a.timestamp);
  const row = { taken: job.processedOn! - job.timestamp, training: (firstReport.get(job.id!) ?? NaN) - job.timestamp, done: job.finishedOn! - job.timestamp };
  rows.push(row);
  console.log(`job ${i + 1}: taken ${(row.taken / 1000).toFixed(3)} s, first report ${(row.training / 1000).toFixed(3)} s, done ${(row.done / 1000).toFixed(3)} s after enqueue (by ${job.processedBy})`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] / 1000;
const max = (xs: number[]) => Math.max(...xs) / 1000;
for (const key of ['taken', 'training', 'done'] as const) {
  console.log(`enqueue → ${key.padEnd(8)} median ${median(rows.map((r) => r[key])).toFixed(3)} s, max ${max(rows.map((r) => r[key])).toFixed(3)} s`);
}

await events.close();
await queue.close();
eventsRedis.disconnect();
queueRedis.disconnect();
for (const child of started) child.kill('SIGKILL');
await Promise.allSettled([redis.kill(), mlflow?.kill()]);
process.exit(0);
