import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { outputsOn, randn } from '../test-util.ts';

/** Slices of every kind of layout: contiguous, strided on one or several axes, each dtype the heap holds. */
const cases: { name: string; shape: number[]; begin: number[]; size: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
  { name: 'padding gradient [2,9,9,16] → [2,7,7,16]', shape: [2, 9, 9, 16], begin: [0, 1, 1, 0], size: [2, 7, 7, 16], dtype: 'float32' },
  { name: 'batch rows (contiguous)', shape: [6, 5, 4], begin: [2, 0, 0], size: [3, -1, -1], dtype: 'float32' },
  { name: 'innermost axis cut', shape: [3, 4, 5, 6], begin: [1, 1, 2, 1], size: [2, 2, 3, 4], dtype: 'float32' },
  { name: 'rank 5, two outer axes looped', shape: [3, 2, 4, 3, 2], begin: [1, 1, 0, 1, 0], size: [2, 1, 4, 2, 2], dtype: 'float32' },
  { name: 'int32 columns', shape: [5, 7], begin: [0, 3], size: [5, 2], dtype: 'int32' },
  { name: 'bool, one byte an element', shape: [4, 5, 3], begin: [1, 2, 1], size: [3, 3, 2], dtype: 'bool' },
  { name: 'rank 1', shape: [10], begin: [3], size: [4], dtype: 'float32' },
  { name: 'empty', shape: [3, 4], begin: [1, 2], size: [0, 2], dtype: 'float32' },
];

describe('wasm Slice matches cpu to the bit', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const run = () => {
        const values = randn(c.shape.reduce((a, b) => a * b, 1), 7);
        const x = c.dtype === 'float32' ? tf.tensor(values, c.shape) : tf.tensor(values, c.shape).greater(0).cast(c.dtype === 'bool' ? 'bool' : 'int32');
        return [tf.slice(x, c.begin, c.size).cast('float32')];
      };
      const [ref] = await outputsOn('cpu', run);
      const [got] = await outputsOn('wasm', run);
      expect(got.shape).toEqual(ref.shape);
      expect(Array.from(got.values)).toEqual(Array.from(ref.values));
    });
  }
});
