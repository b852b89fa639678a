import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build.ts';
import { SpatialDropout2D } from './custom-layers.ts';
import { SEED_NETWORK } from './seed-network.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const trainableCount = (model: tf.LayersModel): number =>
  model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a, b) => (a as number) * (b as number), 1)!, 0);

describe('buildModel on the seed network', () => {
  const model = buildModel(SEED_NETWORK, { seed: 1 });

  it('has 19,816 trainable weights and outputs [batch, 10] log-probabilities', () => {
    expect(trainableCount(model)).toBe(19_816);
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    const out = tf.tidy(() => model.predict(tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 1)) as tf.Tensor);
    expect(out.shape).toEqual([3, 10]);
    const probabilitySums = tf.tidy(() => tf.exp(out).sum(1)).dataSync();
    probabilitySums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    out.dispose();
  });

  it('pads as PyTorch does and keeps batch-norm in PyTorch terms', () => {
    const padded = model.layers.filter((l) => l.getClassName() === 'ZeroPadding2D');
    expect(padded).toHaveLength(2);
    const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    expect(bn.getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
  });

  it('initialises deterministically from the seed, with PyTorch’s uniform(±1/√fan_in)', () => {
    const again = buildModel(SEED_NETWORK, { seed: 1 });
    const other = buildModel(SEED_NETWORK, { seed: 2 });
    const first = (m: tf.LayersModel) => m.trainableWeights[0].read().dataSync();
    expect(Array.from(first(again))).toEqual(Array.from(first(model)));
    expect(Array.from(first(other))).not.toEqual(Array.from(first(model)));
    // The 16→32 conv: fan_in = 16·9 = 144, bound 1/12.
    const kernel = model.getLayer('09_conv1_conv2d').getWeights()[0];
    expect(kernel.shape).toEqual([3, 3, 16, 32]);
    const values = kernel.dataSync();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1 / 12);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 / 12);
    [again, other].forEach((m) => m.dispose());
  });

  it('survives save and load with its custom layers', async () => {
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const classes = loaded.layers.map((l) => l.getClassName());
    expect(classes).toContain('XpSpatialDropout2D');
    expect(classes).toContain('XpLogSoftmax');
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 3);
    const [a, b] = [model, loaded].map((m) => (m.predict(x) as tf.Tensor).dataSync());
    expect(Array.from(b)).toEqual(Array.from(a));
    tf.dispose(x);
    loaded.dispose();
  });
});

describe('SpatialDropout2D', () => {
  it('zeroes whole channels in training, scales the rest by 1/(1-p), and is the identity in inference', () => {
    const layer = new SpatialDropout2D({ rate: 0.5, seed: 7 });
    const x = tf.ones([4, 5, 5, 8]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const values = y.arraySync() as number[][][][];
    let zeroed = 0;
    for (const example of values) {
      for (let c = 0; c < 8; c++) {
        const channel = example.flatMap((row) => row.map((pixel) => pixel[c]));
        const distinct = new Set(channel);
        expect(distinct.size).toBe(1);
        const [v] = distinct;
        expect([0, 2]).toContain(v);
        if (v === 0) zeroed++;
      }
    }
    expect(zeroed).toBeGreaterThan(4);
    expect(zeroed).toBeLessThan(28);
    // A new mask at every training call.
    const y2 = layer.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(y2.dataSync())).not.toEqual(Array.from(y.dataSync()));
    const inference = layer.apply(x) as tf.Tensor;
    expect(Array.from(inference.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y, y2, inference]);
  });
});

describe('training through the custom layers', () => {
  it('lowers the NLL loss of a tiny network with SGD (gradients reach every weight)', () => {
    const model = buildModel(
      {
        input: [1, 8, 8],
        blocks: {
          body: [{ conv2d: { filters: 4, kernel: 3, padding: 1 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.1 }, { dropout: 0.1 }],
          head: [{ conv2d: { filters: 3, kernel: 1 } }, 'global-avg-pool', { dense: { units: 3 } }, 'log-softmax'],
        },
        classes: 3,
      },
      { seed: 4 },
    );
    const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 11);
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const oneHot = tf.oneHot(labels, 3).toFloat();
    const nll = () => tf.neg(tf.mean(tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, oneHot), 1))) as tf.Scalar;
    const optimizer = tf.train.momentum(0.1, 0.9);
    const before = tf.tidy(() => nll().dataSync()[0]);
    let grads: string[] = [];
    for (let i = 0; i < 30; i++) {
      tf.tidy(() => {
        const { grads: g } = optimizer.computeGradients(nll);
        grads = Object.keys(g);
        optimizer.applyGradients(Object.entries(g).map(([name, tensor]) => ({ name, tensor })));
      });
    }
    const after = tf.tidy(() => nll().dataSync()[0]);
    expect(grads).toHaveLength(model.trainableWeights.length);
    expect(after).toBeLessThan(before * 0.7);
    tf.dispose([x, labels, oneHot]);
    model.dispose();
  });
});
