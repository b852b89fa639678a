/**
 * One cnn-classifier run trained data-parallel on worker threads (engine/parallel.ts): every worker
 * builds the spec's training model (./parallel-setup.ts) and trains on its slice of each batch,
 * with batch norm synchronized and gradients summed, so a step is the single-thread step on the
 * whole batch up to float rounding. The main thread keeps its own copy of model and optimizer:
 * it pushes their state into the workers at the start (fresh or resumed) and pulls the workers'
 * (weights, batch-norm running statistics, optimizer slots, step count) back for evaluation and
 * checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import type { ResolvedCnnSpec } from '@xp/core';
import type { ImageSet } from '@xp/data';
import { createDataParallelTrainer, type DataParallelTrainer, type TaskState } from '@xp/engine';
import { setTrainingStep } from './fused-layers.ts';
import type { OptimizerName, TrainOptimizer } from './optimizer.ts';

export type WorkersSetting = 'auto' | number | undefined;
export type Parallelism = 'kernel-threads' | 'data-parallel';

export interface WorkerPlan {
  /** Data-parallel worker threads to train on; 1 is a step on this thread. */
  workers: number;
  /** Threads this thread's kernels split their work over (train.parallelism kernel-threads); 1 otherwise. */
  kernelThreads: number;
  /** One line saying why fewer threads than asked for, if so. */
  note?: string;
}

/**
 * How a run's threads (train.workers: `auto` takes the run's share of the cores, a number is taken
 * as given) share its work, as train.parallelism says. Both need the wasm backend (a native backend
 * uses the cores itself). Kernel threads take any batch; data parallelism needs a batch size that
 * divides by the worker count, and an epoch whose last, smaller batch still has a row for every
 * worker. Otherwise fewer threads, with a note.
 */
export function planWorkers(
  setting: { workers: WorkersSetting; parallelism?: Parallelism },
  env: { cores: number; backend: string; batchSize: number; trainCount: number },
): WorkerPlan {
  const requested = setting.workers;
  const auto = requested === undefined || requested === 'auto';
  const asked = auto ? Math.max(1, env.cores) : requested;
  const one = (note?: string): WorkerPlan => ({ workers: 1, kernelThreads: 1, ...(note ? { note } : {}) });
  if (asked <= 1) return one();
  const what = auto ? `train.workers: auto (${asked} cores)` : `train.workers: ${asked}`;
  const kernelThreads = (setting.parallelism ?? 'kernel-threads') === 'kernel-threads';
  if (env.backend !== 'wasm') {
    return one(`${what}: one thread, since ${kernelThreads ? 'kernel threads' : 'data-parallel workers'} need the wasm backend (not ${env.backend})`);
  }
  if (kernelThreads) return { workers: 1, kernelThreads: asked };
  let workers = asked;
  let note: string | undefined;
  if (env.batchSize % asked !== 0) {
    if (!auto) return one(`${what}: one thread, since batch size ${env.batchSize} does not divide into ${asked} workers`);
    while (env.batchSize % workers !== 0) workers--;
    if (workers < 2) return one(`${what}: one thread, since batch size ${env.batchSize} does not divide into 2 or more workers`);
    note = `${what}: ${workers} workers, since batch size ${env.batchSize} does not divide into ${asked}`;
  }
  const remainder = env.trainCount % env.batchSize;
  if (remainder > 0 && remainder < workers) {
    return one(`${what}: one thread, since the epoch's last batch (${remainder} images) has fewer rows than ${workers} workers`);
  }
  return { workers, kernelThreads: 1, ...(note ? { note } : {}) };
}

interface TrainingStateMeta {
  shapes: number[][];
  optimizer: { name: OptimizerName; iterations: number; slots: { key: string; shape: number[] }[] };
}

/** Model weights (trainable, then running statistics) and optimizer state as plain arrays. */
export function exportTrainingState(model: tf.LayersModel, optimizer: TrainOptimizer): TaskState {
  const weights = model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
  const state = optimizer.state();
  try {
    const keys = Object.keys(state.slots);
    const meta: TrainingStateMeta = {
      shapes: model.weights.map((w) => w.shape as number[]),
      optimizer: { name: state.name, iterations: state.iterations, slots: keys.map((key) => ({ key, shape: state.slots[key].shape })) },
    };
    const slots = keys.map((key) => Float32Array.from(state.slots[key].dataSync() as Float32Array));
    return { arrays: [...weights, ...slots], meta };
  } finally {
    tf.dispose(Object.values(state.slots));
  }
}

/** The reverse of exportTrainingState, into a model and optimizer built from the same spec; dropout masks carry on too. */
export function importTrainingState(model: tf.LayersModel, optimizer: TrainOptimizer, state: TaskState): void {
  const meta = state.meta as TrainingStateMeta;
  const targets = model.weights;
  if (meta.shapes.length !== targets.length || state.arrays.length !== targets.length + meta.optimizer.slots.length) {
    throw new Error(`training state has ${meta.shapes.length} weights, the model ${targets.length}`);
  }
  const weights = targets.map((w, i) => {
    if (!tf.util.arraysEqual(meta.shapes[i], w.shape as number[])) throw new Error(`training state weight ${i} has shape [${meta.shapes[i]}], the model's ${w.originalName} [${w.shape}]`);
    return tf.tensor(state.arrays[i], meta.shapes[i]);
  });
  const slots: tf.NamedTensorMap = {};
  meta.optimizer.slots.forEach(({ key, shape }, j) => (slots[key] = tf.tensor(state.arrays[targets.length + j], shape)));
  try {
    model.setWeights(weights);
    optimizer.restore({ name: meta.optimizer.name, iterations: meta.optimizer.iterations, slots });
  } finally {
    tf.dispose(weights);
    tf.dispose(Object.values(slots));
  }
  setTrainingStep(model, meta.optimizer.iterations);
}

/** What ./parallel-setup.ts receives. */
export interface ParallelSetupArgs {
  spec: ResolvedCnnSpec;
  prodMode: boolean;
}

export interface DataParallelRun {
  readonly workers: number;
  /** One step on a batch at rate `lr`; resolves to its mean loss. */
  step(x: tf.Tensor4D, labels: tf.Tensor1D, lr: number): Promise<number>;
  /** Makes the workers' copies equal to `model` and `optimizer` (start, resume). */
  push(model: tf.LayersModel, optimizer: TrainOptimizer): Promise<void>;
  /** Copies the workers' state into `model` and `optimizer` (evaluation, checkpoints). */
  pull(model: tf.LayersModel, optimizer: TrainOptimizer): Promise<void>;
  /** Every batch's scores on the workers' copies, in batch order (./evaluate.ts `batchScores`, `readScores`). */
  evaluate(set: ImageSet, batchSize: number, predictions: boolean): Promise<number[][]>;
  close(): Promise<void>;
}

const floatLabels = new WeakMap<Uint8Array, Float32Array>();

/** The set's labels as the workers' float rows (made once per set). */
function labelsAsFloats(set: ImageSet): Float32Array {
  let labels = floatLabels.get(set.labels);
  if (!labels) floatLabels.set(set.labels, (labels = Float32Array.from(set.labels)));
  return labels;
}

export async function startDataParallel(
  spec: ResolvedCnnSpec,
  options: { workers: number; batchSize: number; imageShape: [number, number, number]; maxParams: number },
): Promise<DataParallelRun> {
  const trainer: DataParallelTrainer = await createDataParallelTrainer({
    workers: options.workers,
    setupModule: new URL('./parallel-setup.ts', import.meta.url),
    setupArgs: { spec, prodMode: tf.env().getBool('PROD') } satisfies ParallelSetupArgs,
    batchSize: options.batchSize,
    xShape: options.imageShape,
    yShape: [],
    maxParams: options.maxParams,
  });
  return {
    workers: trainer.workers,
    step: (x, labels, lr) => trainer.step(x.dataSync() as Float32Array, Float32Array.from(labels.dataSync()), { lr }),
    push: (model, optimizer) => trainer.importState(exportTrainingState(model, optimizer)),
    pull: async (model, optimizer) => importTrainingState(model, optimizer, await trainer.exportState()),
    evaluate: (set, batchSize, predictions) => trainer.evaluate({ x: set.images, y: labelsAsFloats(set) }, batchSize, predictions),
    close: () => trainer.close(),
  };
}
