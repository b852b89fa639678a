import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, type CnnModelSpec } from '@xp/models';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILES, loadCheckpointModel, restoreCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { createOptimizer } from './optimizer.ts';
import { makeTrainStep, trainableVariables } from './step.ts';

// Every layer kind whose state or serialisation could go wrong: padding, batch norm, both dropouts.
const spec: CnnModelSpec = {
  input: [1, 8, 8],
  classes: 3,
  blocks: {
    features: [{ conv2d: { filters: 4, kernel: 3, padding: 1 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.1 }, { maxpool: { size: 2 } }],
    head: ['global-avg-pool', { dropout: 0.2 }, { dense: { units: 3 } }, 'log-softmax'],
  },
};

const dir = mkdtempSync(join(tmpdir(), 'xp-checkpoint-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
const predict = (model: tf.LayersModel): number[] => Array.from((model.apply(x, { training: false }) as tf.Tensor).dataSync());

function trained(seed: number) {
  const model = buildModel(spec, { seed });
  const variables = trainableVariables(model);
  const optimizer = createOptimizer(variables, { name: 'sgd', momentum: 0.9, weightDecay: 0 });
  const step = makeTrainStep(model, variables, optimizer);
  return { model, optimizer, step };
}

describe('checkpoints', () => {
  const run = trained(1);
  for (let i = 0; i < 3; i++) run.step(x, labels, 0.1).dispose();
  const progress = { epoch: 1, batch: 2, partial: { lossSum: 1.5, images: 12, seconds: 0.5 }, history: [], seed: 1 };
  const checkpoint = join(dir, 'checkpoint');

  it('writes tfjs file format: model.json naming weights.bin, plus optimizer and state', async () => {
    const files = await saveCheckpoint(checkpoint, run.model, run.optimizer, progress);
    for (const name of Object.values(CHECKPOINT_FILES)) expect(existsSync(join(checkpoint, name))).toBe(true);
    expect(Object.keys(files)).toContain('checkpoint/model.json');
    const modelJson = JSON.parse(readFileSync(join(checkpoint, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['./weights.bin']);
    const bytes = modelJson.weightsManifest[0].weights.reduce((n: number, w: { shape: number[] }) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(readFileSync(join(checkpoint, 'weights.bin')).byteLength).toBe(bytes);
  });

  it('loads with tf.loadLayersModel and predicts the same, batch-norm running statistics included', async () => {
    const loaded = await loadCheckpointModel(checkpoint);
    expect(predict(loaded)).toEqual(predict(run.model));
    loaded.dispose();
  });

  it('resumes: a differently seeded model and fresh optimizer take the same next step', () => {
    const other = trained(99);
    expect(predict(other.model)).not.toEqual(predict(run.model));
    const state = restoreCheckpoint(checkpoint, other.model, other.optimizer);
    expect(state).toMatchObject({ epoch: 1, batch: 2, seed: 1, partial: progress.partial });
    expect(predict(other.model)).toEqual(predict(run.model));
    // With momentum restored, the same gradient moves both models alike (fixed gradients, so
    // dropout masks, which do not survive a restart, play no part).
    const gradients = trainableVariables(run.model).map((v) => tf.onesLike(v));
    run.optimizer.apply(gradients, 0.1);
    other.optimizer.apply(gradients, 0.1);
    expect(predict(other.model)).toEqual(predict(run.model));
  });

  it('a second save replaces the first whole', async () => {
    await saveCheckpoint(checkpoint, run.model, run.optimizer, { ...progress, epoch: 2, batch: 0 });
    expect(existsSync(`${checkpoint}.saving`)).toBe(false);
    expect(existsSync(`${checkpoint}.previous`)).toBe(false);
    expect(JSON.parse(readFileSync(join(checkpoint, 'state.json'), 'utf8')).epoch).toBe(2);
  });
});
