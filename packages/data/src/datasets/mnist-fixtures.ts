/**
 * Test datasets made from MNIST's own IDX files (no other dataset can be downloaded here): PNG
 * class folders, a CSV in Kaggle's layout, and IDX pairs, each from a slice of MNIST's training or
 * test set. Used by the tests and by bench/decode-image-folder.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readIdxImages, readIdxLabels } from '../idx.ts';
import { locateMnistFiles, defaultMnistDirectory } from '../mnist.ts';

export interface MnistSlice {
  split: 'train' | 'test';
  count: number;
}

/** The first `count` images and labels of MNIST's training or test set, as bytes. */
export function mnistSlice({ split, count }: MnistSlice): { pixels: Uint8Array; labels: Uint8Array; count: number } {
  const files = locateMnistFiles(defaultMnistDirectory());
  const images = readIdxImages(split === 'train' ? files.trainImages : files.testImages, { limit: count });
  const labels = readIdxLabels(split === 'train' ? files.trainLabels : files.testLabels, { limit: count });
  return { pixels: images.pixels, labels: labels.labels, count: images.count };
}

export function greyPngBytes(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.from(pixels);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0 });
}

export function rgbPngBytes(rgb: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 2 });
  for (let p = 0; p < width * height; p++) {
    png.data[p * 4] = rgb[p * 3];
    png.data[p * 4 + 1] = rgb[p * 3 + 1];
    png.data[p * 4 + 2] = rgb[p * 3 + 2];
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 });
}

export interface DigitFolderOptions extends MnistSlice {
  /** Class folder names by digit; default the digits themselves ("0".."9"). */
  classNames?: string[];
  /** Write every third image as JPEG (quality 95) instead of PNG. */
  someJpeg?: boolean;
}

/** Writes MNIST digits as 28×28 grey PNGs into `root/<class>/<index>.png`; returns the number written. */
export function writeDigitFolder(root: string, options: DigitFolderOptions): number {
  const slice = mnistSlice(options);
  const names = options.classNames ?? Array.from({ length: 10 }, (_, d) => String(d));
  for (const name of names) mkdirSync(join(root, name), { recursive: true });
  for (let i = 0; i < slice.count; i++) {
    const pixels = slice.pixels.subarray(i * 784, (i + 1) * 784);
    const folder = join(root, names[slice.labels[i]]);
    if (options.someJpeg && i % 3 === 2) {
      const rgba = Buffer.alloc(784 * 4, 255);
      for (let p = 0; p < 784; p++) rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = pixels[p];
      writeFileSync(join(folder, `${String(i).padStart(5, '0')}.jpg`), jpeg.encode({ data: rgba, width: 28, height: 28 }, 95).data);
    } else {
      writeFileSync(join(folder, `${String(i).padStart(5, '0')}.png`), greyPngBytes(pixels, 28, 28));
    }
  }
  return slice.count;
}

/** Writes MNIST digits as a Kaggle digit-recognizer CSV (`label,pixel0,…,pixel783`). */
export function writeDigitCsv(file: string, slice: MnistSlice): number {
  const { pixels, labels, count } = mnistSlice(slice);
  const lines = [['label', ...Array.from({ length: 784 }, (_, p) => `pixel${p}`)].join(',')];
  for (let i = 0; i < count; i++) lines.push(`${labels[i]},${Array.from(pixels.subarray(i * 784, (i + 1) * 784)).join(',')}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return count;
}

/** Writes an IDX image/label pair (plain) of MNIST digits; returns the two paths. */
export function writeDigitIdx(directory: string, prefix: string, slice: MnistSlice): { images: string; labels: string } {
  const { pixels, labels, count } = mnistSlice(slice);
  mkdirSync(directory, { recursive: true });
  const imageBytes = Buffer.alloc(16 + count * 784);
  imageBytes.writeUInt32BE(2051, 0);
  imageBytes.writeUInt32BE(count, 4);
  imageBytes.writeUInt32BE(28, 8);
  imageBytes.writeUInt32BE(28, 12);
  imageBytes.set(pixels, 16);
  const labelBytes = Buffer.alloc(8 + count);
  labelBytes.writeUInt32BE(2049, 0);
  labelBytes.writeUInt32BE(count, 4);
  labelBytes.set(labels, 8);
  const images = join(directory, `${prefix}-images-idx3-ubyte`);
  const labelsFile = join(directory, `${prefix}-labels-idx1-ubyte`);
  writeFileSync(images, imageBytes);
  writeFileSync(labelsFile, labelBytes);
  return { images, labels: labelsFile };
}
