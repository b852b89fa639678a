export { IdxFileError, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, MAX_IDX_BYTES, parseIdxImages, parseIdxLabels, readIdxBytes, readIdxImages, readIdxLabels } from './idx.ts';
export type { IdxImages, IdxLabels, IdxReadOptions } from './idx.ts';
export {
  DatasetError,
  MNIST_CLASSES,
  MNIST_DEFAULT_NORMALIZATION,
  MNIST_FILES,
  defaultMnistDirectory,
  loadMnist,
  locateMnistFiles,
} from './mnist.ts';
export type { ImageSet, LoadMnistOptions, MnistData, MnistFileRole, MnistNormalization } from './mnist.ts';
export { batchesPerEpoch, batchTensors, epochBatchArrays, epochBatches, epochOrder } from './batches.ts';
export type { Batch, BatchArrays, BatchOptions, LabelEncoding } from './batches.ts';
export { canPrefetch, startBatchPrefetcher } from './prefetch.ts';
export { sharedFloat32, sharedUint8 } from './shared-arrays.ts';
export type { BatchPrefetcher, PrefetchOptions } from './prefetch.ts';
export { drawTransform, isAugmenting, transformImage } from './augment.ts';
export type { AugmentOptions, ImageTransform } from './augment.ts';
export { hashKeys, seededRandom, shuffledIndices } from './random.ts';
export type { Random } from './random.ts';
export { IMAGE_EXTENSIONS, ImageDecodeError, decodeImageBytes, decodeImageFile, decodeImageFileSync, hasImageExtension, imageFormatOf } from './images/decode.ts';
export type { DecodedImage, ImageChannels, ImageFormat } from './images/decode.ts';
export { RESIZE_METHOD, convertChannels, resizeImage } from './images/resize.ts';
export { CsvImagesError, readCsvImages } from './csv-images.ts';
export type { CsvImageOptions, CsvImages } from './csv-images.ts';
export { DATASET_KINDS, datasetCacheDirectory, forgetLoadedDatasets, loadDataset } from './datasets/index.ts';
export type { ChannelNormalization, DatasetKind, DatasetRequest, DatasetSpec, DatasetTarget, IdxPair, LoadedDataset } from './datasets/types.ts';
export { contentKey } from './datasets/cache.ts';
export { greyPngBytes, mnistSlice, rgbPngBytes, writeDigitCsv, writeDigitFolder, writeDigitIdx } from './datasets/mnist-fixtures.ts';
export type { DigitFolderOptions, MnistSlice } from './datasets/mnist-fixtures.ts';
