/**
 * The finished run's model as a second, standard artifact (model/): the trained network in stock
 * TensorFlow.js layers (@xp/models' stockModelOf) saved in tfjs's file layout, and xp-model.json
 * (./model-metadata.ts). The resume checkpoint (train/checkpoint.ts) is untouched: it keeps xp's
 * fused layers, optimizer state and progress, which only xp reads.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { CnnModelSpec } from '@xp/models';
import type { RunContext } from '../../types.ts';
import { stockModelOf, STOCK_OUTPUT } from '@xp/models';
import { XP_VERSION } from '../../../version.ts';
import { writeLayersModel } from '../train/checkpoint.ts';
import { MODEL_DIR, MODEL_FILES, RESIZE, type XpModelMetadata } from './model-metadata.ts';

export interface ExportedModelSource {
  model: CnnModelSpec;
  trained: tf.LayersModel;
  /** Per channel, as the training data was normalized. */
  normalization: { mean: number[]; std: number[] };
  /** The dataset's class names, by index; absent: the indices. */
  classNames?: readonly string[];
  runId: string;
  variant: string;
}

/** The metadata for `source`'s model (input shape from the spec's model.input, C×H×W). */
export function modelMetadata(source: ExportedModelSource): XpModelMetadata {
  const [channels, height, width] = source.model.input as [number, number, number];
  const classes = source.classNames ? [...source.classNames] : Array.from({ length: source.model.classes }, (_, i) => String(i));
  if (classes.length !== source.model.classes) throw new Error(`${classes.length} class names for a model of ${source.model.classes} classes`);
  const perChannel = (values: number[], what: string) => {
    if (values.length === channels) return values;
    if (values.length === 1) return Array.from({ length: channels }, () => values[0]);
    throw new Error(`normalization ${what} has ${values.length} values for ${channels} channels`);
  };
  return {
    format: 'xp-model',
    version: 1,
    model: MODEL_FILES.model,
    input: { height, width, channels, layout: 'NHWC' },
    normalization: { divideBy: 255, mean: perChannel(source.normalization.mean, 'mean'), std: perChannel(source.normalization.std, 'std') },
    resize: RESIZE,
    output: STOCK_OUTPUT,
    classes,
    trainedBy: { xpVersion: XP_VERSION, runId: source.runId, variant: source.variant },
  };
}

/**
 * Writes model/ under `artifactDir` (whole into a staging folder, then renamed, so no half-written
 * model is left) and returns its files by artifact name (model/model.json, ...).
 */
export async function writeExportedModel(artifactDir: string, source: ExportedModelSource): Promise<Record<string, string>> {
  const dir = join(artifactDir, MODEL_DIR);
  const staging = `${dir}.saving`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const stock = stockModelOf(source.model, source.trained);
  try {
    await writeLayersModel(stock, staging);
  } finally {
    stock.dispose();
  }
  writeFileSync(join(staging, MODEL_FILES.metadata), `${JSON.stringify(modelMetadata(source), null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return Object.fromEntries(Object.values(MODEL_FILES).map((name) => [`${MODEL_DIR}/${name}`, join(dir, name)]));
}

/** Writes model/ for the run and logs its files as the run's artifacts (into `artifacts` too). */
export async function logExportedModel(
  ctx: RunContext,
  source: Omit<ExportedModelSource, 'runId' | 'variant'>,
  artifacts: Record<string, string>,
): Promise<void> {
  const files = await writeExportedModel(ctx.run.artifactDir, { ...source, runId: ctx.run.runId, variant: ctx.variantName });
  Object.assign(artifacts, files);
  for (const file of Object.values(files)) await ctx.run.logArtifact(file, MODEL_DIR);
}
