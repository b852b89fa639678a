import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IdxFileError, readIdxImages, readIdxLabels } from './idx.ts';
import { idxImagesBytes, idxLabelsBytes } from './test-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-idx-'));
function write(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

function caught(fn: () => unknown): IdxFileError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IdxFileError);
    return error as IdxFileError;
  }
  throw new Error('expected an IdxFileError');
}

describe('IDX reader', () => {
  it('reads images and labels', () => {
    const images = readIdxImages(write('ok-images', idxImagesBytes(3, 2, 4, (i, p) => i * 10 + p)));
    expect([images.count, images.rows, images.cols]).toEqual([3, 2, 4]);
    expect(images.pixels[8 + 5]).toBe(15);
    const labels = readIdxLabels(write('ok-labels', idxLabelsBytes([3, 1, 4])));
    expect(Array.from(labels.labels)).toEqual([3, 1, 4]);
  });

  it('reads gzipped files', () => {
    const file = write('gz-labels.gz', gzipSync(idxLabelsBytes([9, 8, 7])));
    expect(Array.from(readIdxLabels(file).labels)).toEqual([9, 8, 7]);
  });

  it('names a truncated file and the expected length', () => {
    const bytes = idxImagesBytes(3, 2, 4, () => 0);
    const file = write('truncated-images', bytes.subarray(0, bytes.length - 5));
    const error = caught(() => readIdxImages(file));
    expect(error.file).toBe(file);
    expect(error.message).toBe(`${file}: truncated file: expected 40 bytes (3 × 2 × 4 + 16-byte header), found 35 bytes`);
  });

  it('names a truncated header', () => {
    const file = write('short', new Uint8Array([0, 0, 8, 1, 0, 0]));
    expect(caught(() => readIdxLabels(file)).message).toBe(`${file}: truncated header: expected at least 8 bytes, found 6 bytes`);
  });

  it('names a wrong magic number (labels given where images are expected)', () => {
    const file = write('swapped', idxLabelsBytes([1, 2]));
    const error = caught(() => readIdxImages(file));
    expect(error.message).toBe(`${file}: wrong magic number for an image file: expected 2051, found 2049`);
    expect([error.expected, error.found]).toEqual(['2051', '2049']);
  });

  it('names corrupt gzip data', () => {
    const gz = gzipSync(idxLabelsBytes([1, 2, 3]));
    const file = write('corrupt.gz', gz.subarray(0, gz.length - 6));
    expect(caught(() => readIdxLabels(file)).message).toMatch(new RegExp(`^${file}: corrupt gzip data: expected a complete gzip stream, found `));
  });
});
