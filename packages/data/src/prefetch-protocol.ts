/**
 * What ./prefetch.ts and its loader thread (./prefetch-worker.ts) share: the control block's layout
 * and states, and the messages. No TensorFlow.js here, so the loader thread does not load it.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AugmentOptions } from './augment.ts';
import type { ImageSet } from './mnist.ts';

export const FREE = 0;
export const FULL = 1;
export const END = 2;
export const FAILED = 3;

/** Int32 fields of the control block: per slot its state, batch index and batch size; then the loader's own. */
export const SLOTS = 2;
const FIELDS = ['state', 'index', 'size'] as const;
export const slotField = (slot: number, field: (typeof FIELDS)[number]): number => slot * FIELDS.length + FIELDS.indexOf(field);
/** The generation the loader is told to abandon (an epoch left before its end). */
export const STOP = SLOTS * FIELDS.length;
/** The generation the loader last finished with (it waits for the next request after setting it). */
export const IDLE = STOP + 1;
export const CONTROL_FIELDS = IDLE + 1;

export interface PrefetchOptions {
  batchSize: number;
  seed: number;
  augment?: AugmentOptions;
}

/** What the loader thread receives at start. */
export interface LoaderInit {
  set: ImageSet;
  options: PrefetchOptions;
  control: SharedArrayBuffer;
  pixels: SharedArrayBuffer[];
  labels: SharedArrayBuffer[];
  errors: MessagePort;
}

/** A request for one epoch's batches, from `startBatch` on. */
export interface EpochRequest {
  generation: number;
  epoch: number;
  startBatch: number;
}

