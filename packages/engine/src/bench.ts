/**
 * Times training steps on the active backend; `xp bench` calls this.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { currentBackend } from './backend.ts';

/** One training step; return (or resolve) when the step's work is done. */
export type StepFn = (batchIndex: number) => unknown | Promise<unknown>;

export interface BenchOptions {
  batchSize: number;
  /** Timed steps (median reported). */
  batches: number;
  /** Untimed steps first (kernel set-up, XNNPACK operator caches, JIT). */
  warmup: number;
}

export interface BenchResult {
  backend: string;
  batchSize: number;
  /** Cores one training process keeps busy on this backend. */
  threads: number;
  /** Median over the timed steps. */
  msPerBatch: number;
  imagesPerSec: number;
  /** Every timed step, in order. */
  samplesMs: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * For a LayersModel, random inputs of its input shape and random one-hot labels of its output
 * width are fed to `trainOnBatch`; a model that is not compiled gets SGD (lr 0.01, momentum 0.9)
 * and categorical cross-entropy. A step function is timed as given.
 */
export async function benchTrainStep(target: LayersModel | StepFn, opts: BenchOptions): Promise<BenchResult> {
  const step = typeof target === 'function' ? target : layersStep(target, opts.batchSize);
  for (let i = 0; i < opts.warmup; i++) await step(i);
  const samplesMs: number[] = [];
  for (let i = 0; i < opts.batches; i++) {
    const t0 = performance.now();
    await step(opts.warmup + i);
    samplesMs.push(performance.now() - t0);
  }
  const msPerBatch = median(samplesMs);
  return {
    backend: currentBackend()?.name ?? tf.getBackend(),
    batchSize: opts.batchSize,
    threads: currentBackend()?.threads ?? 1,
    msPerBatch,
    imagesPerSec: (opts.batchSize * 1000) / msPerBatch,
    samplesMs,
  };
}

function layersStep(model: LayersModel, batchSize: number): StepFn {
  if (!model.optimizer) {
    model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
  }
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const outShape = model.outputs[0].shape.slice(1) as number[];
  const classes = outShape[outShape.length - 1] ?? 1;
  const x = tf.keep(tf.randomNormal([batchSize, ...inShape]));
  const labels = tf.keep(tf.tidy(() => tf.oneHot(tf.randomUniform([batchSize], 0, classes, 'int32'), classes).cast('float32')));
  return async () => {
    await model.trainOnBatch(x, labels);
  };
}
