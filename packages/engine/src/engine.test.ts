import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, BackendUnavailableError, benchTrainStep, nativeInstalled, reluBatchNorm, selectBackend } from './index.ts';

describe('selectBackend', () => {
  // After `xp setup native` (as in CI's native step) a native package is present; these cases are
  // about machines where it is not, and packages/native's tests cover the other side.
  for (const name of ['tensorflow', 'tensorflow-gpu'] as const) {
    it.skipIf(nativeInstalled(name))(`names the setup command when '${name}' is not set up`, async () => {
      const err = await selectBackend(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      const command = name === 'tensorflow' ? 'npx xp setup native' : 'npx xp setup gpu';
      expect((err as Error).message).toContain(command);
      expect((err as BackendUnavailableError).install).toBe(command);
      expect((err as BackendUnavailableError).backend).toBe(name);
    });
  }

  it.skipIf(nativeInstalled('tensorflow-gpu'))('auto takes wasm without a GPU (never the native CPU backend unmeasured), and registering kernels twice is harmless', async () => {
    expect(AUTO_ORDER).not.toContain('tensorflow');
    const a = await selectBackend('auto');
    expect(a.name).toBe('wasm');
    expect(a.threads).toBeGreaterThanOrEqual(1);
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('training a small convnet on wasm', () => {
  it('does not leak tensors or wasm memory over many steps', async () => {
    await selectBackend('wasm');
    const w1 = tf.variable(tf.randomNormal([3, 3, 1, 8], 0, 0.3));
    const b1 = tf.variable(tf.zeros([8]));
    const g1 = tf.variable(tf.ones([8]));
    const be1 = tf.variable(tf.zeros([8]));
    const w2 = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.3));
    const b2 = tf.variable(tf.zeros([8]));
    const g2 = tf.variable(tf.ones([8]));
    const be2 = tf.variable(tf.zeros([8]));
    const fc = tf.variable(tf.randomNormal([8, 10], 0, 0.3));
    const vars = [w1, b1, g1, be1, w2, b2, g2, be2, fc];
    const x = tf.randomNormal([16, 12, 12, 1]) as tf.Tensor4D;
    const labels = tf.oneHot(tf.randomUniform([16], 0, 10, 'int32'), 10);
    let running = tf.keep(tf.zeros([8]));
    const opt = tf.train.momentum(0.05, 0.9);
    const lossFn = () => {
      let h = tf.add(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'valid'), b1) as tf.Tensor4D;
      const r1 = reluBatchNorm(h, g1 as tf.Tensor1D, be1 as tf.Tensor1D, { dropoutRate: 0.1 });
      const next = tf.keep(running.mul(0.9).add(r1.mean.mul(0.1)));
      running.dispose();
      running = next;
      h = tf.maxPool(r1.y, 2, 2, 'valid');
      h = tf.fused.conv2d({ x: h, filter: w2 as tf.Tensor4D, bias: b2, pad: 'same', strides: 1 });
      h = reluBatchNorm(h, g2 as tf.Tensor1D, be2 as tf.Tensor1D).y;
      const logits = tf.matMul(tf.mean(h, [1, 2]), fc as tf.Tensor2D);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    };
    const step = () => tf.tidy(() => opt.minimize(lossFn, true, vars)!.dataSync()[0]);
    const first = step();
    step();
    const before = tf.memory();
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBeLessThanOrEqual(before.numDataBuffers);
    expect(last).toBeLessThan(first);
  });
});

describe('benchTrainStep', () => {
  it('times a tf.layers model on wasm', async () => {
    await selectBackend('wasm');
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.batchNormalization(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const r = await benchTrainStep(model, { batchSize: 8, batches: 3, warmup: 1 });
    expect(r.backend).toBe('wasm');
    expect(r.batchSize).toBe(8);
    expect(r.samplesMs).toHaveLength(3);
    expect(r.msPerBatch).toBeGreaterThan(0);
    expect(r.imagesPerSec).toBeCloseTo((8 * 1000) / r.msPerBatch, 6);
  });
});
