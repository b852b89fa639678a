/**
 * Checkpoints: the model in TensorFlow.js's own file format (model.json + weights.bin, what
 * tfjs-node's `file://` handler writes, which is not installable here), the optimizer's slots in
 * optimizer.bin, and where training stood in state.json. A checkpoint is written whole into a fresh
 * directory and swapped in by renames, so an interrupted save never leaves a torn one behind.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
// Registers the fused layer class, so tf.loadLayersModel can rebuild a saved training model.
import './fused-layers.ts';
import type { OptimizerName, OptimizerState, TrainOptimizer } from './optimizer.ts';

export const CHECKPOINT_DIR = 'checkpoint';
export const CHECKPOINT_FILES = { model: 'model.json', weights: 'weights.bin', optimizer: 'optimizer.bin', state: 'state.json' } as const;

/** One finished epoch, kept in the checkpoint so a resumed run judges over the whole history. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  lr: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** Where training stands; everything else a resumed run needs comes from the spec. */
export interface TrainingProgress {
  /** 0-based epoch to continue in. */
  epoch: number;
  /** Batches of that epoch already trained (non-zero after an interrupt mid-epoch). */
  batch: number;
  /** The unfinished epoch's running loss sum, images and seconds, so its averages stay whole. */
  partial: { lossSum: number; images: number; seconds: number };
  history: EpochRecord[];
}

export interface CheckpointState extends TrainingProgress {
  format: 'xp-checkpoint';
  version: 1;
  /** Data order and dropout masks are functions of (seed, epoch, step). */
  seed: number;
  savedAt: string;
  optimizer: { name: OptimizerName; iterations: number; slots: tf.io.WeightsManifestEntry[] };
}

/** Writes the checkpoint into `dir` (replacing any there); returns its files by name. */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: TrainOptimizer,
  progress: TrainingProgress & { seed: number },
): Promise<Record<string, string>> {
  const staging = `${dir}.saving`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await writeLayersModel(model, staging);
  const optimizerState = optimizer.state();
  try {
    const { data, specs } = await tf.io.encodeWeights(optimizerState.slots);
    writeFileSync(join(staging, CHECKPOINT_FILES.optimizer), new Uint8Array(data));
    const state: CheckpointState = {
      format: 'xp-checkpoint',
      version: 1,
      ...progress,
      savedAt: new Date().toISOString(),
      optimizer: { name: optimizerState.name, iterations: optimizerState.iterations, slots: specs },
    };
    writeFileSync(join(staging, CHECKPOINT_FILES.state), `${JSON.stringify(state, null, 2)}\n`);
  } finally {
    tf.dispose(Object.values(optimizerState.slots));
  }
  const previous = `${dir}.previous`;
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, previous);
  renameSync(staging, dir);
  rmSync(previous, { recursive: true, force: true });
  return Object.fromEntries(Object.values(CHECKPOINT_FILES).map((name) => [`${CHECKPOINT_DIR}/${name}`, join(dir, name)]));
}

/** model.save through a handler that writes tfjs's file layout: model.json naming ./weights.bin. */
export async function writeLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [`./${CHECKPOINT_FILES.weights}`], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      const text = JSON.stringify(modelJson);
      writeFileSync(join(dir, CHECKPOINT_FILES.weights), new Uint8Array(weights));
      writeFileSync(join(dir, CHECKPOINT_FILES.model), text);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(text),
          weightDataBytes: weights.byteLength,
        },
      };
    }),
  );
}

/** A tfjs load handler for a directory written by writeLayersModel (or tfjs-node's file:// saver). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILES.model), 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest.flatMap((group) => group.paths.map((path) => toArrayBuffer(readFileSync(join(dir, path)))));
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** Loads a saved model as a new LayersModel; xp's custom layers must be registered (import @xp/models). */
export function loadCheckpointModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}

export function readCheckpointState(dir: string): CheckpointState {
  const file = join(dir, CHECKPOINT_FILES.state);
  if (!existsSync(file)) throw new Error(`no checkpoint to resume from: ${file} does not exist`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as CheckpointState;
  if (state.format !== 'xp-checkpoint' || state.version !== 1) throw new Error(`${file} is not an xp checkpoint (version 1)`);
  return state;
}

/**
 * Puts a checkpoint's weights into `model` (built from the same spec) and its slots into
 * `optimizer`, matching by position and checking every shape. Returns where training stood.
 */
export function restoreCheckpoint(dir: string, model: tf.LayersModel, optimizer: TrainOptimizer): CheckpointState {
  const state = readCheckpointState(dir);
  const modelJson = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILES.model), 'utf8')) as tf.io.ModelJSON;
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const weights = tf.io.decodeWeights(toArrayBuffer(readFileSync(join(dir, CHECKPOINT_FILES.weights))), specs);
  const slots = tf.io.decodeWeights(toArrayBuffer(readFileSync(join(dir, CHECKPOINT_FILES.optimizer))), state.optimizer.slots);
  try {
    const targets = model.weights;
    if (specs.length !== targets.length) {
      throw new Error(`checkpoint has ${specs.length} weight tensors but the spec's model has ${targets.length}: was the model changed?`);
    }
    const values = specs.map((spec, i) => {
      if (!tf.util.arraysEqual(spec.shape, targets[i].shape as number[])) {
        throw new Error(`checkpoint weight ${spec.name} has shape [${spec.shape}] but the model's ${targets[i].originalName} has [${targets[i].shape}]`);
      }
      return weights[spec.name];
    });
    model.setWeights(values);
    const optimizerState: OptimizerState = { name: state.optimizer.name, iterations: state.optimizer.iterations, slots };
    optimizer.restore(optimizerState);
  } finally {
    tf.dispose(Object.values(weights));
    tf.dispose(Object.values(slots));
  }
  return state;
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
