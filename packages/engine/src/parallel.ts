/**
 * Data-parallel training over worker threads, the way a wasm run uses more than one core (one
 * wasm instance computes on one core).
 *
 * Each worker holds a full copy of the model, built by the caller's setup module, and trains on
 * its slice of every batch. Batch-norm statistics are synchronized across workers inside the
 * engine's `reluBatchNorm` (SyncBN), and each worker's loss is weighted by its share of the batch
 * and the gradients summed, so a step equals a single-process step on the whole batch, up to
 * float summation order, and the copies stay bit-identical.
 *
 * The setup module (a path or file: URL) must export
 *   `setup(args, worker: {rank, size}): DataParallelTask | Promise<DataParallelTask>`
 * where the task's `loss(x, y, slice)` returns the mean loss over the rows given. It runs inside
 * the workers after the wasm backend is selected. Initial weights are taken from worker 0 (or
 * pushed with `importState`).
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { collectiveBuffer } from './collective.ts';

/** Which rows of the batch a worker holds: [offset, offset + rows) of `total`. */
export interface BatchSlice {
  offset: number;
  rows: number;
  total: number;
}

/** State moved between the main thread and the workers: arrays plus whatever describes them. */
export interface TaskState {
  arrays: Float32Array[];
  meta?: unknown;
}

export interface DataParallelTask {
  variables: tf.Variable[];
  /**
   * Mean loss over the rows of x/y, which are rows `slice.offset`.. of the batch (layers that draw
   * per-example randomness, like dropout, use it to draw the whole batch's and keep their rows).
   */
  loss(x: tf.Tensor, y: tf.Tensor, slice: BatchSlice): tf.Scalar;
  /** Applies the batch's gradients, in `variables` order, at the step's rate (undefined if none was given). */
  apply?(grads: tf.Tensor[], lr: number | undefined): void;
  /** Alternatively a tf optimizer (its own rate); used when `apply` is absent. */
  optimizer?: tf.Optimizer;
  /** Non-trainable state to return from `getWeights` after the variables (e.g. BN running stats). */
  state?(): tf.Tensor[];
  /** Everything a copy needs to carry on (weights, optimizer slots, step counters), for `exportState`. */
  exportState?(): TaskState;
  /** Replaces this copy's state with an exported one (every worker gets the same). */
  importState?(state: TaskState): void;
  /**
   * Inference on a batch of a whole set (no gradients, no collective): the batch's results as
   * numbers (e.g. loss sum, correct count, per-row predictions); `args` is `evaluate`'s.
   */
  evaluate?(x: tf.Tensor, y: tf.Tensor, args: unknown): number[];
}

export interface DataParallelOptions {
  /** Worker threads, one core each. */
  workers: number;
  /** Module exporting `setup(args, worker)`; a file path or URL. */
  setupModule: string | URL;
  setupArgs?: unknown;
  /** Largest batch (rows); every step may be smaller, but not smaller than `workers`. */
  batchSize: number;
  /** Shape of one example, e.g. [28, 28, 1]. */
  xShape: number[];
  /** Shape of one label, [] for a class index. */
  yShape: number[];
  /** Upper bound on trainable parameters (sizes the shared gradient buffer). Default 2^19. */
  maxParams?: number;
}

export interface StepOptions {
  /** Learning rate handed to the task's `apply`. */
  lr?: number;
}

export interface DataParallelTrainer {
  readonly workers: number;
  /**
   * One step on a batch (row-major, rows × example size; rows between `workers` and `batchSize`,
   * split as evenly as possible); resolves to the batch's mean loss.
   */
  step(x: Float32Array, y: Float32Array, options?: StepOptions): Promise<number>;
  /** Worker 0's current values of the task's variables, then of its `state()`, in order. */
  getWeights(): Promise<Float32Array[]>;
  /** Worker 0's `exportState()` (all copies are identical). */
  exportState(): Promise<TaskState>;
  /** Every worker's `importState(state)`. */
  importState(state: TaskState): Promise<void>;
  /**
   * The task's `evaluate(x, y, args)` on every batch of a whole set (rows × example size, labels
   * alike), the batches split over the workers in contiguous runs; resolves to each batch's results
   * in batch order, so a caller that adds them up in that order gets what one thread gets. The set
   * is copied once into memory the workers share (per `x` array, while it lives).
   */
  evaluate(set: { x: Float32Array; y: Float32Array }, batchSize: number, args?: unknown): Promise<number[][]>;
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

/** What the main thread asks a worker. */
export type WorkerRequest =
  | { type: 'step'; rows: number; lr?: number }
  | { type: 'weights' }
  | { type: 'export' }
  | { type: 'import'; state: TaskState }
  | { type: 'evaluate'; x: SharedArrayBuffer; y: SharedArrayBuffer; rows: number; batchSize: number; args: unknown };

type Reply =
  | { type: 'ready' }
  | { type: 'done'; loss: number }
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'state'; state: TaskState }
  | { type: 'imported' }
  | { type: 'evaluated'; sums: number[][] }
  | { type: 'error'; message: string };

/** The batches [first, last) of `batches` that rank `rank` of `size` evaluates. */
export function evaluationBatches(rank: number, size: number, batches: number): { first: number; last: number } {
  return { first: Math.floor((rank * batches) / size), last: Math.floor(((rank + 1) * batches) / size) };
}

/** A copy of `values` in memory every worker can read. */
function sharedCopy(values: Float32Array): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(values.byteLength);
  new Float32Array(shared).set(values);
  return shared;
}

/** Rank `rank`'s rows of a batch of `total` split `size` ways as evenly as possible. */
export function batchSlice(rank: number, size: number, total: number): BatchSlice {
  const offset = Math.floor((rank * total) / size);
  return { offset, rows: Math.floor(((rank + 1) * total) / size) - offset, total };
}

export async function createDataParallelTrainer(opts: DataParallelOptions): Promise<DataParallelTrainer> {
  const { workers: size, batchSize } = opts;
  if (!Number.isInteger(size) || size < 1) throw new Error('workers must be a positive integer');
  if (!Number.isInteger(batchSize) || batchSize < size) throw new Error(`batchSize ${batchSize} is smaller than the ${size} workers`);
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

  const sharedSets = new WeakMap<Float32Array, { x: SharedArrayBuffer; y: SharedArrayBuffer; labels: Float32Array }>();
  let busy = false;
  /** Sends `request` to the given workers and waits for all their replies; one exchange at a time. */
  const ask = async (request: WorkerRequest, to: Worker[] = threads): Promise<Reply[]> => {
    if (busy) throw new Error(`DataParallelTrainer: '${request.type}' asked while another request is running`);
    busy = true;
    try {
      const replies = to.map(next);
      for (const w of to) w.postMessage(request);
      return await expect(replies);
    } finally {
      busy = false;
    }
  };

  return {
    workers: size,
    async step(x: Float32Array, y: Float32Array, options: StepOptions = {}): Promise<number> {
      const rows = x.length / xSize;
      if (!Number.isInteger(rows) || rows < size || rows > batchSize || y.length !== rows * ySize) {
        throw new Error(`step expects between ${size} and ${batchSize} rows of ${xSize} inputs and ${ySize} labels; got ${x.length} inputs and ${y.length} labels`);
      }
      if (busy) throw new Error('DataParallelTrainer.step called while a step is running');
      ioView.set(x, 0);
      ioView.set(y, batchSize * xSize);
      const rs = await ask({ type: 'step', rows, lr: options.lr });
      return (rs[0] as { loss: number }).loss;
    },
    async getWeights(): Promise<Float32Array[]> {
      return ((await ask({ type: 'weights' }, [threads[0]]))[0] as { values: Float32Array[] }).values;
    },
    async exportState(): Promise<TaskState> {
      return ((await ask({ type: 'export' }, [threads[0]]))[0] as { state: TaskState }).state;
    },
    async importState(state: TaskState): Promise<void> {
      await ask({ type: 'import', state });
    },
    async evaluate(set: { x: Float32Array; y: Float32Array }, evalBatch: number, args?: unknown): Promise<number[][]> {
      const rows = set.x.length / xSize;
      if (!Number.isInteger(rows) || set.y.length !== rows * ySize) {
        throw new Error(`evaluate expects whole rows of ${xSize} inputs and ${ySize} labels; got ${set.x.length} inputs and ${set.y.length} labels`);
      }
      if (!Number.isInteger(evalBatch) || evalBatch < 1) throw new Error(`evaluation batch size must be a positive integer, got ${evalBatch}`);
      let copy = sharedSets.get(set.x);
      if (!copy || copy.labels !== set.y) {
        copy = { x: sharedCopy(set.x), y: sharedCopy(set.y), labels: set.y };
        sharedSets.set(set.x, copy);
      }
      const replies = await ask({ type: 'evaluate', x: copy.x, y: copy.y, rows, batchSize: evalBatch, args });
      return replies.flatMap((r) => (r as { sums: number[][] }).sums);
    },
    async close(): Promise<void> {
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
