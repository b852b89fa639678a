/**
 * Times the training step `xp run` would take for a spec (same model, loss, optimizer and wasm
 * arithmetic, on the threads `train.workers` and `train.parallelism` give) on random images, so a backend or model change can
 * be judged without waiting for an epoch.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { ResolvedCnnSpec } from '@xp/core';
import { benchTrainStep, currentBackend, kernelThreadsStarted, useKernelThreads, type BenchResult } from '@xp/engine';
import { buildTrainingSetup } from './model.ts';
import { planWorkers, startDataParallel, type WorkersSetting } from './parallel.ts';
import { learningRateAt } from './schedule.ts';
import { applyWasmSettings } from './wasm-settings.ts';

export interface SpecBenchOptions {
  batches: number;
  warmup: number;
  /** Overrides the spec's `train.workers`. */
  workers?: WorkersSetting;
  /** Cores to plan 'auto' over; default every core. */
  cores?: number;
}

export interface SpecBenchResult extends BenchResult {
  /** Worker threads the steps ran on (1: this thread). */
  workers: number;
  /** Why fewer workers than asked for, if so. */
  note?: string;
}

/** A batch of random images and labels of the spec's shapes, and the rate the timed steps train at. */
function randomBatch(spec: ResolvedCnnSpec): { x: tf.Tensor4D; labels: tf.Tensor1D; lr: number } {
  const { train, seed } = spec;
  const [channels, height, width] = spec.model.input;
  const x = tf.randomNormal([train.batchSize, height, width, channels], 0, 1, 'float32', seed) as tf.Tensor4D;
  const labels = tf.randomUniform([train.batchSize], 0, spec.model.classes, 'int32', seed) as tf.Tensor1D;
  // A small rate: the timing does not depend on it, and random labels must not blow the weights up.
  const lr = Math.min(learningRateAt(train.lr, train.schedule, { epoch: 0, batch: 0, batchesPerEpoch: 1, epochs: 1 }), 0.01);
  return { x, labels, lr };
}

export async function benchSpecTraining(spec: ResolvedCnnSpec, options: SpecBenchOptions): Promise<SpecBenchResult> {
  const { train } = spec;
  const { batchSize } = train;
  const backend = currentBackend() ?? { name: tf.getBackend(), threads: 1 };
  const plan = planWorkers({ workers: options.workers ?? train.workers, parallelism: train.parallelism }, {
    cores: options.cores ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length),
    backend: backend.name,
    batchSize,
    trainCount: batchSize,
  });
  const wasm = await applyWasmSettings(spec, plan.kernelThreads);
  const setup = buildTrainingSetup(spec);
  const { step } = setup;
  const [channels, height, width] = spec.model.input;
  const { x, labels, lr } = randomBatch(spec);
  const parallel = plan.workers > 1
    ? await startDataParallel(spec, { workers: plan.workers, batchSize, imageShape: [height, width, channels], maxParams: setup.model.countParams() })
    : null;
  try {
    const timed = parallel
      ? () => parallel.step(x, labels, lr)
      : async () => {
        const loss = step(x, labels, lr);
        await loss.data();
        loss.dispose();
      };
    const result = await benchTrainStep(timed, { batchSize, batches: options.batches, warmup: options.warmup });
    const threads = parallel ? plan.workers : wasm ? wasm.kernelThreads : result.threads;
    return { ...result, threads, workers: plan.workers, ...(plan.note ? { note: plan.note } : {}) };
  } finally {
    await parallel?.close();
    tf.dispose([x, labels]);
    setup.dispose();
  }
}

/** One kernel's share of a profiled step: by kernel name, or by name and input shapes. */
export interface KernelTime {
  kernel: string;
  /** Input shapes, joined (in `byShape` rows only). */
  shapes?: string;
  ms: number;
  calls: number;
}

export interface StepProfile {
  backend: string;
  batchSize: number;
  /** Sum of every kernel's time in the profiled step. */
  totalMs: number;
  byKernel: KernelTime[];
  byShape: KernelTime[];
}

/**
 * Where one single-thread training step's time goes, kernel by kernel (tf.profile after `warmup`
 * untimed steps), largest first, so a slow layer or a kernel that fell back to a slow path shows.
 */
export async function profileSpecStep(spec: ResolvedCnnSpec, options: { warmup: number }): Promise<StepProfile> {
  const { batchSize } = spec.train;
  await applyWasmSettings(spec, 1);
  const setup = buildTrainingSetup(spec);
  const { x, labels, lr } = randomBatch(spec);
  const once = async () => {
    const loss = setup.step(x, labels, lr);
    await loss.data();
    loss.dispose();
  };
  try {
    for (let i = 0; i < options.warmup; i++) await once();
    const info = await tf.profile(once);
    const add = (table: Map<string, KernelTime>, key: string, row: Omit<KernelTime, 'ms' | 'calls'>, ms: number) => {
      const entry = table.get(key) ?? { ...row, ms: 0, calls: 0 };
      entry.ms += ms;
      entry.calls += 1;
      table.set(key, entry);
    };
    const byKernel = new Map<string, KernelTime>();
    const byShape = new Map<string, KernelTime>();
    let totalMs = 0;
    const backendName = tf.getBackend();
    for (const k of info.kernels) {
      // tf.profile also lists op scopes (fusedConv2d__op, customGrad's "unnamed scope") around the
      // kernels they run; only kernels count, or time would be counted twice.
      if (!tf.getKernel(k.name, backendName)) continue;
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      totalMs += ms;
      const shapes = k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ');
      add(byKernel, k.name, { kernel: k.name }, ms);
      add(byShape, `${k.name} ${shapes}`, { kernel: k.name, shapes }, ms);
    }
    const sorted = (t: Map<string, KernelTime>) => [...t.values()].sort((a, b) => b.ms - a.ms);
    return { backend: backendName, batchSize, totalMs, byKernel: sorted(byKernel), byShape: sorted(byShape) };
  } finally {
    tf.dispose([x, labels]);
    setup.dispose();
  }
}

export interface KernelThreadsTiming {
  threads: number;
  /** Median over the timed steps at this count. */
  msPerBatch: number;
  samplesMs: number[];
}

/**
 * Times the spec's step (on this thread) at each count of kernel threads, alternating the counts
 * step by step in one process, so that each count sees the same machine: on a VM whose speed drifts
 * from minute to minute, only such paired figures compare. The spec's arithmetic applies; the
 * threads for the largest count are started first (a heap that cannot be shared runs on one).
 */
export async function compareKernelThreads(spec: ResolvedCnnSpec, options: { counts: number[]; batches: number; warmup: number }): Promise<KernelThreadsTiming[]> {
  await applyWasmSettings(spec, Math.max(...options.counts));
  const setup = buildTrainingSetup(spec);
  const { x, labels, lr } = randomBatch(spec);
  const once = async () => {
    const loss = setup.step(x, labels, lr);
    await loss.data();
    loss.dispose();
  };
  const available = kernelThreadsStarted();
  const samples = options.counts.map(() => [] as number[]);
  try {
    for (let i = 0; i < options.warmup; i++) {
      for (const n of options.counts) {
        useKernelThreads(n);
        await once();
      }
    }
    for (let i = 0; i < options.batches; i++) {
      options.counts.forEach((n, k) => samples[k].push(0));
      for (const [k, n] of options.counts.entries()) {
        useKernelThreads(n);
        const t0 = performance.now();
        await once();
        samples[k][i] = performance.now() - t0;
      }
    }
  } finally {
    useKernelThreads(available);
    tf.dispose([x, labels]);
    setup.dispose();
  }
  return options.counts.map((n, k) => ({ threads: Math.min(n, available), msPerBatch: median(samples[k]), samplesMs: samples[k] }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
