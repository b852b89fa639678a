/**
 * The batch loader thread of ./prefetch.ts: runs `epochBatchArrays` for each epoch it is asked for
 * and copies each batch into the next free slot, at the lowest scheduling priority.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { epochBatchArrays } from './batch-arrays.ts';
import { END, FAILED, FREE, FULL, IDLE, SLOTS, STOP, slotField, type EpochRequest, type LoaderInit } from './prefetch-protocol.ts';

const init = workerData as LoaderInit;
const control = new Int32Array(init.control);
const pixels = init.pixels.map((b) => new Float32Array(b));
const labels = init.labels.map((b) => new Int32Array(b));

try {
  // Linux sets a thread's own priority (0 is the calling thread): the step's threads go first.
  os.setPriority(0, 19);
} catch {
  // Where the system refuses, the loader runs at the ordinary priority.
}

/** Waits until slot k is free; false when generation g is to be abandoned meanwhile. */
function waitFree(k: number, g: number): boolean {
  const state = slotField(k, 'state');
  for (;;) {
    if (Atomics.load(control, STOP) >= g) return false;
    const now = Atomics.load(control, state);
    if (now === FREE) return true;
    Atomics.wait(control, state, now, 100);
  }
}

function publish(k: number, what: number): void {
  const state = slotField(k, 'state');
  Atomics.store(control, state, what);
  Atomics.notify(control, state);
}

function run({ generation: g, epoch, startBatch }: EpochRequest): void {
  let k = 0;
  try {
    for (const batch of epochBatchArrays(init.set, epoch, { ...init.options, startBatch })) {
      if (!waitFree(k, g)) return;
      pixels[k].set(batch.pixels);
      labels[k].set(batch.labels);
      Atomics.store(control, slotField(k, 'index'), batch.index);
      Atomics.store(control, slotField(k, 'size'), batch.size);
      publish(k, FULL);
      k = (k + 1) % SLOTS;
    }
    if (waitFree(k, g)) publish(k, END);
  } catch (error) {
    init.errors.postMessage((error as Error).message ?? String(error));
    if (waitFree(k, g)) publish(k, FAILED);
  } finally {
    Atomics.store(control, IDLE, g);
    Atomics.notify(control, IDLE);
  }
}

parentPort!.on('message', (request: EpochRequest) => run(request));
parentPort!.postMessage('ready');
