/**
 * The run cache and the files a job reads beyond its spec (ExperimentKind.inputsKey), through the real
 * `xp` binary: a command-kind script run twice is answered from the cache the second time, and trained
 * again once the script is edited; a CNN on a tiny image folder likewise, once one image changes.
 * `xp plan` tells the same (its lookup hashes the job as `xp run` does), and so do the queue's dedupe and
 * a worker (the key travels in the job).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDigitFolder } from '../packages/data/src/datasets/mnist-fixtures.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from './fixtures/redis-server.ts';
import { tempDir, XP_BIN, xp } from './helpers.ts';

interface RunJson {
  runs: Array<{ name: string; runId: string; status: string; cached?: boolean; metrics: Record<string, number> }>;
}
interface PlanJson {
  runs: Array<{ name: string; cached: string | null }>;
}
const lastJson = <T>(result: ReturnType<typeof xp>): T => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
};

describe('the run cache and a command-kind script', () => {
  const dir = tempDir('xp-cache-command-');
  const script = (score: number) => `console.log(JSON.stringify({ step: 1, metrics: { score: ${score} } }));\n`;
  writeFileSync(join(dir, 'score.mjs'), script(0.5));
  writeFileSync(join(dir, 'spec.yaml'), `name: scored\nkind: command\ncommand: [node, score.mjs, --lr, '\${params.lr}']\nparams: {lr: 0.1}\n`);
  const env = { XP_DATASET_CACHE: join(dir, 'cache') };
  const run = () => lastJson<RunJson>(xp(['run', 'spec.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env })).runs[0];
  const plan = () => {
    const result = xp(['plan', 'spec.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as PlanJson).runs[0];
  };

  it('answers the second run from the cache, and trains again after the script is edited', () => {
    const first = run();
    expect(first).toMatchObject({ status: 'passed', metrics: { score: 0.5 } });
    expect(first.cached).toBeUndefined();
    expect(plan().cached).toBe(first.runId);

    const second = run();
    expect(second).toMatchObject({ cached: true, runId: first.runId });

    writeFileSync(join(dir, 'score.mjs'), script(0.75));
    expect(plan().cached).toBeNull();
    const third = run();
    expect(third.cached).toBeUndefined();
    expect(third.runId).not.toBe(first.runId);
    expect(third.metrics.score).toBe(0.75);
  });
});

describe('the run cache and an image-folder dataset', () => {
  const dir = tempDir('xp-cache-images-');
  writeDigitFolder(join(dir, 'digits/train'), { split: 'train', count: 100 });
  writeDigitFolder(join(dir, 'digits/test'), { split: 'test', count: 100 });
  writeFileSync(
    join(dir, 'tiny.yaml'),
    `name: tiny-folder
kind: cnn-classifier
seed: 1
backend: cpu
data: {dataset: image-folder, train: digits/train, test: digits/test, normalize: auto, validationSplit: 0, trainLimit: 60}
model:
  blocks:
    all: [{conv2d: {filters: 2, kernel: 3, stride: 2}}, relu, {maxpool: {size: 2}}, flatten, {dense: {units: 10}}, log-softmax]
train: {epochs: 1, batchSize: 30, optimizer: sgd, lr: 0.05, checkpoint: false, workers: 1}
`,
  );
  const env = { XP_DATASET_CACHE: join(dir, 'cache') };
  const run = () => lastJson<RunJson>(xp(['run', 'tiny.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env, timeoutMs: 170_000 })).runs[0];

  it('answers the second run from the cache, and trains again after one image changed', () => {
    const first = run();
    expect(first.status).toBe('passed');
    expect(first.cached).toBeUndefined();
    expect(run()).toMatchObject({ cached: true, runId: first.runId });

    // One training image replaced by another class's: same names, other bytes.
    const folder = join(dir, 'digits/train');
    const [seven] = readdirSync(join(folder, '7'));
    const [one] = readdirSync(join(folder, '1'));
    writeFileSync(join(folder, '7', seven), readFileSync(join(folder, '1', one)));
    const third = run();
    expect(third.status).toBe('passed');
    expect(third.cached).toBeUndefined();
    expect(third.runId).not.toBe(first.runId);
  });
});

/** `xp …` as a child this process keeps listening to (a worker runs beside it). */
function xpAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

const skip = redisSkipReason();
describe.skipIf(skip !== null)(`the run cache and a command-kind script through the queue${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = tempDir('xp-cache-queue-');
  const tracking = join(dir, 'mlruns');
  const env = { XP_DATASET_CACHE: join(dir, 'cache'), MLFLOW_TRACKING_URI: '' };
  let redis: RedisServer;
  let worker: ChildProcess;
  let workerOutput = '';
  beforeAll(async () => {
    mkdirSync(join(dir, 'redis'), { recursive: true });
    mkdirSync(tracking, { recursive: true });
    redis = await startRedisServer(join(dir, 'redis'));
    writeFileSync(join(dir, 'score.mjs'), 'console.log(JSON.stringify({ step: 1, metrics: { score: 0.5 } }));\n');
    writeFileSync(join(dir, 'spec.yaml'), `name: queued-score\nkind: command\ncommand: [node, score.mjs]\n`);
    worker = spawn(process.execPath, [XP_BIN, 'worker', '--queue', redis.url, '--tracking-uri', tracking], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (chunk) => (workerOutput += chunk));
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
  }, 120_000);
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await redis?.kill();
  });

  it('answers the same job from the cache, and queues and trains it again once the script changed', async () => {
    const run = async () => {
      const result = await xpAsync(['run', 'spec.yaml', '--json', '--queue', redis.url, '--shared-store', '--tracking-uri', tracking], dir, env);
      expect(result.code, `${result.stderr}\n--- worker ---\n${workerOutput}`).toBe(0);
      return (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs[0];
    };
    const first = await run();
    expect(first).toMatchObject({ status: 'passed', metrics: { score: 0.5 } });
    expect(await run()).toMatchObject({ cached: true, runId: first.runId });
    // Another queue job id as well: a job id the queue already holds would be taken as done.
    writeFileSync(join(dir, 'score.mjs'), 'console.log(JSON.stringify({ step: 1, metrics: { score: 0.25 } }));\n');
    const third = await run();
    expect(third.cached).toBeUndefined();
    expect(third.runId).not.toBe(first.runId);
    expect(third.metrics.score).toBe(0.25);
  }, 300_000);
});
