/**
 * Data-parallel training over worker threads, the way a wasm run uses more than one core (one
 * wasm instance computes on one core).
 *
 * Each worker holds a full copy of the model, built by the caller's setup module, and trains on
 * its slice of every batch. Batch-norm statistics are synchronized across workers inside the
 * engine's `reluBatchNorm` (SyncBN), and the gradients are averaged before each worker applies
 * them with its own optimizer, so a step equals a single-process step on the whole batch, up to
 * float summation order, and the copies stay bit-identical.
 *
 * The setup module (a path or file: URL) must export
 *   `setup(args): DataParallelTask | Promise<DataParallelTask>`
 * where the task's `loss(x, y)` returns the mean loss over the rows given. It runs inside the
 * workers after the wasm backend is selected. Initial weights are taken from worker 0.
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { collectiveBuffer } from './collective.ts';

export interface DataParallelTask {
  variables: tf.Variable[];
  /** Mean loss over the rows of x/y (a slice of the batch). */
  loss(x: tf.Tensor, y: tf.Tensor): tf.Scalar;
  optimizer: tf.Optimizer;
  /** Non-trainable state to return from `getWeights` after the variables (e.g. BN running stats). */
  state?(): tf.Tensor[];
}

export interface DataParallelOptions {
  /** Worker threads, one core each. */
  workers: number;
  /** Module exporting `setup(args)`; a file path or URL. */
  setupModule: string | URL;
  setupArgs?: unknown;
  /** Rows per batch; must divide evenly by `workers`. */
  batchSize: number;
  /** Shape of one example, e.g. [28, 28, 1]. */
  xShape: number[];
  /** Shape of one label, [] for a class index. */
  yShape: number[];
  /** Upper bound on trainable parameters (sizes the shared gradient buffer). Default 2^19. */
  maxParams?: number;
}

export interface DataParallelTrainer {
  readonly workers: number;
  /** One SGD step on a batch (row-major, batchSize × example size); resolves to the mean loss. */
  step(x: Float32Array, y: Float32Array): Promise<number>;
  /** Worker 0's current values of the task's variables, then of its `state()`, in order. */
  getWeights(): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** What a worker receives. */
export interface WorkerInit {
  rank: number;
  size: number;
  setupModule: string;
  setupArgs: unknown;
  batchSize: number;
  xShape: number[];
  yShape: number[];
  io: SharedArrayBuffer;
  collective: SharedArrayBuffer;
  slotLength: number;
}

type Reply =
  | { type: 'ready' }
  | { type: 'done'; loss: number }
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'error'; message: string };

export async function createDataParallelTrainer(opts: DataParallelOptions): Promise<DataParallelTrainer> {
  const { workers: size, batchSize } = opts;
  if (!Number.isInteger(size) || size < 1) throw new Error('workers must be a positive integer');
  if (batchSize % size !== 0) throw new Error(`batchSize ${batchSize} does not divide into ${size} workers`);
  const xSize = opts.xShape.reduce((a, b) => a * b, 1);
  const ySize = opts.yShape.reduce((a, b) => a * b, 1);
  const io = new SharedArrayBuffer(batchSize * (xSize + ySize) * 4);
  const ioView = new Float32Array(io);
  const slotLength = (opts.maxParams ?? 1 << 19) + 1;
  const collective = collectiveBuffer(size, slotLength);
  const setupModule = opts.setupModule instanceof URL
    ? opts.setupModule.href
    : pathToFileURL(path.resolve(opts.setupModule)).href;

  // The worker is TypeScript; tsx's loader does not follow into worker threads, so a small .mjs
  // bootstrap registers it there first.
  const threads = Array.from({ length: size }, (_, rank) => new Worker(new URL('./parallel-worker-boot.mjs', import.meta.url), {
    workerData: {
      rank, size, setupModule, setupArgs: opts.setupArgs, batchSize,
      xShape: opts.xShape, yShape: opts.yShape, io, collective, slotLength,
    } satisfies WorkerInit,
  }));

  const next = (w: Worker) => new Promise<Reply>((resolve, reject) => {
    const onMessage = (m: Reply) => { cleanup(); resolve(m); };
    const onError = (e: Error) => { cleanup(); reject(e); };
    const onExit = (code: number) => { cleanup(); reject(new Error(`data-parallel worker exited with code ${code}`)); };
    const cleanup = () => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit); };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
  // Rejects on the first failure: the other workers then sit in a barrier forever, so they are
  // terminated rather than awaited.
  const expect = (replies: Promise<Reply>[]): Promise<Reply[]> => new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      void Promise.all(threads.map((w) => w.terminate()));
      reject(err);
    };
    let pending = replies.length;
    const out: Reply[] = new Array(replies.length);
    replies.forEach((p, i) => p.then((r) => {
      if (r.type === 'error') return fail(new Error(`data-parallel worker failed: ${r.message}`));
      out[i] = r;
      if (--pending === 0) resolve(out);
    }, fail));
  });

  await expect(threads.map(next));

  let busy = false;
  return {
    workers: size,
    async step(x: Float32Array, y: Float32Array): Promise<number> {
      if (busy) throw new Error('DataParallelTrainer.step called while a step is running');
      if (x.length !== batchSize * xSize || y.length !== batchSize * ySize) {
        throw new Error(`step expects ${batchSize * xSize} inputs and ${batchSize * ySize} labels`);
      }
      busy = true;
      try {
        ioView.set(x, 0);
        ioView.set(y, batchSize * xSize);
        const done = threads.map(next);
        for (const w of threads) w.postMessage({ type: 'step' });
        const rs = await expect(done);
        return (rs[0] as { loss: number }).loss;
      } finally {
        busy = false;
      }
    },
    async getWeights(): Promise<Float32Array[]> {
      if (busy) throw new Error('DataParallelTrainer.getWeights called while a step is running');
      const reply = expect([next(threads[0])]);
      threads[0].postMessage({ type: 'weights' });
      return ((await reply)[0] as { values: Float32Array[] }).values;
    },
    async close(): Promise<void> {
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
