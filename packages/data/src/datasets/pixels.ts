/**
 * Decoded 8-bit images of one split before normalization, and the steps every kind but mnist shares
 * on them: fitting channels and size to model.input, holding out a test or validation part, and
 * normalizing into the trainer's ImageSets.
 */
import { DatasetError, type ImageSet } from '../mnist.ts';
import { convertChannels, resizeImage } from '../images/resize.ts';
import type { DecodedImage, ImageChannels } from '../images/decode.ts';
import { seededRandom, shuffledIndices } from '../random.ts';
import type { ChannelNormalization, DatasetSpec, DatasetTarget } from './types.ts';
import { sharedFloat32, sharedUint8 } from '../shared-arrays.ts';

export interface PixelSet {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** count × height × width × channels bytes (NHWC). */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** The images of `set` at `indices`, in that order. */
export function pickPixels(set: PixelSet, indices: ArrayLike<number>): PixelSet {
  const size = set.height * set.width * set.channels;
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    pixels.set(set.pixels.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    labels[i] = set.labels[indices[i]];
  }
  return { ...set, count: indices.length, pixels, labels };
}

/** The first `limit` images (all when undefined). */
export function firstPixels(set: PixelSet, limit: number | undefined): PixelSet {
  if (limit === undefined || limit >= set.count) return set;
  const size = set.height * set.width * set.channels;
  return { ...set, count: limit, pixels: set.pixels.slice(0, limit * size), labels: set.labels.slice(0, limit) };
}

/** Splits off `fraction` of `set` (membership drawn from `seed`, both parts in the set's order). */
export function splitPixels(set: PixelSet, fraction: number, seed: number, stream: number, what: string): { kept: PixelSet; heldOut: PixelSet } {
  const heldOutCount = Math.round(set.count * fraction);
  if (heldOutCount === 0 || heldOutCount >= set.count) {
    throw new DatasetError(`${what} ${fraction} of ${set.count} images leaves ${heldOutCount === 0 ? `no ${what === 'testSplit' ? 'test' : 'validation'} images` : 'no training images'}`, '');
  }
  const order = shuffledIndices(set.count, seededRandom(seed, stream));
  return {
    heldOut: pickPixels(set, order.subarray(0, heldOutCount).slice().sort()),
    kept: pickPixels(set, order.subarray(heldOutCount).slice().sort()),
  };
}

/**
 * The message for images whose channels do not match model.input[0], naming both fixes. A silent
 * conversion would feed a colour model grey data (or drop colour) without anyone asking for it.
 */
export function channelMismatch(found: number, wanted: number, source: string): DatasetError {
  const kind = (n: number) => (n === 1 ? 'grey (1 channel)' : `RGB (${n} channels)`);
  return new DatasetError(
    `the images in ${source} are ${kind(found)} but model.input has ${wanted} channel${wanted === 1 ? '' : 's'}: set data.channels: ${wanted} to convert them${wanted === 3 ? ' (grey repeated into R, G and B)' : ' (BT.601 luma)'}, or model.input: [${found}, …] to train on them as they are`,
    source,
    ['data', 'channels'],
  );
}

/** One image fitted to the target: channels as `channels` says (after the check above), size as model.input (or refused). */
export function fitImage(image: DecodedImage, channels: ImageChannels, target: DatasetTarget, resize: boolean, file: string): DecodedImage {
  const [, height, width] = target.input;
  const converted = convertChannels(image, channels);
  if (converted.width === width && converted.height === height) return converted;
  if (!resize) {
    throw new DatasetError(`${file} is ${image.width}×${image.height}, model.input is ${width}×${height}, and data.resize is false: resize the images, or drop data.resize: false to have xp resize them (bilinear)`, file, ['data', 'resize']);
  }
  return resizeImage(converted, width, height);
}

/** The channels the model will see: data.channels when stated, else the files'; refused when model.input disagrees. */
export function channelsFor(spec: DatasetSpec, found: number, target: DatasetTarget, source: string): ImageChannels {
  const wanted = target.input[0];
  const channels = spec.channels === undefined ? found : spec.channels;
  if (channels !== wanted) throw channelMismatch(channels, wanted, source);
  return channels as ImageChannels;
}

/** Fits a whole uniform set (IDX, CSV) to the target, image by image only when something changes. */
export function fitPixelSet(set: PixelSet, spec: DatasetSpec, target: DatasetTarget, source: string): PixelSet {
  const channels = channelsFor(spec, set.channels, target, source);
  const [, height, width] = target.input;
  if (channels === set.channels && height === set.height && width === set.width) return set;
  const size = height * width * channels;
  const from = set.height * set.width * set.channels;
  const pixels = new Uint8Array(set.count * size);
  for (let i = 0; i < set.count; i++) {
    const image: DecodedImage = { width: set.width, height: set.height, channels: set.channels as ImageChannels, data: set.pixels.subarray(i * from, (i + 1) * from) };
    pixels.set(fitImage(image, channels, target, spec.resize !== false, source).data, i * size);
  }
  return { count: set.count, height, width, channels, pixels, labels: set.labels };
}

/** Per-channel mean and standard deviation of pixel/255 over `set` (normalize: auto). */
export function channelStatistics(set: PixelSet): ChannelNormalization {
  const c = set.channels;
  const sum = new Float64Array(c);
  const squares = new Float64Array(c);
  const pixels = set.pixels;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i] / 255;
    sum[i % c] += v;
    squares[i % c] += v * v;
  }
  const n = pixels.length / c;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (s, k) => Math.sqrt(Math.max(0, s / n - mean[k] * mean[k])));
  if (std.some((s) => !(s > 0))) throw new DatasetError('normalize: auto found a channel with the same value in every training pixel (standard deviation 0)', '', ['data', 'normalize']);
  return { mean, std };
}

/** The normalization the spec asks for over `train`: fixed mean/std for every channel, or auto. */
export function normalizationFor(spec: DatasetSpec, train: PixelSet): ChannelNormalization {
  if (spec.normalize === 'auto') return channelStatistics(train);
  if (typeof spec.normalize === 'string') throw new DatasetError(`normalize must be {mean, std} or "auto", got "${spec.normalize}"`, '', ['data', 'normalize']);
  const { mean, std } = spec.normalize as { mean: number; std: number };
  return { mean: new Array<number>(train.channels).fill(mean), std: new Array<number>(train.channels).fill(std) };
}

/** Normalized float images of `set`; a lookup table per channel keeps it one load per pixel. */
export function normalizedImageSet(set: PixelSet, normalization: ChannelNormalization): ImageSet {
  const c = set.channels;
  const tables = Array.from({ length: c }, (_, k) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - normalization.mean[k]) / normalization.std[k];
    return table;
  });
  // In shared memory, where a batch loader thread can read them (prefetch.ts).
  const images = sharedFloat32(set.pixels.length);
  if (c === 1) {
    const table = tables[0];
    for (let i = 0; i < images.length; i++) images[i] = table[set.pixels[i]];
  } else {
    for (let i = 0; i < images.length; i++) images[i] = tables[i % c][set.pixels[i]];
  }
  // Augmentation fills uncovered pixels with one value; with several channels channel 0's stands for all.
  return { count: set.count, height: set.height, width: set.width, channels: c, images, labels: sharedUint8(set.labels), background: tables[0][0] };
}

/** Labels must name a class: the classes are what the data has, and a stated model.classes must agree. */
export function classesOf(train: PixelSet, test: PixelSet, target: DatasetTarget, source: string): number {
  let max = 0;
  for (const set of [train, test]) for (let i = 0; i < set.count; i++) if (set.labels[i] > max) max = set.labels[i];
  const found = max + 1;
  if (found < 2) throw new DatasetError(`${source} has one class only (every label is 0): a classifier needs at least two`, source, ['data', 'train']);
  if (target.classes !== undefined && target.classes !== found) {
    throw new DatasetError(`the data has labels 0..${max} (${found} classes), but model.classes is ${target.classes}: leave model.classes out to take it from the data, or fix the labels`, source, ['model', 'classes']);
  }
  return found;
}

export interface FinishOptions {
  spec: DatasetSpec;
  seed: number;
  /** A fixed stream for testSplit: the same test images for every seed, so seeds compare on one test set. */
  testSplitStream: number;
}

/** Limits, splits and normalization, the same for every kind that yields PixelSets. */
export function finishDataset(train: PixelSet, test: PixelSet | null, options: FinishOptions): { train: ImageSet; validation?: ImageSet; test: ImageSet; normalization: ChannelNormalization; pools: { train: PixelSet; test: PixelSet } } {
  const { spec, seed } = options;
  let trainPool = train;
  let testPool = test;
  if (testPool === null) {
    if (spec.testSplit === undefined) throw new DatasetError('no test set: give data.test or data.testSplit', '', ['data', 'test']);
    const split = splitPixels(train, spec.testSplit, 0, options.testSplitStream, 'testSplit');
    trainPool = split.kept;
    testPool = split.heldOut;
  }
  const limitedTrain = firstPixels(trainPool, spec.trainLimit);
  const limitedTest = firstPixels(testPool, spec.testLimit);
  let fitted = limitedTrain;
  let validation: PixelSet | undefined;
  if (spec.validationSplit > 0) {
    const split = splitPixels(limitedTrain, spec.validationSplit, seed, 0x5911, 'validationSplit');
    fitted = split.kept;
    validation = split.heldOut;
  }
  const normalization = normalizationFor(spec, fitted);
  return {
    train: normalizedImageSet(fitted, normalization),
    validation: validation === undefined ? undefined : normalizedImageSet(validation, normalization),
    test: normalizedImageSet(limitedTest, normalization),
    normalization,
    pools: { train: trainPool, test: testPool },
  };
}
