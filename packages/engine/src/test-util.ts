/** Helpers for the equivalence tests: run the same computation on `cpu` and a fast backend and compare. */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendRequest } from './backend.ts';

/** Runs fn on a backend and returns its tensors' values (fn's tensors are disposed). */
export async function valuesOn(backend: Exclude<BackendRequest, 'auto'>, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  return (await outputsOn(backend, fn)).map((o) => o.values);
}

/** Runs fn on a backend and returns its tensors' shapes and values (fn's tensors are disposed). */
export async function outputsOn(backend: Exclude<BackendRequest, 'auto'>, fn: () => tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  await selectBackend(backend);
  const out = tf.tidy(fn);
  // Asynchronous reads: webgpu's synchronous read needs a browser's OffscreenCanvas, which Node lacks.
  const outputs = await Promise.all(out.map(async (t) => ({ shape: t.shape, values: (await t.data()) as Float32Array })));
  tf.dispose(out);
  return outputs;
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** Deterministic pseudo-random values (fresh per seed) so both backends see the same inputs. */
export function randn(size: number, seed: number): Float32Array {
  let s = seed * 2654435761 >>> 0 || 1;
  const next = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 4294967296);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}
