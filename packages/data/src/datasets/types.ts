/**
 * What every dataset kind (one module each in this folder, registered in ./index.ts) takes and gives.
 * The spec's `data` section arrives as DatasetSpec (this package knows nothing of @xp/core; the
 * runner hands the resolved section over as it is); every kind ends in the same LoadedDataset of
 * ImageSets the trainer uses.
 */
import type { ImageSet } from '../mnist.ts';

/** The IDX files of one split. */
export interface IdxPair {
  images: string;
  labels: string;
}

/** The spec's `data` section, as the schema (schemas/experiment.schema.json) shapes and defaults it. */
export interface DatasetSpec {
  dataset: string;
  path?: string;
  train?: string | IdxPair;
  test?: string | IdxPair;
  testSplit?: number;
  channels?: 1 | 3;
  resize?: boolean;
  labelColumn?: string;
  normalize: { mean?: number; std?: number } | string;
  validationSplit: number;
  trainLimit?: number;
  testLimit?: number;
}

/** What the model expects: model.input as [channels, height, width] and model.classes when stated. */
export interface DatasetTarget {
  input: [number, number, number];
  classes?: number;
}

export interface DatasetRequest {
  spec: DatasetSpec;
  target: DatasetTarget;
  /** Relative paths resolve from here (the spec file's directory). */
  baseDirectory: string;
  seed: number;
  /** Where decoded datasets are cached; null: no cache. */
  cacheDirectory: string | null;
  log?: (line: string) => void;
}

/** Per-channel normalization, as applied: (pixel/255 - mean[c]) / std[c]. */
export interface ChannelNormalization {
  mean: number[];
  std: number[];
}

export interface LoadedDataset {
  train: ImageSet;
  validation?: ImageSet;
  test: ImageSet;
  classes: number;
  /** Names of the classes by label, where the data has them (image-folder: the folder names). */
  classNames?: string[];
  normalization: ChannelNormalization;
  /** The files or folders read, by role. */
  files: Record<string, string>;
  /** Files left out and why (non-image files in an image folder). */
  skipped: { count: number; examples: string[] };
  /** True when the decoded pixels came from the dataset cache. */
  fromCache: boolean;
  /**
   * A SHA-256 over the files read and the settings that change their pixels (./cache.ts contentKey):
   * another file's bytes, another key. The runner's run cache keys a job by it. Absent for mnist,
   * whose files are the package's and the same for every spec.
   */
  contentKey?: string;
}

/** What is known of a dataset without training: enough to check the model against it. */
export interface DatasetFacts {
  classes: number;
  classNames?: string[];
  /** The images as the model will see them. */
  channels: number;
  height: number;
  width: number;
}

export interface DatasetKind {
  name: string;
  /** Reads (or takes from the cache) and checks the data: every DatasetError it throws is known before training. */
  load(request: DatasetRequest): Promise<LoadedDataset>;
}
