import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cnnSpecOf, resolveSpecValue } from '@xp/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricPoint, TrackedRun } from '@xp/tracking';
import type { RunContext } from '../../types.ts';
import { oneCycleRate } from './schedule.ts';
import { trainCnn } from './train-cnn.ts';

// Dropout folded into the fused batch-norm layer; ./train-cnn-parallel.test.ts resumes runs with
// standalone dropout layers, augmentation and worker threads.
const spec = resolveSpecValue({
  name: 'tiny',
  kind: 'cnn-classifier',
  seed: 5,
  data: { trainLimit: 160, testLimit: 50 },
  model: {
    blocks: {
      all: [{ conv2d: { filters: 4, kernel: 3, stride: 2 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.25 }, { maxpool: { size: 2 } }, 'flatten', { dense: { units: 10 } }, 'log-softmax'],
    },
  },
  train: { epochs: 2, batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9, schedule: { type: 'one-cycle', maxLr: 0.1 } },
  constraints: { minTestAccuracy: 0.01, judge: { lastN: 2 } },
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function context(signal: AbortSignal, resumeFrom?: string) {
  const artifactDir = mkdtempSync(join(tmpdir(), 'xp-train-test-'));
  dirs.push(artifactDir);
  const metrics: MetricPoint[] = [];
  const lines: string[] = [];
  const run: TrackedRun = {
    runId: 'r',
    experimentId: '0',
    artifactDir,
    logParams: async () => {},
    logMetrics: async (points) => void metrics.push(...points),
    setTags: async () => {},
    logArtifact: async () => {},
    end: async () => {},
  };
  const ctx: RunContext = { spec, variantName: 'tiny', specFile: join(artifactDir, 'spec.yaml'), run, backend: 'cpu', log: (l) => void lines.push(l), signal, resumeFrom };
  return { ctx, metrics, lines, artifactDir };
}

/** Aborts after the loop has checked it `checks` times, i.e. after that many batches. */
function abortAfter(checks: number): AbortSignal {
  let seen = 0;
  return { get aborted() { return ++seen > checks; } } as AbortSignal;
}

describe('trainCnn', () => {
  it('an interrupted and resumed run ends exactly where an uninterrupted one does', async () => {
    const whole = context(new AbortController().signal);
    const straight = await trainCnn(whole.ctx);
    expect(straight.status).toBe('passed');
    expect(straight.metrics.epochs).toBe(2);
    expect(whole.lines.filter((l) => l.startsWith('Test set: Average loss:'))).toHaveLength(2);
    expect(straight.message).toMatch(/lowest accuracy of the last 2 epochs/);
    // One-cycle over 2 epochs of 5 batches: the rate logged for an epoch is its first batch's.
    const lrs = whole.metrics.filter((p) => p.key === 'lr').map((p) => p.value);
    const schedule = cnnSpecOf(spec).train.schedule;
    if (schedule?.type !== 'one-cycle') throw new Error('the test spec has a one-cycle schedule');
    expect(lrs).toEqual([oneCycleRate(schedule, 0, 10), oneCycleRate(schedule, 5, 10)]);

    const first = context(abortAfter(7));
    const killed = await trainCnn(first.ctx);
    expect(killed.status).toBe('killed');
    expect(killed.message).toBe('interrupted at epoch 2, batch 3');
    expect(killed.metrics.epochs).toBe(1);

    const second = context(new AbortController().signal, first.artifactDir);
    const resumed = await trainCnn(second.ctx);
    expect(resumed.status).toBe('passed');
    expect(resumed.metrics).toEqual(straight.metrics);
    // The new run gets the earlier epoch's points too, so its curves are complete.
    expect(second.metrics.filter((p) => p.key === 'test_accuracy').map((p) => p.step)).toEqual([1, 2]);
  }, 300_000);

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await trainCnn(context(new AbortController().signal).ctx);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
