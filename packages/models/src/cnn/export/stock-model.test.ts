import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../build.ts';
import type { CnnModelSpec } from '../layers.ts';
import { SEED_NETWORK } from '../seed-network.ts';
import { buildStockModel, copyTrainedWeights, StockExportError, stockModelOf } from './stock-model.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The class names tfjs-layers itself registers; xp's start with Xp. */
const classNames = (model: tf.LayersModel): string[] =>
  ((model.toJSON(undefined, false) as { config: { layers: { class_name: string }[] } }).config.layers).map((layer) => layer.class_name);

/** Gives every weight a distinct non-trivial value, so a weight copied to the wrong place shows. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(model.weights.map((w, i) => tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', seed + i)));
}

describe('the stock form of the seed network', () => {
  const trained = buildModel(SEED_NETWORK, { seed: 1 });
  randomizeWeights(trained, 7);
  const stock = stockModelOf(SEED_NETWORK, trained);

  it('holds only TensorFlow.js layer classes: no dropout, softmax at the end', () => {
    const names = classNames(stock);
    expect(names.filter((name) => name.startsWith('Xp'))).toEqual([]);
    expect(classNames(trained).some((name) => name.startsWith('Xp'))).toBe(true);
    expect(names).not.toContain('Dropout');
    expect(names.at(-1)).toBe('Softmax');
    expect(names.filter((name) => name === 'BatchNormalization')).toHaveLength(
      classNames(trained).filter((name) => name === 'BatchNormalization').length,
    );
  });

  it('computes the probabilities the trained model gives (exp of its log-softmax)', () => {
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 3);
    const expected = tf.tidy(() => tf.exp(trained.apply(x, { training: false }) as tf.Tensor).arraySync() as number[][]);
    const got = tf.tidy(() => (stock.predict(x) as tf.Tensor).arraySync() as number[][]);
    x.dispose();
    for (let i = 0; i < expected.length; i++) for (let c = 0; c < 10; c++) expect(Math.abs(got[i][c] - expected[i][c])).toBeLessThan(1e-6);
    expect(got[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('adds a softmax when the network ends in raw scores', () => {
    const logits: CnnModelSpec = { input: [1, 8, 8], classes: 3, blocks: { head: ['flatten', { dense: { units: 3 } }] } };
    const plain = buildModel(logits, { seed: 2 });
    randomizeWeights(plain, 1);
    const exported = stockModelOf(logits, plain);
    expect(classNames(exported).at(-1)).toBe('Softmax');
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 5);
    const expected = tf.tidy(() => tf.softmax(plain.predict(x) as tf.Tensor).arraySync() as number[][]);
    const got = tf.tidy(() => (exported.predict(x) as tf.Tensor).arraySync() as number[][]);
    x.dispose();
    for (let i = 0; i < 2; i++) for (let c = 0; c < 3; c++) expect(got[i][c]).toBeCloseTo(expected[i][c], 6);
  });

  it('refuses a log-softmax that is not the last layer, naming it', () => {
    const inner: CnnModelSpec = { input: [1, 8, 8], classes: 3, blocks: { head: ['flatten', 'log-softmax', { dense: { units: 3 } }] } };
    expect(() => buildStockModel(inner)).toThrow(StockExportError);
    expect(() => buildStockModel(inner)).toThrow(/layer 2 \(model\.blocks\.head\.1\): log-softmax .* only as the last layer/);
  });

  it('refuses weights of another network instead of leaving layers untrained', () => {
    const other: CnnModelSpec = { input: [1, 8, 8], classes: 3, blocks: { head: ['flatten', { dense: { units: 3 } }, 'log-softmax'] } };
    const wider: CnnModelSpec = { input: [1, 8, 8], classes: 4, blocks: { head: ['flatten', { dense: { units: 4 } }, 'log-softmax'] } };
    expect(() => copyTrainedWeights(buildModel(wider, { seed: 1 }), buildStockModel(other))).toThrow(/does not match the stock weight/);
  });
});
