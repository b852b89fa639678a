/**
 * Intra-op parallelism for the wasm kernels: helper threads that run a kernel's work on the same
 * heap as the main thread (tfjs-backend-wasm's memory, made shared by ./shared-heap.ts), so one
 * convolution uses every core instead of one.
 *
 * A kernel describes its work as a *task*: a function over a range of independent items (images
 * of the batch, chunks of tiles, groups of images) that reads and writes the heap only through
 * the pointers in its plan, so any thread can run any item. `parallelFor` invites the helpers (the
 * plan travels by `postMessage`, the go signal by `Atomics.notify`, and helpers take the message
 * synchronously with `receiveMessageOnPort`: they never return to their event loop), then every
 * thread that has joined takes items one at a time from a shared counter until none is left. A
 * task whose items each compute their own outputs gives the same bits whichever thread took them;
 * one that sums over items (a filter gradient) sums over fixed groups (`sumGroups`), one partial
 * sum per group, which the kernel adds up in group order.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Wasm } from './util.ts';

/**
 * Work over items [from, to) of a plan; `part` is the thread's index (for per-thread scratch);
 * `tools` is what the task's `prepare` gave this thread for this request.
 */
export type TaskFn<P, T> = (heap: Wasm, plan: P, from: number, to: number, part: number, tools: T) => void;

export interface Task<P, T = undefined> {
  readonly name: string;
  readonly run: TaskFn<P, T>;
  /**
   * Once per thread and request, before its first item: the row kernels and other lookups every
   * item needs (a lookup per item cost a few milliseconds a step, in string keys and maps).
   */
  readonly prepare?: (heap: Wasm, plan: P) => T;
}

const tasks = new Map<string, Task<never, never>>();

/** Registers a task under `name`: the helpers find it by that name (the module defining it is loaded by ./kernel-tasks.ts). */
export function defineTask<P, T = undefined>(name: string, run: TaskFn<P, T>, prepare?: (heap: Wasm, plan: P) => T): Task<P, T> {
  const task = { name, run, prepare };
  tasks.set(name, task as unknown as Task<never, never>);
  return task;
}

export function taskNamed(name: string): Task<unknown, unknown> {
  const task = tasks.get(name);
  if (!task) throw new Error(`no kernel task named ${name}`);
  return task as unknown as Task<unknown, unknown>;
}

/** Control words shared with one helper. */
export const GO = 0; // sequence number of the latest request posted (−1: exit)
export const TICKET = 1; // the open request's sequence number; the helper joins by negating it, the caller closes it with 0
export const DONE = 2; // sequence number of the latest request the helper joined and finished
export const FAILED = 3; // sequence number of the latest request that threw on the helper (its message follows on the port)

/** Words of the pool's shared item counter. */
export const NEXT = 0;

export interface HelperInit {
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** The pool's item counter, shared by every thread. */
  items: SharedArrayBuffer;
  port: MessagePort;
  fusedMultiplyAdd: boolean;
}

export interface TaskRequest {
  task: string;
  plan: unknown;
  items: number;
  seq: number;
  /** The helper's index among the threads (the caller is 0): which per-thread scratch it uses. */
  part: number;
}

interface Helper {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
}

let helpers: Helper[] = [];
let heapOfPool: WebAssembly.Memory | null = null;
let counter = new Int32Array(new SharedArrayBuffer(4));
let seq = 0;
let inUse = Infinity;

/** Threads a kernel's work is split over: 1 plus the helpers started on this heap (at most `useKernelThreads`'). */
export function kernelThreads(heap?: Wasm): number {
  if (heap !== undefined && (heap.wasm as { asm?: { memory?: unknown } }).asm?.memory !== heapOfPool) return 1;
  return Math.min(helpers.length + 1, inUse);
}

/** Threads started on this process's pool (1 plus its helpers), whatever `useKernelThreads` allows of them. */
export function kernelThreadsStarted(): number {
  return helpers.length + 1;
}

/** Splits kernels over at most `n` of the started threads from now on (benchmarks alternate counts in one process). */
export function useKernelThreads(n: number): void {
  inUse = Math.max(1, n);
}

/**
 * Starts `threads − 1` helpers on `memory` (a shared heap). Resolves once each has loaded the
 * kernels; a second call replaces the pool.
 */
export async function startKernelThreads(memory: WebAssembly.Memory, threads: number, fusedMultiplyAdd: boolean): Promise<void> {
  await stopKernelThreads();
  const items = new SharedArrayBuffer(4);
  const started = await Promise.all(Array.from({ length: Math.max(0, threads - 1) }, async () => {
    const control = new SharedArrayBuffer(16);
    const { port1, port2 } = new MessageChannel();
    const init: HelperInit = { memory, control, items, port: port2, fusedMultiplyAdd };
    const worker = new Worker(new URL('./thread-helper-boot.mjs', import.meta.url), { workerData: init, transferList: [port2] });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`kernel helper thread exited with code ${code} before it was ready`)));
    });
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    worker.unref();
    port1.unref();
    return { worker, control: new Int32Array(control), port: port1 };
  }));
  helpers = started;
  heapOfPool = memory;
  counter = new Int32Array(items);
}

export async function stopKernelThreads(): Promise<void> {
  const old = helpers;
  helpers = [];
  heapOfPool = null;
  for (const h of old) {
    Atomics.store(h.control, GO, -1);
    Atomics.notify(h.control, GO);
  }
  await Promise.all(old.map((h) => h.worker.terminate()));
}

/** Items of the current request, one at a time, until none is left; shared by the caller and the helpers that joined. */
export function drainItems<P, T>(task: Task<P, T>, heap: Wasm, plan: P, items: number, part: number, next: Int32Array): void {
  let tools: T | undefined;
  let prepared = false;
  for (;;) {
    const i = Atomics.add(next, NEXT, 1);
    if (i >= items) return;
    if (!prepared) {
      tools = task.prepare?.(heap, plan);
      prepared = true;
    }
    task.run(heap, plan, i, i + 1, part, tools as T);
  }
}

function waitDone(h: Helper, request: number): void {
  for (;;) {
    const done = Atomics.load(h.control, DONE);
    if (done === request) return;
    Atomics.wait(h.control, DONE, done, 1000);
  }
}

/**
 * Runs `task` over items [0, count) of `plan` on the kernel threads; returns when every item is
 * done. Items are taken one at a time from a shared counter, so a helper that wakes late or runs
 * slower takes fewer; a helper that has not woken by the time the caller has taken the last item is
 * left out of this request (its ticket closed), so the caller never waits for a thread to wake.
 */
export function parallelFor<P, T>(task: Task<P, T>, heap: Wasm, plan: P, count: number): void {
  const threads = Math.min(kernelThreads(heap), count);
  if (threads <= 1) {
    if (count > 0) task.run(heap, plan, 0, count, 0, task.prepare?.(heap, plan) as T);
    return;
  }
  const request = ++seq;
  Atomics.store(counter, NEXT, 0);
  const invited = helpers.slice(0, threads - 1);
  invited.forEach((h, i) => {
    const message: TaskRequest = { task: task.name, plan, items: count, seq: request, part: i + 1 };
    h.port.postMessage(message);
    Atomics.store(h.control, TICKET, request);
    Atomics.store(h.control, GO, request);
    Atomics.notify(h.control, GO);
  });
  let failure: unknown = null;
  try {
    drainItems(task, heap, plan, count, 0, counter);
  } catch (err) {
    failure = err;
    // Take what is left, so that the helpers stop too.
    Atomics.store(counter, NEXT, count);
  }
  for (const h of invited) {
    if (Atomics.compareExchange(h.control, TICKET, request, 0) === request) continue; // never joined
    waitDone(h, request);
    if (Atomics.load(h.control, FAILED) === request) {
      const message = receiveMessageOnPort(h.port)?.message as string | undefined;
      failure ??= new Error(`kernel task ${task.name} failed on a helper thread: ${message ?? 'no message'}`);
    }
  }
  if (failure !== null) throw failure;
}

/** A Float32Array over the whole heap (a task's view; take it after the plan's allocations, as `f32`). */
export function heapF32(heap: Wasm): Float32Array {
  return new Float32Array((heap.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory.buffer);
}

/**
 * Groups a sum over `items` is split into: 1 on one thread (the sum as it has always run), else a
 * fixed 16 (at most one per item), whatever the thread count, so that results depend on whether the
 * kernels run threaded, not on how many threads or which thread took which group. 16 rather than 8:
 * the caller waits at the end for the last group a helper took, half a group on average (measured:
 * 0.4 ms a Winograd filter gradient with 8).
 */
export function sumGroups(items: number, threads: number): number {
  return threads > 1 ? Math.min(16, items) : 1;
}

/** First item of group g of `groups` over `items` (contiguous, as even as can be). */
export function groupStart(items: number, groups: number, g: number): number {
  return Math.round((items * g) / groups);
}
