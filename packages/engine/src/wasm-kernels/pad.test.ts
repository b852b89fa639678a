import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { outputsOn, randn } from '../test-util.ts';

/** Paddings of every kind of layout: a convolution's border, one axis, the innermost, outer axes looped, each dtype the heap holds. */
const cases: { name: string; shape: number[]; paddings: Array<[number, number]>; dtype: 'float32' | 'int32' | 'bool'; value?: number }[] = [
  { name: "a padding: 1 convolution's border [2,5,5,16] → [2,7,7,16]", shape: [2, 5, 5, 16], paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], dtype: 'float32' },
  { name: 'uneven sides', shape: [3, 4, 5, 2], paddings: [[0, 0], [2, 0], [0, 3], [0, 0]], dtype: 'float32' },
  { name: 'innermost axis padded', shape: [3, 4, 5], paddings: [[0, 0], [1, 0], [2, 1]], dtype: 'float32' },
  { name: 'outer axis padded (contiguous)', shape: [3, 4, 5], paddings: [[2, 1], [0, 0], [0, 0]], dtype: 'float32' },
  { name: 'rank 5, every axis padded', shape: [2, 3, 2, 3, 2], paddings: [[1, 0], [0, 1], [1, 1], [2, 0], [0, 1]], dtype: 'float32' },
  { name: 'nothing padded', shape: [3, 4], paddings: [[0, 0], [0, 0]], dtype: 'float32' },
  { name: 'int32', shape: [5, 7], paddings: [[1, 2], [3, 0]], dtype: 'int32' },
  { name: 'bool, one byte an element', shape: [4, 5, 3], paddings: [[0, 1], [2, 1], [1, 0]], dtype: 'bool' },
  { name: 'rank 1', shape: [10], paddings: [[3, 4]], dtype: 'float32' },
  { name: 'empty input', shape: [0, 4], paddings: [[1, 1], [0, 2]], dtype: 'float32' },
  { name: 'a non-zero constant (the stock kernel)', shape: [2, 3, 3, 2], paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], dtype: 'float32', value: 1.5 },
];

describe('wasm PadV2 matches cpu to the bit', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const run = () => {
        const values = randn(c.shape.reduce((a, b) => a * b, 1), 11);
        const x = c.dtype === 'float32' ? tf.tensor(values, c.shape) : tf.tensor(values, c.shape).greater(0).cast(c.dtype === 'bool' ? 'bool' : 'int32');
        return [tf.pad(x, c.paddings, c.value ?? 0).cast('float32')];
      };
      const [ref] = await outputsOn('cpu', run);
      const [got] = await outputsOn('wasm', run);
      expect(got.shape).toEqual(ref.shape);
      expect(Array.from(got.values)).toEqual(Array.from(ref.values));
    });
  }
});
