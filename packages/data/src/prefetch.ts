/**
 * Training batches assembled (shuffled, augmented) on a thread of their own, up to two ahead of the
 * step that takes them, as PyTorch's DataLoader does with a worker: when the step runs on this
 * thread, with its kernels split over every core, assembling the next batch here would leave those
 * cores idle meanwhile. The loader thread runs `epochBatchArrays`, the same generator `epochBatches`
 * runs here, so the batches are the same to the bit; it runs at the lowest scheduling priority, so it
 * takes what the step leaves of the cores rather than preempting the kernels' threads.
 *
 * The images are read where they are: the set's arrays must live in shared memory (the dataset
 * loaders allocate them so: ./shared-arrays.ts); `canPrefetch` says whether they do.
 *
 * Handover is two slots in shared memory, each FREE, FULL (a batch: its index and size beside it),
 * END (the epoch is over) or FAILED (the loader threw; its message comes on a port), with Atomics
 * wait/notify on both sides: this thread may block (it has nothing else to do until the batch is
 * there), the loader blocks when both slots are full.
 */
import { receiveMessageOnPort, MessageChannel, Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './batches.ts';
import type { ImageSet } from './mnist.ts';
import { CONTROL_FIELDS, END, FAILED, FREE, IDLE, SLOTS, STOP, slotField, type EpochRequest, type LoaderInit, type PrefetchOptions } from './prefetch-protocol.ts';

export type { PrefetchOptions } from './prefetch-protocol.ts';

export interface BatchPrefetcher {
  /** Epoch `epoch`'s batches from `startBatch` on, as `epochBatches` yields them (class-index labels); the caller disposes each. */
  epoch(epoch: number, startBatch?: number): Generator<Batch<tf.Tensor1D>>;
  /** Stops the loader thread. */
  close(): Promise<void>;
}

/** Whether the set's images and labels are in shared memory, which a loader thread needs. */
export function canPrefetch(set: ImageSet): boolean {
  return set.images.buffer instanceof SharedArrayBuffer && set.labels.buffer instanceof SharedArrayBuffer;
}

/** A loader that does not answer for this long is taken for stuck (a batch takes milliseconds). */
const STALL_MS = 120_000;

/** Starts the loader thread for `set`; resolves once it is ready to take requests. */
export async function startBatchPrefetcher(set: ImageSet, options: PrefetchOptions): Promise<BatchPrefetcher> {
  if (!canPrefetch(set)) throw new Error('startBatchPrefetcher: the set\'s images and labels must be in shared memory (shared-arrays.ts)');
  const imageSize = set.height * set.width * set.channels;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_FIELDS * 4));
  const pixels = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(options.batchSize * imageSize * 4));
  const labels = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(options.batchSize * 4));
  const { port1: errors, port2 } = new MessageChannel();
  const init: LoaderInit = { set, options, control: control.buffer as SharedArrayBuffer, pixels, labels, errors: port2 };
  const worker = new Worker(new URL('./prefetch-worker-boot.mjs', import.meta.url), { workerData: init, transferList: [port2] });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the batch loader thread exited with code ${code} before it was ready`)));
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  // A failure reaches the generator through the FAILED state and the port; nothing else listens.
  worker.on('error', () => {});
  worker.unref();
  errors.unref();
  const slotPixels = pixels.map((b) => new Float32Array(b));
  const slotLabels = labels.map((b) => new Int32Array(b));
  let generation = 0;
  let closed = false;

  /** Waits while `index` holds `value`; throws when the loader has said nothing for STALL_MS. */
  const waitWhile = (index: number, value: number): void => {
    const since = Date.now();
    while (Atomics.load(control, index) === value) {
      if (Atomics.wait(control, index, value, 1000) === 'timed-out' && Date.now() - since > STALL_MS) {
        throw new Error(`the batch loader thread has not answered for ${STALL_MS / 1000} s`);
      }
    }
  };

  /** Makes the loader leave generation `g` (if it still runs it) and waits until it has. */
  const abandon = (g: number): void => {
    Atomics.store(control, STOP, g);
    for (let k = 0; k < SLOTS; k++) {
      Atomics.store(control, slotField(k, 'state'), FREE);
      Atomics.notify(control, slotField(k, 'state'));
    }
    while (Atomics.load(control, IDLE) < g) waitWhile(IDLE, Atomics.load(control, IDLE));
  };

  function* epoch(epochNumber: number, startBatch = 0): Generator<Batch<tf.Tensor1D>> {
    if (closed) throw new Error('the batch prefetcher is closed');
    const previous = generation;
    if (previous > 0) abandon(previous);
    const g = ++generation;
    for (let k = 0; k < SLOTS; k++) Atomics.store(control, slotField(k, 'state'), FREE);
    const request: EpochRequest = { generation: g, epoch: epochNumber, startBatch };
    worker.postMessage(request);
    let k = 0;
    let ended = false;
    try {
      for (;;) {
        const state = slotField(k, 'state');
        waitWhile(state, FREE);
        const what = Atomics.load(control, state);
        if (what === END) {
          ended = true;
          return;
        }
        if (what === FAILED) {
          ended = true;
          const message = receiveMessageOnPort(errors)?.message as string | undefined;
          throw new Error(`the batch loader thread failed: ${message ?? 'no message'}`);
        }
        const size = Atomics.load(control, slotField(k, 'size'));
        const index = Atomics.load(control, slotField(k, 'index'));
        const x = tf.tensor4d(slotPixels[k].slice(0, size * imageSize), [size, set.height, set.width, set.channels]);
        const y = tf.tensor1d(slotLabels[k].slice(0, size), 'int32');
        Atomics.store(control, state, FREE);
        Atomics.notify(control, state);
        k = (k + 1) % SLOTS;
        yield { x, y, index, size };
      }
    } finally {
      // Left early (an interrupt, a diverged loss): the loader stops where it is, unless a newer
      // epoch has taken it over already.
      if (!ended && g === generation) abandon(g);
    }
  }

  return {
    epoch,
    close: async () => {
      closed = true;
      await worker.terminate();
    },
  };
}
