import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { greyPngBytes, mnistSlice, writeDigitCsv, writeDigitIdx } from '@xp/data';
import { describe, expect, it } from 'vitest';
import { PredictInputError, readPredictInputs } from './predict-inputs.ts';

const size = { width: 28, height: 28, channels: 1 as const };

describe('readPredictInputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xp-predict-inputs-'));
  const { pixels } = mnistSlice({ split: 'test', count: 3 });

  it('reads IDX files (plain and gzipped), CSV rows and PNGs to the same pixels, named FILE#i', async () => {
    const idx = writeDigitIdx(dir, 'three', { split: 'test', count: 3 });
    writeFileSync(`${idx.images}.gz`, gzipSync(readFileSync(idx.images)));
    writeDigitCsv(join(dir, 'three.csv'), { split: 'test', count: 3 });
    writeFileSync(join(dir, 'second.png'), greyPngBytes(pixels.subarray(784, 1568), 28, 28));
    const { inputs } = await readPredictInputs([idx.images, `${idx.images}.gz`, join(dir, 'three.csv'), join(dir, 'second.png')], size);
    expect(inputs.map((i) => i.name)).toEqual([
      `${idx.images}#0`, `${idx.images}#1`, `${idx.images}#2`,
      `${idx.images}.gz#0`, `${idx.images}.gz#1`, `${idx.images}.gz#2`,
      `${join(dir, 'three.csv')}#0`, `${join(dir, 'three.csv')}#1`, `${join(dir, 'three.csv')}#2`,
      join(dir, 'second.png'),
    ]);
    for (const [i, at] of [[1, 1], [4, 1], [7, 1], [9, 1], [0, 0], [6, 0]] as const) {
      expect(Array.from(inputs[i].image.data)).toEqual(Array.from(pixels.subarray(at * 784, (at + 1) * 784)));
    }
  });

  it('reads a folder recursively, sorted, leaving out (and counting) files that are not images', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, 'b'), { recursive: true });
    writeFileSync(join(folder, 'b', 'x.png'), greyPngBytes(pixels.subarray(0, 784), 28, 28));
    writeFileSync(join(folder, 'a.png'), greyPngBytes(pixels.subarray(784, 1568), 28, 28));
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    const { inputs, skipped } = await readPredictInputs([folder], size);
    expect(inputs.map((i) => i.name)).toEqual([join(folder, 'a.png'), join(folder, 'b', 'x.png')]);
    expect(skipped).toEqual([join(folder, 'notes.txt')]);
  });

  it('refuses, naming the path: a missing file, a file of another kind, a folder without images', async () => {
    await expect(readPredictInputs([join(dir, 'nowhere.png')], size)).rejects.toThrow(/nowhere\.png: no such file or folder/);
    writeFileSync(join(dir, 'data.bin'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    await expect(readPredictInputs([join(dir, 'data.bin')], size)).rejects.toThrow(PredictInputError);
    await expect(readPredictInputs([join(dir, 'data.bin')], size)).rejects.toThrow(/data\.bin: not a PNG or JPEG image, an IDX image file/);
    mkdirSync(join(dir, 'empty'));
    await expect(readPredictInputs([join(dir, 'empty')], size)).rejects.toThrow(/empty: no PNG or JPEG files in this folder/);
  });
});
