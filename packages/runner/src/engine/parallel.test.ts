import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createDataParallelTrainer, selectBackend } from './index.ts';
import { randn, relError } from './test-util.ts';
import { setup } from './test-fixtures/dp-setup.ts';

describe('data-parallel training on worker threads', () => {
  it('takes the same steps as one process on the whole batch (SyncBN, averaged gradients)', async () => {
    const batch = 16;
    const xs = [randn(batch * 12 * 12, 5), randn(batch * 12 * 12, 6)];
    const ys = [0, 1].map((s) => Float32Array.from({ length: batch }, (_, i) => (i * 7 + s * 3) % 10));

    await selectBackend('wasm');
    const task = setup();
    const single: number[] = [];
    for (let s = 0; s < 2; s++) {
      const x = tf.tensor4d(xs[s], [batch, 12, 12, 1]);
      const y = tf.tensor1d(ys[s]);
      single.push(tf.tidy(() => task.optimizer.minimize(() => task.loss(x, y), true, task.variables)!.dataSync()[0]));
      tf.dispose([x, y]);
    }
    const want = task.variables.map((v) => v.dataSync() as Float32Array);

    const trainer = await createDataParallelTrainer({
      workers: 2,
      setupModule: new URL('./test-fixtures/dp-setup.ts', import.meta.url),
      batchSize: batch,
      xShape: [12, 12, 1],
      yShape: [],
    });
    try {
      const losses = [await trainer.step(xs[0], ys[0]), await trainer.step(xs[1], ys[1])];
      const got = await trainer.getWeights();
      // Equal up to float32 summation order (the batch's sums are split across two workers).
      for (let s = 0; s < 2; s++) expect(Math.abs(losses[s] - single[s]) / single[s]).toBeLessThan(1e-5);
      expect(got).toHaveLength(want.length);
      for (let i = 0; i < want.length; i++) expect(relError(got[i], want[i]), task.variables[i].name).toBeLessThan(1e-5);
    } finally {
      await trainer.close();
    }
  });
});
