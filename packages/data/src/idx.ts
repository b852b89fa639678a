/**
 * Reader of the IDX format MNIST is distributed in: a big-endian header (magic number, then one
 * 32-bit size per dimension) followed by unsigned bytes. Every check names the file, what it
 * expected and what it found, because a half-downloaded dataset otherwise surfaces as nonsense
 * accuracy much later.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

export class IdxFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${file}: ${problem}: expected ${expected}, found ${found}`);
    this.name = 'IdxFileError';
  }
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, image after image, row-major. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

const GZIP_SIGNATURE = [0x1f, 0x8b];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_SIGNATURE[0] && bytes[1] === GZIP_SIGNATURE[1];
}

/** Reads a file's bytes, gunzipping it when it is gzip (by content, so a misnamed file still works). */
export function readIdxBytes(file: string): Uint8Array {
  const raw = readFileSync(file);
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw);
  } catch (error) {
    throw new IdxFileError(file, 'corrupt gzip data', 'a complete gzip stream', `${(error as Error).message}`);
  }
}

function header(bytes: Uint8Array, file: string, expectedMagic: number, dims: number): number[] {
  const headerLength = 4 + 4 * dims;
  const truncatedHeader = () =>
    new IdxFileError(file, 'truncated header', `at least ${headerLength} bytes`, `${bytes.length} bytes`);
  if (bytes.length < 4) throw truncatedHeader();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The magic number goes first: it is what tells a swapped or foreign file from a short one.
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const what = expectedMagic === IDX_IMAGES_MAGIC ? 'an image file' : 'a label file';
    throw new IdxFileError(file, `wrong magic number for ${what}`, `${expectedMagic}`, `${magic}`);
  }
  if (bytes.length < headerLength) throw truncatedHeader();
  const sizes: number[] = [];
  for (let d = 0; d < dims; d++) sizes.push(view.getUint32(4 + 4 * d, false));
  const expectedLength = headerLength + sizes.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedLength) {
    const problem = bytes.length < expectedLength ? 'truncated file' : 'file longer than its header says';
    throw new IdxFileError(
      file,
      problem,
      `${expectedLength} bytes (${sizes.join(' × ')} + ${headerLength}-byte header)`,
      `${bytes.length} bytes`,
    );
  }
  return sizes;
}

export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const [count, rows, cols] = header(bytes, file, IDX_IMAGES_MAGIC, 3);
  if (rows === 0 || cols === 0) {
    throw new IdxFileError(file, 'empty image dimensions', 'rows and columns > 0', `${rows} × ${cols}`);
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array, file: string): IdxLabels {
  const [count] = header(bytes, file, IDX_LABELS_MAGIC, 1);
  return { count, labels: bytes.subarray(8) };
}

export function readIdxImages(file: string): IdxImages {
  return parseIdxImages(readIdxBytes(file), file);
}

export function readIdxLabels(file: string): IdxLabels {
  return parseIdxLabels(readIdxBytes(file), file);
}
