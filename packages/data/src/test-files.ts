/** Builders of small IDX files for tests (well-formed unless the caller breaks them on purpose). */
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './idx.ts';

export function idxImagesBytes(count: number, rows: number, cols: number, pixel: (i: number, p: number) => number, magic = IDX_IMAGES_MAGIC): Uint8Array {
  const bytes = new Uint8Array(16 + count * rows * cols);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  view.setUint32(4, count);
  view.setUint32(8, rows);
  view.setUint32(12, cols);
  for (let i = 0; i < count; i++) for (let p = 0; p < rows * cols; p++) bytes[16 + i * rows * cols + p] = pixel(i, p);
  return bytes;
}

export function idxLabelsBytes(labels: number[], magic = IDX_LABELS_MAGIC): Uint8Array {
  const bytes = new Uint8Array(8 + labels.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  view.setUint32(4, labels.length);
  bytes.set(labels, 8);
  return bytes;
}
