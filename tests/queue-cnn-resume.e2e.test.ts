/**
 * A CNN job through the queue whose worker is killed (SIGKILL) after its first epoch: the next worker,
 * in a directory of its own (no shared disk), fetches the checkpoint from the MLflow server's artifact
 * store, resumes at epoch 2 in the same run, and the run ends with both epochs, each logged once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from './fixtures/redis-server.ts';
import { tempDir, XP_BIN } from './helpers.ts';

const CNN = `name: cnn-queue-resume
kind: cnn-classifier
seed: 3
backend: wasm
data: {trainLimit: 3000, testLimit: 500}
model:
  blocks:
    features:
      - conv2d: {filters: 8, kernel: 3}
      - relu
      - batchnorm
      - maxpool: {size: 2}
      - conv2d: {filters: 16, kernel: 3}
      - relu
      - batchnorm
      - maxpool: {size: 2}
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: 2, batchSize: 64, optimizer: adam, lr: 0.01}
constraints:
  minTestAccuracy: 0.5
  requireLayers: [batchnorm, dropout, dense]
`;
const LONG = 900_000;

interface Running {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  exited: Promise<number>;
}

function startXp(args: string[], cwd: string): Running {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : -1))));
  return { child, output: () => stderr, stdout: () => stdout, exited };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface WireRun {
  info: { run_id: string; status: string; artifact_uri: string };
  data: { tags?: Array<{ key: string; value: string }> };
}

async function call<T>(url: string, endpoint: string, body: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<T> {
  const query = method === 'GET' ? `?${new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)]))}` : '';
  const response = await fetch(`${url}/api/2.0/mlflow/${endpoint}${query}`, {
    method,
    headers: { 'Content-Type': 'application/json', Connection: 'close' },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${endpoint}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function jobRuns(url: string): Promise<Array<WireRun & { tags: Record<string, string> }>> {
  const found = await call<{ experiment?: { experiment_id: string } }>(url, 'experiments/get-by-name', { experiment_name: 'cnn-queue-resume' }, 'GET').catch(() => ({ experiment: undefined }));
  if (!found.experiment) return [];
  const { runs = [] } = await call<{ runs?: WireRun[] }>(url, 'runs/search', { experiment_ids: [found.experiment.experiment_id] });
  return runs.map((run) => ({ ...run, tags: Object.fromEntries((run.data.tags ?? []).map(({ key, value }) => [key, value])) })).filter((run) => run.tags['xp.jobHash'] !== undefined);
}

async function history(url: string, runId: string, key: string): Promise<Array<{ step: number; value: number }>> {
  const { metrics = [] } = await call<{ metrics?: Array<{ step: number; value: number }> }>(url, 'metrics/get-history', { run_id: runId, metric_key: key }, 'GET');
  return metrics.map(({ step, value }) => ({ step: Number(step), value: Number(value) })).sort((a, b) => a.step - b.step);
}

/** The checkpoint's state.json in the run's artifact store, or undefined while it is not there. */
async function checkpointState(url: string, run: WireRun): Promise<{ epoch: number } | undefined> {
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const response = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${root}/checkpoint/state.json`, { headers: { Connection: 'close' } });
  return response.ok ? ((await response.json()) as { epoch: number }) : undefined;
}

const skip = redisSkipReason() ?? mlflowSkipReason();
describe.skipIf(skip !== null)(`a CNN job whose worker is killed after epoch 1${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = tempDir('xp-queue-cnn-e2e-');
  let redis: RedisServer | undefined;
  let server: MlflowServer | undefined;
  const started: Running[] = [];
  afterAll(async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    await Promise.allSettled([redis?.kill(), server?.kill()]);
  });

  it(
    'resumes on another worker from the checkpoint in the artifact store: same run, epochs 1 and 2 each once',
    async () => {
      mkdirSync(join(dir, 'redis'));
      mkdirSync(join(dir, 'mlflow'));
      [redis, server] = await Promise.all([startRedisServer(join(dir, 'redis')), startMlflowServer(join(dir, 'mlflow'))]);
      const url = server.url;
      mkdirSync(join(dir, 'spec'));
      writeFileSync(join(dir, 'spec', 'cnn.yaml'), CNN);
      const workerArgs = ['worker', '--queue', redis.url, '--tracking-uri', url, '--exit-when-idle', '--lock-seconds', '5', '--cores', '1'];

      const follower = startXp(['run', 'cnn.yaml', '--queue', redis.url, '--tracking-uri', url, '--json'], join(dir, 'spec'));
      started.push(follower);
      await waitFor('the job to be enqueued', async () => (/1 job\(s\) enqueued/.test(follower.output()) ? true : undefined), 300_000);
      const first = startXp(workerArgs, join(dir, 'worker-a'));
      started.push(first);

      // Killed once epoch 1 is logged and its checkpoint is in the artifact store, during epoch 2.
      const { run, epoch1 } = await waitFor(
        'epoch 1 and its checkpoint on the server',
        async () => {
          const [run] = await jobRuns(url);
          if (!run || run.info.status !== 'RUNNING') return undefined;
          const accuracy = await history(url, run.info.run_id, 'test_accuracy');
          if (accuracy.length !== 1 || (await checkpointState(url, run))?.epoch !== 1) return undefined;
          return { run, epoch1: accuracy[0] };
        },
        600_000,
      );
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(137);
      // Killed during epoch 2 (its progress bar may have started; its end line must not be there).
      expect(first.output()).not.toMatch(/epoch 2\/2: train loss/);

      const second = startXp(workerArgs, join(dir, 'worker-b'));
      started.push(second);
      expect(await follower.exited, `${follower.output()}\n--- second worker ---\n${second.output()}`).toBe(0);
      expect(await second.exited, second.output()).toBe(0);

      const report = JSON.parse(follower.stdout().trim().split('\n').pop()!) as { runs: Array<{ runId: string; status: string; metrics: Record<string, number> }> };
      expect(report.runs).toHaveLength(1);
      expect(report.runs[0]).toMatchObject({ runId: run.info.run_id, status: 'passed' });
      expect(report.runs[0].metrics.epochs).toBe(2);

      // The second worker continued the same run from the checkpoint: it trained epoch 2 only.
      expect(second.output()).toMatch(new RegExp(`continuing run ${run.info.run_id} of an earlier attempt from its checkpoint`));
      expect(second.output()).toMatch(/resuming from .*: epoch 2, batch 0, 1 epoch\(s\) done/);
      expect(second.output()).toMatch(/epoch 2\/2: train loss/);
      expect(second.output()).not.toMatch(/epoch 1\/2/);

      const runs = await jobRuns(url);
      expect(runs.map((r) => [r.info.run_id, r.info.status])).toEqual([[run.info.run_id, 'FINISHED']]);
      expect(runs[0].tags['xp.resumedAt']).toBeDefined();
      for (const key of ['test_accuracy', 'train_loss', 'test_loss', 'lr']) {
        expect((await history(url, run.info.run_id, key)).map((p) => p.step), key).toEqual([1, 2]);
      }
      // Epoch 1 as the killed worker logged it.
      expect((await history(url, run.info.run_id, 'test_accuracy'))[0]).toEqual(epoch1);
      expect((await checkpointState(url, runs[0]))?.epoch).toBe(2);
    },
    LONG,
  );
});
