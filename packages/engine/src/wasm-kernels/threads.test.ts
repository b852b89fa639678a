/**
 * The kernel threads (XP_WASM_THREADS=2) against the same kernels on one thread, in one process:
 * `useKernelThreads` switches between them on the same shared heap. Every kernel whose items
 * compute their own outputs must give the same bits on two threads as on one; a filter gradient
 * (a sum over the batch, split into fixed groups when threaded) must stay within the equivalence
 * tolerance of cpu and give the same bits from one repeat to the next, whichever thread took which
 * group.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.ts';
import { convCases, maxPoolGradCases, reluBatchNormCases, sumCases, type EquivalenceCase } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';
import { heapMemory, isShared } from './shared-heap.ts';
import { columnSums } from './simd.ts';
import { defineTask, kernelThreads, parallelFor, stopKernelThreads, useKernelThreads } from './threads.ts';
import { f32, type Wasm } from './util.ts';
import { setWinograd } from './winograd.ts';

/** Conv2D outputs that sum over the batch: the filter gradients, plain and fused ([y, dx, df, fy, fdx, fdf, fdb]). */
const FILTER_GRADIENTS = new Set([2, 5]);

async function on(threads: number, c: EquivalenceCase): Promise<Float32Array[]> {
  useKernelThreads(threads);
  try {
    return (await outputsOn('wasm', c.run)).map((o) => o.values);
  } finally {
    useKernelThreads(Infinity);
  }
}

function wasmBackend(): Wasm {
  return tf.backend() as unknown as Wasm;
}

beforeAll(async () => {
  process.env.XP_WASM_THREADS = '2';
  try {
    await selectBackend('wasm');
  } finally {
    delete process.env.XP_WASM_THREADS;
  }
});

afterAll(async () => {
  setWinograd(false);
  await stopKernelThreads();
});

describe('kernel threads', () => {
  it('run on a shared heap with one helper', () => {
    const memory = heapMemory(wasmBackend() as unknown as { wasm: unknown });
    expect(memory).not.toBeNull();
    expect(isShared(memory!)).toBe(true);
    expect(kernelThreads(wasmBackend())).toBe(2);
    useKernelThreads(1);
    expect(kernelThreads(wasmBackend())).toBe(1);
    useKernelThreads(Infinity);
  });

  for (const wino of [false, true]) {
    describe(`Conv2D${wino ? ' (Winograd)' : ''}: two threads against one`, () => {
      for (const c of convCases()) {
        it(c.name, async () => {
          setWinograd(wino);
          const one = await on(1, c);
          const two = await on(2, c);
          const again = await on(2, c);
          const ref = (await outputsOn('cpu', c.run)).map((o) => o.values);
          setWinograd(false);
          for (let k = 0; k < one.length; k++) {
            if (FILTER_GRADIENTS.has(k)) {
              expect(relError(two[k], ref[k]), `output ${k}`).toBeLessThan(c.tolerance);
              expect(again[k], `output ${k} repeated`).toEqual(two[k]);
            } else {
              expect(two[k], `output ${k}`).toEqual(one[k]);
            }
          }
        });
      }
    });
  }

  for (const cases of [maxPoolGradCases(), sumCases(), reluBatchNormCases()]) {
    describe(`${cases[0].suite}: two threads give one thread's bits`, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const one = await on(1, c);
          const two = await on(2, c);
          for (let k = 0; k < one.length; k++) expect(two[k], `output ${k}`).toEqual(one[k]);
        });
      }
    });
  }

  it('a training-sized batch (32 images of 28×28, where both threads take images)', async () => {
    const c = convCases()[0];
    const big: EquivalenceCase = {
      ...c,
      run: () => {
        const x = tf.randomNormal([32, 28, 28, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
        const f = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
        const [dx] = tf.grads((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f, 1, 'same').square().sum())([x]);
        return [tf.conv2d(x, f, 1, 'same'), dx];
      },
    };
    const one = await on(1, big);
    const two = await on(2, big);
    expect(two[0]).toEqual(one[0]);
    expect(two[1]).toEqual(one[1]);
  });

  it('inference batch norm (FusedBatchNorm) gives one thread\'s bits on two', async () => {
    const c: EquivalenceCase = {
      suite: 'batchNorm', name: 'inference', tolerance: 0,
      run: () => {
        const x = tf.randomNormal([4, 40, 40, 32], 0, 1, 'float32', 3);
        const stat = (seed: number) => tf.randomUniform([32], 0.5, 2, 'float32', seed);
        return [tf.batchNorm(x, stat(4), stat(5), stat(6), stat(7), 1e-5)];
      },
    };
    const one = await on(1, c);
    const two = await on(2, c);
    expect(two[0]).toEqual(one[0]);
  });

  it("reports a helper's failure on the calling thread, and keeps working", () => {
    // Defined here only: the helper does not know the task, so it fails as soon as it joins. The
    // caller's items wait long enough for it to join.
    const task = defineTask('testOnlyTask', () => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    });
    expect(() => parallelFor(task, wasmBackend(), {}, 20)).toThrow(/kernel task testOnlyTask failed on a helper thread: .*no kernel task named testOnlyTask/);
    const x = tf.ones([4, 6, 6, 4]) as tf.Tensor4D;
    const f = tf.ones([3, 3, 4, 4]) as tf.Tensor4D;
    const y = tf.conv2d(x, f, 1, 'valid');
    expect(y.dataSync().every((v) => v === 36)).toBe(true);
    tf.dispose([x, f, y]);
  });

  it('columnSums adds each channel over the rows in float64, rounded once to float32', () => {
    const backend = wasmBackend();
    const rows = 301;
    const channels = 6;
    const stride = 10; // a row is wider than the channels summed
    const values = new Float32Array(rows * stride).map((_, i) => Math.fround(Math.sin(i) * 1e3 + (i % 7) * 1e-3));
    const x = tf.tensor1d(values);
    const out = tf.zeros([channels]);
    const at = (t: tf.Tensor) => f32(backend, t).byteOffset;
    columnSums(backend, 4 * stride, channels)!(at(x) + 4 * 2, rows, at(out)); // from channel 2 of each row
    const got = out.dataSync();
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += values[r * stride + 2 + c];
      expect(got[c], `channel ${c}`).toBe(Math.fround(s));
    }
    tf.dispose([x, out]);
  });
});
