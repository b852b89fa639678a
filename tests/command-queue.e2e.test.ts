/**
 * Kind `command` with real parts: an MLflow server, a Redis and one `xp worker`.
 * - experiments/mlflow-fit.yaml: a script that logs through mlflow itself lands in xp's run once per
 *   point, and xp judges it from what it logged.
 * - The PyTorch example in a sliced lr sweep through the queue: the worker runs the script, ASHA stops
 *   the hopeless lr, the good one passes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore } from '@xp/tracking';
import { mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from './fixtures/redis-server.ts';
import { REPO, tempDir, XP_BIN, xp } from './helpers.ts';

const skip = redisSkipReason() ?? mlflowSkipReason();
describe.skipIf(skip !== null)(`kind command with an MLflow server and a queue${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = tempDir('xp-command-queue-');
  let redis: RedisServer;
  let server: MlflowServer;
  beforeAll(async () => {
    for (const sub of ['redis', 'mlflow']) mkdirSync(join(dir, sub), { recursive: true });
    [redis, server] = await Promise.all([startRedisServer(join(dir, 'redis')), startMlflowServer(join(dir, 'mlflow'))]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([redis?.kill(), server?.kill()]);
  });

  it('takes the metrics a script logs through mlflow into xp’s run, once each, and judges them', async () => {
    const result = xp(['run', join(REPO, 'experiments/mlflow-fit.yaml'), '--json', '--tracking-uri', server.url], { cwd: dir, timeoutMs: 300_000 });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(report.runs.map((r: { status: string }) => r.status)).toEqual(['passed', 'passed']);
    const store = openTrackingStore({ uri: server.url, cwd: dir, env: {} });
    for (const run of report.runs) {
      const points = await store.metricHistory(run.runId, 'mse');
      expect(points.map((p) => p.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(run.metrics.mse).toBe(points[points.length - 1].value);
    }
  }, 400_000);

  it('runs the PyTorch example through the queue on one worker, ASHA stopping the hopeless lr', async () => {
    const spec = join(REPO, 'tests/fixtures/command/torch-asha.yaml');
    const env = { ...process.env, MLFLOW_TRACKING_URI: '' };
    const sweep = spawn(process.execPath, [XP_BIN, 'run', spec, '--json', '--queue', redis.url, '--tracking-uri', server.url], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    sweep.stdout!.on('data', (chunk) => (stdout += chunk));
    sweep.stderr!.on('data', (chunk) => (stderr += chunk));
    const sweepExit = new Promise<number | null>((resolve) => sweep.on('exit', resolve));
    // The worker starts once the jobs are on the queue: with --exit-when-idle an earlier one would find it empty and leave.
    const deadline = Date.now() + 300_000;
    while (!stderr.includes('enqueued') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const worker: ChildProcess = spawn(process.execPath, [XP_BIN, 'worker', '--queue', redis.url, '--tracking-uri', server.url, '--exit-when-idle'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let workerOutput = '';
    worker.stdout!.on('data', (chunk) => (workerOutput += chunk));
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
    try {
      const code = await sweepExit;
      expect(code, `${stderr}\n--- worker ---\n${workerOutput}`).toBe(0);
      const report = JSON.parse(stdout.trim().split('\n').pop() as string);
      expect(report.runs.map((r: { name: string; status: string }) => [r.name, r.status])).toEqual([['lr=0.05', 'passed'], ['lr=0.00001', 'pruned']]);
      expect(workerOutput).toContain('[lr=0.05 seed=1]');
    } finally {
      worker.kill('SIGTERM');
      sweep.kill('SIGTERM');
    }
  }, 600_000);
});
