/**
 * Dataset kind `image-folder`: one subfolder per class (`data.train`, and `data.test` or
 * `data.testSplit`), PNG and JPEG, grey or RGB, as Keras's `image_dataset_from_directory` reads them.
 *
 * - Class names are the subfolder names, sorted (by code point, like Python's sorted()); label k is
 *   the k-th name. A test folder must have the same class folders.
 * - Images: decoded by pngjs / jpeg-js (../images/decode.ts says why those), resized to model.input
 *   (bilinear, half-pixel centres: ../images/resize.ts) unless data.resize is false, then converted to
 *   data.channels when stated. Without it, a folder with any RGB image is RGB (grey images repeated into
 *   three channels), else grey; model.input's channels must match or the error names the fix.
 * - Files that are not named as images (.png, .jpg, .jpeg) are skipped and counted: folders from the
 *   wild hold .DS_Store, Thumbs.db, README and label files, and refusing them would make people clean
 *   folders by hand for nothing. A file named as an image that does not decode is refused, naming it:
 *   that is damaged data, and training without it would hide the damage.
 * - Decoded pixels are cached by the files' content (./cache.ts). The first `trainLimit` images are a
 *   fixed shuffle of the folder (not the first classes), the same for every seed.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { decodeImageFileSync, hasImageExtension, ImageDecodeError, type DecodedImage, type ImageChannels } from '../images/decode.ts';
import { convertChannels } from '../images/resize.ts';
import { DatasetError } from '../mnist.ts';
import { seededRandom, shuffledIndices } from '../random.ts';
import { contentKey, readCachedDataset, writeCachedDataset } from './cache.ts';
import { channelsFor, finishDataset, fitImage, pickPixels, type PixelSet } from './pixels.ts';
import type { DatasetKind, DatasetRequest, DatasetSpec, LoadedDataset } from './types.ts';

interface FolderListing {
  root: string;
  classNames: string[];
  /** Image files with their class, in class order then name order. */
  images: { name: string; path: string; label: number }[];
  skipped: string[];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listFolder(root: string, role: 'train' | 'test', classNames: string[] | null): FolderListing {
  if (!isDirectory(root)) throw new DatasetError(`image folder not found: ${root} (data.${role})`, root, ['data', role]);
  const entries = readdirSync(root, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const skipped = entries.filter((e) => !e.isDirectory()).map((e) => e.name);
  const found = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (found.length === 0) throw new DatasetError(`${root} has no class subfolders: put each class's images in a folder named after it (data.${role})`, root, ['data', role]);
  if (classNames === null && found.length === 1) {
    throw new DatasetError(`${root} has one class only (${found[0]}/): a classifier needs at least two class folders`, root, ['data', role]);
  }
  const names = classNames ?? found;
  if (classNames !== null && JSON.stringify(found) !== JSON.stringify(classNames)) {
    throw new DatasetError(`the class folders of ${root} (${found.join(', ')}) differ from data.train's (${classNames.join(', ')})`, root, ['data', role]);
  }
  const images: FolderListing['images'] = [];
  names.forEach((className, label) => {
    const folder = join(root, className);
    const files = readdirSync(folder, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).map((e) => e.name).sort();
    const kept = files.filter(hasImageExtension);
    for (const name of files) if (!hasImageExtension(name)) skipped.push(join(className, name));
    if (kept.length === 0) throw new DatasetError(`class folder ${folder} has no PNG or JPEG images`, folder, ['data', role]);
    for (const name of kept) images.push({ name: `${role}/${className}/${name}`, path: join(folder, name), label });
  });
  return { root, classNames: names, images, skipped };
}

function decodeAll(listing: FolderListing, spec: DatasetSpec, request: DatasetRequest): { images: DecodedImage[]; labels: Uint8Array } {
  const [, height, width] = request.target.input;
  const images: DecodedImage[] = [];
  const labels = new Uint8Array(listing.images.length);
  listing.images.forEach((file, i) => {
    let image: DecodedImage;
    try {
      image = decodeImageFileSync(file.path);
    } catch (error) {
      if (error instanceof ImageDecodeError) throw new DatasetError(error.message, file.path, ['data', 'train']);
      throw error;
    }
    // Resize at the image's own channels; channels are settled once every image is known.
    images.push(fitImage(image, image.channels, { input: [image.channels, height, width] }, spec.resize !== false, file.path));
    labels[i] = file.label;
  });
  return { images, labels };
}

function pack(images: DecodedImage[], labels: Uint8Array, channels: ImageChannels, height: number, width: number): PixelSet {
  const size = height * width * channels;
  const pixels = new Uint8Array(images.length * size);
  images.forEach((image, i) => pixels.set(convertChannels(image, channels).data, i * size));
  return { count: images.length, height, width, channels, pixels, labels };
}

async function load(request: DatasetRequest): Promise<LoadedDataset> {
  const { spec, target } = request;
  const at = (p: unknown, role: 'train' | 'test'): string => {
    if (typeof p !== 'string') throw new DatasetError(`data.${role} must be a folder of class subfolders for dataset image-folder`, '', ['data', role]);
    return isAbsolute(p) ? p : resolve(request.baseDirectory, p);
  };
  const train = listFolder(at(spec.train, 'train'), 'train', null);
  const test = spec.test === undefined ? null : listFolder(at(spec.test, 'test'), 'test', train.classNames);
  const [, height, width] = target.input;
  const settings = { height, width, channels: spec.channels ?? null, resize: spec.resize !== false };
  const files = [...train.images, ...(test?.images ?? [])];
  const key = request.cacheDirectory === null ? null : contentKey('image-folder', settings, files, request.cacheDirectory);
  let cached = key === null ? null : readCachedDataset(request.cacheDirectory!, key);
  const fromCache = cached !== null;
  if (cached === null) {
    const decodedTrain = decodeAll(train, spec, request);
    const decodedTest = test === null ? null : decodeAll(test, spec, request);
    const all = [...decodedTrain.images, ...(decodedTest?.images ?? [])];
    const found = all.some((image) => image.channels === 3) ? 3 : 1;
    const channels = channelsFor(spec, found, target, train.root);
    const splits: Record<string, PixelSet> = { train: pack(decodedTrain.images, decodedTrain.labels, channels, height, width) };
    if (decodedTest) splits.test = pack(decodedTest.images, decodedTest.labels, channels, height, width);
    cached = { splits, classNames: train.classNames, skipped: { count: 0, examples: [] } };
    if (key !== null) writeCachedDataset(request.cacheDirectory!, key, cached);
  }
  const classNames = train.classNames;
  if (target.classes !== undefined && target.classes !== classNames.length) {
    throw new DatasetError(`${train.root} has ${classNames.length} class folders (${classNames.join(', ')}), but model.classes is ${target.classes}: leave model.classes out to take it from the folders`, train.root, ['model', 'classes']);
  }
  channelsFor(spec, cached.splits.train.channels, target, train.root);
  // Skipped files are not in the content key, so they are counted from the listing, not the cache.
  const skippedFiles = [...train.skipped, ...(test?.skipped ?? [])];
  const skipped = { count: skippedFiles.length, examples: skippedFiles.slice(0, 5) };
  // Sorted by class on disk; a fixed shuffle makes the first trainLimit images a mix of every class.
  const shuffle = (set: PixelSet, stream: number) => pickPixels(set, shuffledIndices(set.count, seededRandom(0, stream)));
  const finished = finishDataset(shuffle(cached.splits.train, 0xf01d), cached.splits.test ? shuffle(cached.splits.test, 0xf01e) : null, {
    spec,
    seed: request.seed,
    testSplitStream: 0x7e57,
  });
  for (const set of [finished.train, finished.validation, finished.test]) if (set) set.classNames = classNames;
  if (skipped.count > 0) request.log?.(`data: skipped ${skipped.count} file(s) that are not named as images (.png, .jpg, .jpeg), e.g. ${skipped.examples.join(', ')}`);
  return {
    train: finished.train,
    validation: finished.validation,
    test: finished.test,
    classes: classNames.length,
    classNames,
    normalization: finished.normalization,
    files: test === null ? { train: train.root } : { train: train.root, test: test.root },
    skipped,
    fromCache,
    contentKey: key ?? contentKey('image-folder', settings, files),
  };
}

export const imageFolderDataset: DatasetKind = { name: 'image-folder', load };
