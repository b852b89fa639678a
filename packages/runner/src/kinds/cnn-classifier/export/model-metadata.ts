/**
 * xp-model.json: what a program needs besides the network to use an exported model (model/): the
 * input it takes, how pixels become its input, what its output means and the classes' names.
 * Written by ./export-model.ts beside model.json; read back by `xp predict` and `xp export`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The run's artifact folder the exported model is logged under. */
export const MODEL_DIR = 'model';
export const MODEL_FILES = { model: 'model.json', weights: 'weights.bin', metadata: 'xp-model.json' } as const;

/**
 * How images of another size are brought to the model's input size: @xp/data's resizeImage
 * (bilinear, half-pixel centres, stretched), which xp predict applies and the image-folder dataset trains with.
 */
export const RESIZE = { method: 'bilinear', halfPixelCenters: true, keepAspectRatio: false } as const;

export interface XpModelMetadata {
  format: 'xp-model';
  version: 1;
  /** The TensorFlow.js LayersModel file beside this one. */
  model: typeof MODEL_FILES.model;
  /** One image, channels last (the model's input is [batch, height, width, channels]). */
  input: { height: number; width: number; channels: number; layout: 'NHWC' };
  /**
   * How a pixel value p in 0..255 of channel c becomes the model's input:
   * (p / divideBy − mean[c]) / std[c].
   */
  normalization: { divideBy: 255; mean: number[]; std: number[] };
  /** Images of another size are resized to height × width this way before normalizing. */
  resize: typeof RESIZE;
  /** The model's output: one probability per class, in the order of `classes`, summing to 1. */
  output: 'probabilities';
  /** Class names, by class index: the dataset's names, else the indices written out. */
  classes: string[];
  /** Where the model comes from. */
  trainedBy: { xpVersion: string; runId: string; variant: string };
}

/** A model folder that is missing a file or whose xp-model.json is not one; names the file. */
export class ModelFolderError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelFolderError';
  }
}

const isNumberList = (value: unknown, length: number): value is number[] =>
  Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'number' && Number.isFinite(v));

/** Reads and checks `dir`/xp-model.json, and that model.json is beside it. */
export function readModelMetadata(dir: string): XpModelMetadata {
  const file = join(dir, MODEL_FILES.metadata);
  if (!existsSync(file)) throw new ModelFolderError(file, 'not found: this folder is not a model exported by xp');
  if (!existsSync(join(dir, MODEL_FILES.model))) throw new ModelFolderError(join(dir, MODEL_FILES.model), 'not found beside xp-model.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelFolderError(file, `not JSON (${(error as Error).message})`);
  }
  const m = parsed as Partial<XpModelMetadata>;
  if (m.format !== 'xp-model' || m.version !== 1) throw new ModelFolderError(file, 'expected {"format": "xp-model", "version": 1}');
  const input = m.input;
  const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!input || !positive(input.height) || !positive(input.width) || !positive(input.channels)) {
    throw new ModelFolderError(file, 'input: expected {height, width, channels} as positive integers');
  }
  const n = m.normalization;
  if (!n || n.divideBy !== 255 || !isNumberList(n.mean, input.channels) || !isNumberList(n.std, input.channels) || n.std.some((s) => !(s > 0))) {
    throw new ModelFolderError(file, `normalization: expected {divideBy: 255, mean, std} with ${input.channels} number(s) each, std > 0`);
  }
  if (!Array.isArray(m.classes) || m.classes.length < 2 || !m.classes.every((c) => typeof c === 'string')) {
    throw new ModelFolderError(file, 'classes: expected a list of at least two class names');
  }
  if (m.output !== 'probabilities') throw new ModelFolderError(file, 'output: expected "probabilities"');
  return m as XpModelMetadata;
}
