/**
 * xp run's cnn-classifier on data-parallel worker threads (train.workers, train.parallelism
 * data-parallel), and resumes that change nothing:
 * tiny runs on slices of MNIST with every source of randomness on (shuffling, augmentation, dropout
 * folded into batch norm, a standalone Dropout2d and an elementwise dropout).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveSpecValue, type ExperimentSpec, type ResolvedSpec } from '@xp/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricPoint, TrackedRun } from '@xp/tracking';
import type { RunContext } from '../../types.ts';
import type { ResolvedCnnSpec } from '@xp/core';
import type { ImageSet } from '@xp/data';
import { selectBackend } from '@xp/engine';
import { evaluate } from './evaluate.ts';
import { buildTrainingSetup } from './model.ts';
import { planWorkers, startDataParallel, type WorkersSetting } from './parallel.ts';
import { trainCnn, type TrainCnnOptions } from './train-cnn.ts';

/** 147 images in batches of 32: four whole batches and a last one of 19 (9 + 10 rows on 2 workers). */
const base: ExperimentSpec = {
  name: 'tiny-parallel',
  kind: 'cnn-classifier',
  seed: 3,
  data: { trainLimit: 147, testLimit: 60, augment: { rotation: 10, shift: 0.1 } },
  model: {
    blocks: {
      all: [
        { conv2d: { filters: 4, kernel: 3, stride: 2 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.25 },
        { conv2d: { filters: 4, kernel: 3 } }, { 'spatial-dropout': 0.2 },
        { maxpool: { size: 2 } }, 'flatten', { dropout: 0.3 }, { dense: { units: 10 } }, 'log-softmax',
      ],
    },
  },
  train: { epochs: 2, batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9, schedule: { type: 'one-cycle', maxLr: 0.1 }, parallelism: 'data-parallel' },
  constraints: { minTestAccuracy: 0.01 },
};

const withTrain = (train: NonNullable<ExperimentSpec['train']>, backend = 'wasm'): ResolvedSpec =>
  resolveSpecValue({ ...base, backend: backend as ExperimentSpec['backend'], train: { ...base.train, ...train } });

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function context(spec: ResolvedSpec, signal: AbortSignal, resumeFrom?: string) {
  const artifactDir = mkdtempSync(join(tmpdir(), 'xp-parallel-test-'));
  dirs.push(artifactDir);
  const metrics: MetricPoint[] = [];
  const lines: string[] = [];
  const tags: Record<string, string> = {};
  const run: TrackedRun = {
    runId: 'r',
    experimentId: '0',
    artifactDir,
    logParams: async () => {},
    logMetrics: async (points) => void metrics.push(...points),
    setTags: async (t) => void Object.assign(tags, t),
    logArtifact: async () => {},
    end: async () => {},
  };
  const ctx: RunContext = {
    spec, variantName: 'tiny', specFile: join(artifactDir, 'spec.yaml'), run, backend: spec.backend ?? 'wasm',
    log: (l) => void lines.push(l), signal, resumeFrom, cpuShare: 2,
  };
  return { ctx, metrics, lines, tags, artifactDir };
}

/** Aborted from the training loop's check after its `batches`-th batch on. */
function abortAfter(batches: number): AbortSignal {
  let seen = 0;
  return { get aborted() { return ++seen >= batches; } } as AbortSignal;
}

const never = () => new AbortController().signal;

/** Every per-epoch point but the wall time. */
const curves = (points: MetricPoint[]) => points.filter((p) => p.key !== 'epoch_time_s').map(({ key, value, step }) => ({ key, value, step }));

async function train(spec: ResolvedSpec, options?: TrainCnnOptions) {
  const c = context(spec, never());
  const outcome = await trainCnn(c.ctx, options);
  expect(outcome.status, outcome.message).toBe('passed');
  return { outcome, ...c };
}

/** Runs shared by several tests, trained once. */
const once = <T>(fn: () => Promise<T>): (() => Promise<T>) => {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
};
const singleRun = once(() => train(withTrain({ workers: 1 })));
const twoWorkerRun = once(async () => {
  const before = tf.memory().numTensors;
  const run = await train(withTrain({ workers: 2 }));
  return { ...run, leftTensors: tf.memory().numTensors - before };
});

/** Interrupted after `batches` batches, then resumed into a new run. */
async function interruptedAndResumed(spec: ResolvedSpec, batches: number) {
  const first = context(spec, abortAfter(batches));
  const killed = await trainCnn(first.ctx);
  expect(killed.status).toBe('killed');
  const second = context(spec, never(), first.artifactDir);
  const resumed = await trainCnn(second.ctx);
  expect(resumed.status, resumed.message).toBe('passed');
  return { killed, resumed, first, second };
}

describe('planWorkers', () => {
  const env = { cores: 2, backend: 'wasm', batchSize: 128, trainCount: 60_000 };
  const dp = (workers: WorkersSetting, e = env) => planWorkers({ workers, parallelism: 'data-parallel' }, e);
  const kt = (workers: WorkersSetting, e = env) => planWorkers({ workers, parallelism: 'kernel-threads' }, e);
  it('auto (the default) takes the run\'s share of the cores, as kernel threads unless data-parallel is asked for', () => {
    expect(planWorkers({ workers: undefined }, env)).toEqual({ workers: 1, kernelThreads: 2 });
    expect(kt('auto', { ...env, cores: 16 })).toEqual({ workers: 1, kernelThreads: 16 });
    expect(kt(3)).toEqual({ workers: 1, kernelThreads: 3 });
    expect(dp(undefined)).toEqual({ workers: 2, kernelThreads: 1 });
    expect(dp('auto', { ...env, cores: 1 })).toEqual({ workers: 1, kernelThreads: 1 });
    expect(kt('auto', { ...env, cores: 1 })).toEqual({ workers: 1, kernelThreads: 1 });
    expect(dp('auto', { ...env, cores: 16 })).toEqual({ workers: 16, kernelThreads: 1 });
    expect(dp(1)).toEqual({ workers: 1, kernelThreads: 1 });
    expect(dp(4)).toEqual({ workers: 4, kernelThreads: 1 });
  });
  it('kernel threads take any batch; data parallelism falls back to one thread, with a note, where it cannot run', () => {
    expect(kt(2, { ...env, batchSize: 7, trainCount: 129 })).toEqual({ workers: 1, kernelThreads: 2 });
    expect(kt(2, { ...env, backend: 'cpu' })).toEqual({ workers: 1, kernelThreads: 1, note: expect.stringMatching(/one thread.*kernel threads need the wasm backend \(not cpu\)/) });
    expect(dp(2, { ...env, backend: 'cpu' })).toEqual({ workers: 1, kernelThreads: 1, note: expect.stringMatching(/one thread.*workers need the wasm backend \(not cpu\)/) });
    expect(dp(3)).toEqual({ workers: 1, kernelThreads: 1, note: expect.stringMatching(/batch size 128 does not divide into 3 workers/) });
    expect(dp(2, { ...env, trainCount: 129 })).toEqual({ workers: 1, kernelThreads: 1, note: expect.stringMatching(/last batch \(1 images\)/) });
    // auto takes the most cores the batch divides into.
    expect(dp('auto', { ...env, cores: 3 })).toEqual({ workers: 2, kernelThreads: 1, note: expect.stringMatching(/2 workers, since batch size 128 does not divide into 3/) });
  });
});

describe('trainCnn on worker threads', () => {
  it('the threaded path on one worker gives exactly the single-thread run', async () => {
    const spec = withTrain({ workers: 1 });
    const single = await singleRun();
    expect(single.tags['xp.threads']).toBe('1');
    expect(single.tags['xp.workers']).toBeUndefined();
    // Forced through a worker thread: state pushed in, steps at the schedule's rates, weights,
    // running statistics and optimizer state pulled back for evaluation.
    const threaded = await train(spec, { threadedFrom: 1 });
    expect(threaded.tags['xp.workers']).toBe('1');
    expect(curves(threaded.metrics)).toEqual(curves(single.metrics));
    expect(threaded.outcome.metrics).toEqual(single.outcome.metrics);
  }, 600_000);

  it('two workers: the same seed gives the same run, close to the single-thread one', async () => {
    const spec = withTrain({ workers: 2 });
    const a = await twoWorkerRun();
    expect(a.leftTensors).toBe(0);
    expect(a.tags['xp.threads']).toBe('2');
    expect(a.lines).toContain('backend wasm (2 threads: data-parallel on 2 workers)');
    const b = await train(spec);
    expect(curves(b.metrics)).toEqual(curves(a.metrics));
    expect(b.outcome.metrics).toEqual(a.outcome.metrics);

    // The workers' masks are rows of the single thread's, and batch norm is synchronized, so the
    // runs differ only by float summation order.
    const single = await singleRun();
    const loss = (r: typeof single) => r.outcome.metrics.test_loss;
    expect(Math.abs(loss(a) - loss(single)) / loss(single)).toBeLessThan(1e-3);
    expect(Math.abs(a.outcome.metrics.train_loss - single.outcome.metrics.train_loss) / single.outcome.metrics.train_loss).toBeLessThan(1e-3);
  }, 600_000);

  it('falls back to one thread with a note where it cannot run', async () => {
    const c = context(resolveSpecValue({ ...withTrain({ workers: 2, epochs: 1 }, 'cpu'), data: { trainLimit: 64, testLimit: 20 } }), never());
    expect((await trainCnn(c.ctx)).status).toBe('passed');
    expect(c.tags['xp.threads']).toBe('1');
    expect(c.lines.filter((l) => l.startsWith('train.workers: 2: one thread'))).toHaveLength(1);
  }, 300_000);
});

describe('a resumed run ends exactly where an uninterrupted one does', () => {
  it('on one thread, interrupted in epoch 1 (dropout, augmentation, shuffling)', async () => {
    const spec = withTrain({ workers: 1 });
    const straight = await singleRun();
    const { killed, resumed, first, second } = await interruptedAndResumed(spec, 2);
    expect(killed.message).toBe('interrupted at epoch 1, batch 2');
    expect(first.lines.some((l) => l.startsWith('Test set:'))).toBe(false);
    expect(resumed.metrics).toEqual(straight.outcome.metrics);
    expect(curves(second.metrics)).toEqual(curves(straight.metrics));
  }, 600_000);

  it('on two workers, interrupted in epoch 1', async () => {
    const spec = withTrain({ workers: 2 });
    const straight = await twoWorkerRun();
    const { killed, resumed, second } = await interruptedAndResumed(spec, 3);
    expect(killed.message).toBe('interrupted at epoch 1, batch 3');
    expect(resumed.metrics).toEqual(straight.outcome.metrics);
    expect(curves(second.metrics)).toEqual(curves(straight.metrics));
  }, 600_000);
});

describe('evaluation on two workers', () => {
  it('gives the single-thread totals and predictions to the bit, the batches split over the workers', async () => {
    // The workers compute on wasm; so must this thread, for the same bits.
    await selectBackend('wasm');
    const spec = withTrain({ workers: 2 }) as ResolvedCnnSpec;
    const setup = buildTrainingSetup(spec);
    const parallel = await startDataParallel(spec, { workers: 2, batchSize: 32, imageShape: [28, 28, 1], maxParams: setup.model.countParams() });
    try {
      await parallel.push(setup.model, setup.optimizer);
      // 2,345 images: nine batches of 250 and one of 95, the first five on one worker, the others on the second.
      const count = 2345;
      const images = new Float32Array(count * 784).map((_, i) => Math.sin(i * 0.37) * 1.5);
      const labels = new Uint8Array(count).map((_, i) => (i * 7) % 10);
      const set: ImageSet = { count, height: 28, width: 28, channels: 1, images, labels, background: 0 };
      const here = await evaluate(setup.model, set);
      const there = await evaluate(setup.model, set, { on: parallel });
      expect(there).toEqual(here);
      expect(here.correct).toBeGreaterThan(0);
      // With every image's prediction (what the run's pictures draw), the same to the bit as well.
      const detailed = await evaluate(setup.model, set, { on: parallel, predictions: true });
      const single = await evaluate(setup.model, set, { predictions: true });
      expect(detailed).toEqual(single);
      expect(detailed.loss).toBe(here.loss);
      expect(new Set(detailed.predictions!.predicted).size).toBeGreaterThan(1);
    } finally {
      await parallel.close();
      setup.dispose();
    }
  });
});
