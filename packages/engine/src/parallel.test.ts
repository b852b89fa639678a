import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { batchSlice, createDataParallelTrainer, selectBackend } from './index.ts';
import { randn, relError } from './test-util.ts';
import { setup } from './test-fixtures/dp-setup.ts';

const fixture = new URL('./test-fixtures/dp-setup.ts', import.meta.url);

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
      setupModule: fixture,
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

  it('splits uneven batches by share, passes each step its rate, and moves state in and out', async () => {
    // 15 rows on 2 workers: 7 and 8. The second step's rate differs from the first's.
    const rows = 15;
    const xs = [randn(rows * 12 * 12, 7), randn(rows * 12 * 12, 8)];
    const ys = [0, 1].map((s) => Float32Array.from({ length: rows }, (_, i) => (i * 3 + s) % 10));
    const lrs = [0.05, 0.02];
    expect([0, 1].map((r) => batchSlice(r, 2, rows))).toEqual([{ offset: 0, rows: 7, total: 15 }, { offset: 7, rows: 8, total: 15 }]);

    await selectBackend('wasm');
    const task = setup({ apply: true });
    const start = task.exportState!();
    const single: number[] = [];
    for (let s = 0; s < 2; s++) {
      const x = tf.tensor4d(xs[s], [rows, 12, 12, 1]);
      const y = tf.tensor1d(ys[s]);
      const { value, grads } = tf.variableGrads(() => task.loss(x, y), task.variables);
      single.push(value.dataSync()[0]);
      task.apply!(task.variables.map((v) => grads[v.name]), lrs[s]);
      tf.dispose([x, y, value, ...Object.values(grads)]);
    }
    const want = task.exportState!().arrays;

    const trainer = await createDataParallelTrainer({
      workers: 2,
      setupModule: fixture,
      setupArgs: { apply: true },
      batchSize: 16,
      xShape: [12, 12, 1],
      yShape: [],
    });
    try {
      // Scramble the workers' copies first, then push the start state: they must train from it.
      await trainer.importState({ arrays: start.arrays.map((a) => a.map(() => 0.5)) });
      await trainer.importState(start);
      const losses = [];
      for (let s = 0; s < 2; s++) losses.push(await trainer.step(xs[s], ys[s], { lr: lrs[s] }));
      const got = (await trainer.exportState()).arrays;
      for (let s = 0; s < 2; s++) expect(Math.abs(losses[s] - single[s]) / single[s]).toBeLessThan(1e-5);
      expect(got).toHaveLength(want.length);
      // Weights and momentum buffers.
      for (let i = 0; i < want.length; i++) expect(relError(got[i], want[i]), `state ${i}`).toBeLessThan(1e-4);
      await expect(trainer.step(xs[0].subarray(0, 12 * 12), ys[0].subarray(0, 1))).rejects.toThrow(/between 2 and 16 rows/);
    } finally {
      await trainer.close();
    }
  });
});
