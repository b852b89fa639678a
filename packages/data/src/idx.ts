/**
 * Reader of the IDX format MNIST is distributed in: a big-endian header (magic number, then one
 * 32-bit size per dimension) followed by unsigned bytes. Every check names the file, what it
 * expected and what it found, because a half-downloaded dataset otherwise surfaces as nonsense
 * accuracy much later.
 *
 * Memory is bounded by what the caller uses, not by what a file claims: the header is read first
 * and checked against the file's size before the body is touched, only the items asked for
 * (`limit`) are read, a gzipped file is inflated chunk by chunk and stopped once those items are
 * in, and no file yields more than MAX_IDX_BYTES.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Gunzip } from 'fflate';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/** The most bytes one IDX file may put in memory (header and the items read): 1 GiB, 20 times MNIST's training images. */
export const MAX_IDX_BYTES = 1024 ** 3;

/** Compressed bytes read per step when inflating. */
const CHUNK = 1 << 20;
/** Compressed bytes handed to the inflater at once: deflate expands at most ~1,032×, so one slice yields at most ~16 MB. */
const SLICE = 1 << 14;

/** Pushes `piece` in slices, so no single inflate step produces more than a slice can expand to; stops when `enough` says so. */
function pushSliced(gunzip: Gunzip, piece: Uint8Array, last: boolean, enough: () => boolean): void {
  for (let at = 0; at < piece.length && !enough(); at += SLICE) {
    const end = Math.min(piece.length, at + SLICE);
    gunzip.push(piece.subarray(at, end), last && end === piece.length);
  }
}

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
  /** Images held in `pixels`: the file's count, or fewer when a limit was asked for. */
  count: number;
  /** Images the file holds, as its header says (and its size confirms); absent when parsed from bytes. */
  fileCount?: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, image after image, row-major. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  /** Labels held in `labels`: the file's count, or fewer when a limit was asked for. */
  count: number;
  /** Labels the file holds, as its header says; absent when parsed from bytes. */
  fileCount?: number;
  labels: Uint8Array;
}

export interface IdxReadOptions {
  /** Read only the first N items (images or labels). Default: all. */
  limit?: number;
}

const GZIP_SIGNATURE = [0x1f, 0x8b];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_SIGNATURE[0] && bytes[1] === GZIP_SIGNATURE[1];
}

/** What a header says: the sizes, how long the file must be, and how many bytes the items asked for take. */
interface Layout {
  sizes: number[];
  headerLength: number;
  /** Header plus every item: the exact length of a sound file. */
  fileLength: number;
  /** Header plus the items that will be read. */
  readLength: number;
  /** Items that will be read. */
  count: number;
}

function truncatedHeader(file: string, headerLength: number, length: number): IdxFileError {
  return new IdxFileError(file, 'truncated header', `at least ${headerLength} bytes`, `${length} bytes`);
}

/** Reads the header from its first bytes (the magic number first: it tells a swapped or foreign file from a short one). */
function layoutOf(head: Uint8Array, file: string, expectedMagic: number, dims: number, limit: number | undefined): Layout {
  const headerLength = 4 + 4 * dims;
  if (head.length < 4) throw truncatedHeader(file, headerLength, head.length);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const what = expectedMagic === IDX_IMAGES_MAGIC ? 'an image file' : 'a label file';
    throw new IdxFileError(file, `wrong magic number for ${what}`, `${expectedMagic}`, `${magic}`);
  }
  if (head.length < headerLength) throw truncatedHeader(file, headerLength, head.length);
  const sizes: number[] = [];
  for (let d = 0; d < dims; d++) sizes.push(view.getUint32(4 + 4 * d, false));
  const itemLength = sizes.slice(1).reduce((a, b) => a * b, 1);
  const count = limit === undefined ? sizes[0] : Math.min(sizes[0], limit);
  return { sizes, headerLength, fileLength: headerLength + sizes[0] * itemLength, readLength: headerLength + count * itemLength, count };
}

function lengthMismatch(file: string, layout: Layout, found: number): IdxFileError {
  const problem = found < layout.fileLength ? 'truncated file' : 'file longer than its header says';
  return new IdxFileError(file, problem, `${layout.fileLength} bytes (${layout.sizes.join(' × ')} + ${layout.headerLength}-byte header)`, `${found} bytes`);
}

function tooLarge(file: string, layout: Layout): IdxFileError {
  return new IdxFileError(
    file,
    'more data than xp reads from one file',
    `at most ${MAX_IDX_BYTES} bytes (1 GiB; read fewer items with data.trainLimit / data.testLimit)`,
    `${layout.readLength} bytes for ${layout.count} items of ${layout.sizes.slice(1).join(' × ') || '1'} bytes`,
  );
}

/** Opens `file`, or says which file could not be opened and why. */
function openIdx(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new IdxFileError(file, 'cannot read the file', 'a readable IDX file', code === 'ENOENT' ? 'no such file' : code ?? (error as Error).message);
  }
}

function readAt(fd: number, file: string, length: number, position: number): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, out, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch (error) {
    throw new IdxFileError(file, 'cannot read the file', 'a readable IDX file', (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * The header and the first `limit` items of an IDX file (plain or gzipped, told by content), checked
 * against the header before the body is read.
 */
function readIdx(file: string, expectedMagic: number, dims: number, limit: number | undefined): { layout: Layout; bytes: Uint8Array } {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`${file}: limit must be a positive integer, got ${limit}`);
  const fd = openIdx(file);
  try {
    const size = fstatSync(fd).size;
    const head = readAt(fd, file, Math.min(size, 4 + 4 * dims), 0);
    if (isGzip(head)) return inflateIdx(fd, file, size, expectedMagic, dims, limit);
    const layout = layoutOf(head, file, expectedMagic, dims, limit);
    // The size says whether the header tells the truth before a byte of the body is read.
    if (size !== layout.fileLength) throw lengthMismatch(file, layout, size);
    if (layout.readLength > MAX_IDX_BYTES) throw tooLarge(file, layout);
    return { layout, bytes: readAt(fd, file, layout.readLength, 0) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Inflates chunk by chunk into a buffer of exactly the bytes needed. Without a limit the whole stream
 * is inflated, its length checked against the header (stopping at the first byte too many); with one,
 * inflating stops once the items asked for are in.
 */
function inflateIdx(fd: number, file: string, size: number, expectedMagic: number, dims: number, limit: number | undefined): { layout: Layout; bytes: Uint8Array } {
  const headerLength = 4 + 4 * dims;
  let head: Uint8Array = new Uint8Array(0);
  let layout: Layout | undefined;
  let out: Uint8Array | undefined;
  let total = 0;
  let ended = false;
  let crc = 0;
  const take = (chunk: Uint8Array) => {
    crc = crc32(chunk, crc);
    if (!layout) {
      const joined = new Uint8Array(head.length + Math.min(chunk.length, headerLength));
      joined.set(head);
      joined.set(chunk.subarray(0, joined.length - head.length), head.length);
      head = joined;
      if (head.length >= headerLength) {
        layout = layoutOf(head, file, expectedMagic, dims, limit);
        if (layout.readLength > MAX_IDX_BYTES) throw tooLarge(file, layout);
        out = new Uint8Array(layout.readLength);
      }
    }
    if (out && total < out.length) out.set(chunk.subarray(0, out.length - total), total);
    total += chunk.length;
  };
  const gunzip = new Gunzip((chunk, final) => {
    take(chunk);
    if (final) ended = true;
  });
  const enough = () => layout !== undefined && (limit === undefined ? total > layout.fileLength : total >= layout.readLength);
  try {
    for (let position = 0; position < size && !enough(); position += CHUNK) {
      const piece = readAt(fd, file, Math.min(CHUNK, size - position), position);
      pushSliced(gunzip, piece, position + piece.length >= size, enough);
    }
  } catch (error) {
    if (error instanceof IdxFileError) throw error;
    throw new IdxFileError(file, 'corrupt gzip data', 'a complete gzip stream', (error as Error).message);
  }
  if (!layout) {
    // The magic number is checked on whatever arrived, so a short foreign file is named as foreign.
    if (head.length >= 4) layoutOf(head, file, expectedMagic, dims, limit);
    throw truncatedHeader(file, headerLength, head.length);
  }
  const stopped = limit !== undefined && total >= layout.readLength;
  if (stopped) return { layout, bytes: out as Uint8Array };
  if (total > layout.fileLength) {
    throw new IdxFileError(file, 'file longer than its header says', `${layout.fileLength} bytes (${layout.sizes.join(' × ')} + ${layout.headerLength}-byte header)`, `more (inflating stopped at ${total} bytes)`);
  }
  if (total !== layout.fileLength || !ended) throw lengthMismatch(file, layout, total);
  checkTrailer(fd, file, size, crc, total);
  return { layout, bytes: out as Uint8Array };
}

/** fflate does not check the gzip trailer: its CRC-32 and length are what tell a damaged download (one gzip member, as IDX files are). */
function checkTrailer(fd: number, file: string, size: number, crc: number, total: number): void {
  const trailer = readAt(fd, file, Math.min(8, size), Math.max(0, size - 8));
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  if (trailer.length < 8 || view.getUint32(0, true) !== crc >>> 0 || view.getUint32(4, true) !== total % 2 ** 32) {
    throw new IdxFileError(file, 'corrupt gzip data', 'a complete gzip stream', 'a CRC-32 or length that does not match the data (a damaged or cut file)');
  }
}

/** Reads a file's bytes, gunzipping it when it is gzip (by content, so a misnamed file still works); at most MAX_IDX_BYTES. */
export function readIdxBytes(file: string): Uint8Array {
  const fd = openIdx(file);
  try {
    const size = fstatSync(fd).size;
    const head = readAt(fd, file, Math.min(size, 2), 0);
    if (!isGzip(head)) {
      if (size > MAX_IDX_BYTES) throw new IdxFileError(file, 'more data than xp reads from one file', `at most ${MAX_IDX_BYTES} bytes (1 GiB)`, `${size} bytes`);
      return readAt(fd, file, size, 0);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    let crc = 0;
    const gunzip = new Gunzip((chunk) => {
      total += chunk.length;
      crc = crc32(chunk, crc);
      if (total > MAX_IDX_BYTES) throw new IdxFileError(file, 'more data than xp reads from one file', `at most ${MAX_IDX_BYTES} bytes (1 GiB) once inflated`, 'more');
      chunks.push(chunk);
    });
    try {
      for (let position = 0; position < size; position += CHUNK) {
        const piece = readAt(fd, file, Math.min(CHUNK, size - position), position);
        pushSliced(gunzip, piece, position + piece.length >= size, () => false);
      }
    } catch (error) {
      if (error instanceof IdxFileError) throw error;
      throw new IdxFileError(file, 'corrupt gzip data', 'a complete gzip stream', (error as Error).message);
    }
    checkTrailer(fd, file, size, crc, total);
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

function header(bytes: Uint8Array, file: string, expectedMagic: number, dims: number): number[] {
  const layout = layoutOf(bytes, file, expectedMagic, dims, undefined);
  if (bytes.length !== layout.fileLength) throw lengthMismatch(file, layout, bytes.length);
  return layout.sizes;
}

function checkImageDimensions(rows: number, cols: number, file: string): void {
  if (rows === 0 || cols === 0) {
    throw new IdxFileError(file, 'empty image dimensions', 'rows and columns > 0', `${rows} × ${cols}`);
  }
}

export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const [count, rows, cols] = header(bytes, file, IDX_IMAGES_MAGIC, 3);
  checkImageDimensions(rows, cols, file);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array, file: string): IdxLabels {
  const [count] = header(bytes, file, IDX_LABELS_MAGIC, 1);
  return { count, labels: bytes.subarray(8) };
}

/** The images of an IDX file; with `limit`, only the first `limit` are read (fileCount still says how many it holds). */
export function readIdxImages(file: string, options: IdxReadOptions = {}): IdxImages {
  const { layout, bytes } = readIdx(file, IDX_IMAGES_MAGIC, 3, options.limit);
  const [fileCount, rows, cols] = layout.sizes;
  checkImageDimensions(rows, cols, file);
  return { count: layout.count, fileCount, rows, cols, pixels: bytes.subarray(16) };
}

/** The labels of an IDX file; with `limit`, only the first `limit` are read. */
export function readIdxLabels(file: string, options: IdxReadOptions = {}): IdxLabels {
  const { layout, bytes } = readIdx(file, IDX_LABELS_MAGIC, 1, options.limit);
  return { count: layout.count, fileCount: layout.sizes[0], labels: bytes.subarray(8) };
}
