import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, SEED_NETWORK } from '@xp/models';
import { selectBackend } from '@xp/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileLoadHandler } from '../train/checkpoint.ts';
import { fusedBuilders } from '../train/fused-layers.ts';
import { writeExportedModel } from './export-model.ts';
import { ModelFolderError, readModelMetadata } from './model-metadata.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('writeExportedModel on the seed network as xp trains it (fused layers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xp-export-model-'));
  const trained = buildModel(SEED_NETWORK, { seed: 4, builders: fusedBuilders(SEED_NETWORK) });
  // Trained-looking state: batch-norm statistics away from 0 and 1, so a stat left at its initial value shows.
  trained.setWeights(trained.weights.map((w, i) => tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', 100 + i)));

  it('writes model/ whose model.json names no xp layer and whose metadata reads back', async () => {
    const files = await writeExportedModel(dir, {
      model: SEED_NETWORK,
      trained,
      normalization: { mean: [0.1307], std: [0.3081] },
      classNames: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
      runId: 'abc123',
      variant: 'seed',
    });
    expect(Object.keys(files).sort()).toEqual(['model/model.json', 'model/weights.bin', 'model/xp-model.json']);
    const text = readFileSync(files['model/model.json'], 'utf8');
    expect(text).not.toMatch(/"class_name":"Xp/);
    expect(text).toMatch(/"class_name":"BatchNormalization"/);
    const meta = readModelMetadata(join(dir, 'model'));
    expect(meta.input).toEqual({ height: 28, width: 28, channels: 1, layout: 'NHWC' });
    expect(meta.normalization).toEqual({ divideBy: 255, mean: [0.1307], std: [0.3081] });
    expect(meta.classes[5]).toBe('five');
    expect(meta.output).toBe('probabilities');
  });

  it("loads with tf.loadLayersModel and gives the probabilities xp's evaluation gives (1e-5)", async () => {
    const stock = await tf.loadLayersModel(fileLoadHandler(join(dir, 'model')));
    const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 9);
    const expected = tf.tidy(() => tf.exp(tf.logSoftmax(trained.apply(x, { training: false }) as tf.Tensor)).dataSync());
    const got = tf.tidy(() => (stock.predict(x) as tf.Tensor).dataSync());
    x.dispose();
    expect(got.length).toBe(80);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('names the file when a folder is not an exported model', () => {
    expect(() => readModelMetadata(tmpdir())).toThrow(ModelFolderError);
    expect(() => readModelMetadata(tmpdir())).toThrow(/xp-model\.json: not found/);
  });
});
