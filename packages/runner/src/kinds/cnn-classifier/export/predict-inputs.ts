/**
 * What `xp predict` classifies: image files (PNG, JPEG), folders of them (searched recursively,
 * sorted), IDX image files (MNIST's format, .gz or not) and CSV files of pixels (Kaggle's
 * digit-recognizer layout), each turned into 8-bit images by @xp/data's readers. A file is told
 * by its content (IDX magic number, PNG/JPEG signature), a CSV by its .csv name.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { constants as zlib, gunzipSync } from 'node:zlib';
import { decodeImageFile, hasImageExtension, IDX_IMAGES_MAGIC, imageFormatOf, readCsvImages, readIdxImages, type DecodedImage } from '@xp/data';

export interface PredictInput {
  /** The file, with `#i` (0-based) for the i-th image of an IDX or CSV file. */
  name: string;
  image: DecodedImage;
}

/** An input that is none of the kinds xp predict reads; names the path (exit 2). */
export class PredictInputError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'PredictInputError';
  }
}

export interface ReadInputsResult {
  inputs: PredictInput[];
  /** Files in folders that are not images (by extension), left out. */
  skipped: string[];
}

/** The first bytes of a file, inflated when it is gzipped (an IDX file may be). */
function head(file: string, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const bytes = new Uint8Array(Math.min(length * 64, statSync(file).size));
    readSync(fd, bytes, 0, bytes.length, 0);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        // SYNC_FLUSH: a cut stream (only the file's start was read) gives what it has.
        return gunzipSync(bytes, { finishFlush: zlib.Z_SYNC_FLUSH }).subarray(0, length);
      } catch {
        return new Uint8Array(0);
      }
    }
    return bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

const isIdxImages = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) === IDX_IMAGES_MAGIC;

function imagesIn(folder: string): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !entry.name.startsWith('.')) (hasImageExtension(entry.name) ? files : skipped).push(path);
    }
  };
  walk(folder);
  return { files, skipped };
}

/** Every image the paths name, in the order given. `size` is what a CSV's rows hold (the model's input). */
export async function readPredictInputs(paths: readonly string[], size: { width: number; height: number; channels: 1 | 3 }): Promise<ReadInputsResult> {
  const inputs: PredictInput[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new PredictInputError(path, 'no such file or folder');
    if (statSync(path).isDirectory()) {
      const found = imagesIn(path);
      if (found.files.length === 0) throw new PredictInputError(path, `no PNG or JPEG files in this folder${found.skipped.length ? ` (${found.skipped.length} other file(s))` : ''}`);
      skipped.push(...found.skipped);
      for (const file of found.files) inputs.push({ name: file, image: await decodeImageFile(file) });
      continue;
    }
    if (extname(path).toLowerCase() === '.csv') {
      const csv = await readCsvImages(path, { width: size.width, height: size.height, channels: size.channels });
      const pixels = csv.width * csv.height * csv.channels;
      for (let i = 0; i < csv.count; i++) {
        inputs.push({ name: `${path}#${i}`, image: { width: csv.width, height: csv.height, channels: csv.channels, data: csv.pixels.subarray(i * pixels, (i + 1) * pixels) } });
      }
      continue;
    }
    const start = head(path, 8);
    if (isIdxImages(start)) {
      const idx = readIdxImages(path);
      const pixels = idx.rows * idx.cols;
      for (let i = 0; i < idx.count; i++) {
        inputs.push({ name: `${path}#${i}`, image: { width: idx.cols, height: idx.rows, channels: 1, data: idx.pixels.subarray(i * pixels, (i + 1) * pixels) } });
      }
      continue;
    }
    if (imageFormatOf(start) !== null) {
      inputs.push({ name: path, image: await decodeImageFile(path) });
      continue;
    }
    throw new PredictInputError(path, 'not a PNG or JPEG image, an IDX image file (magic 2051) or a .csv file of pixels');
  }
  return { inputs, skipped };
}
