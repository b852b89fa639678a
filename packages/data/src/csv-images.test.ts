import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvImagesError, readCsvImages } from './csv-images.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-csv-'));
function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
const header = ['label', ...Array.from({ length: 4 }, (_, i) => `pixel${i}`)].join(',');

describe('readCsvImages', () => {
  it('reads labels and 2×2 grey images in Kaggle layout, the size from the pixel count', async () => {
    const set = await readCsvImages(csv('ok.csv', `${header}\n3,0,10,20,255\n1,5,6,7,8\n`));
    expect([set.count, set.width, set.height, set.channels]).toEqual([2, 2, 2, 1]);
    expect(Array.from(set.labels!)).toEqual([3, 1]);
    expect(Array.from(set.pixels)).toEqual([0, 10, 20, 255, 5, 6, 7, 8]);
  });

  it('reads a file without a label column (Kaggle test.csv) and stops at a limit', async () => {
    const set = await readCsvImages(csv('test.csv', 'pixel0,pixel1,pixel2,pixel3\n1,2,3,4\n5,6,7,8\n9,9,9,9\n'), { limit: 2 });
    expect(set.labels).toBeNull();
    expect(set.count).toBe(2);
  });

  it('names the line of a row with a missing pixel and of a label outside the classes', async () => {
    await expect(readCsvImages(csv('short.csv', `${header}\n3,0,10,20,255\n1,5,6,7\n`))).rejects.toThrow(/short\.csv:3: row has 4 values, expected 5/);
    await expect(readCsvImages(csv('blank.csv', `${header}\n3,0,,20,255\n`))).rejects.toThrow(/blank\.csv:2: pixel column 3 is '', expected an integer 0\.\.255 \(a missing pixel\)/);
    await expect(readCsvImages(csv('label.csv', `${header}\n3,0,10,20,255\n12,5,6,7,8\n`), { classes: 10 })).rejects.toThrow(/label\.csv:3: label '12' is outside the classes 0\.\.9/);
    await expect(readCsvImages(join(dir, 'none.csv'))).rejects.toThrow(CsvImagesError);
  });

  it('refuses a pixel count that is no square image unless the size is stated', async () => {
    const file = csv('wide.csv', 'label,a,b,c,d,e,f\n0,1,2,3,4,5,6\n');
    await expect(readCsvImages(file)).rejects.toThrow(/6 pixel columns, which is not a square image/);
    expect((await readCsvImages(file, { width: 3, height: 2 })).width).toBe(3);
  });
});
