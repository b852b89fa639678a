/**
 * A kernel helper thread (./threads.ts): instantiates the engine's kernels on the shared heap and
 * takes items of the requests it is invited to, polling, then blocking, on its control words
 * between them.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import './kernel-tasks.ts';
import { setFusedMultiplyAdd } from './simd.ts';
import { DONE, drainItems, FAILED, GO, taskNamed, TICKET, type HelperInit, type TaskRequest } from './threads.ts';
import type { Wasm } from './util.ts';

const init = workerData as HelperInit;
const control = new Int32Array(init.control);
const next = new Int32Array(init.items);
setFusedMultiplyAdd(init.fusedMultiplyAdd);
// What the kernels' builders read of a backend: its heap.
const heap = { wasm: { asm: { memory: init.memory } } } as unknown as Wasm;

/**
 * How long a helper keeps polling for the next request before it sleeps: a step's kernels come a
 * few milliseconds apart at most, and waking a sleeping thread costs this VM 0.1–2 ms.
 */
const SPIN_MS = 10;

function awaitRequest(seen: number): void {
  const until = performance.now() + SPIN_MS;
  for (;;) {
    for (let i = 0; i < 1000; i++) if (Atomics.load(control, GO) !== seen) return;
    if (performance.now() > until) break;
  }
  Atomics.wait(control, GO, seen);
}

function serve(request: TaskRequest): void {
  // Join, unless the caller has already taken every item and closed the ticket.
  if (Atomics.compareExchange(control, TICKET, request.seq, -request.seq) !== request.seq) return;
  try {
    drainItems(taskNamed(request.task), heap, request.plan as never, request.items, request.part, next);
  } catch (err) {
    init.port.postMessage(err instanceof Error ? err.stack ?? err.message : String(err));
    Atomics.store(control, FAILED, request.seq);
    Atomics.store(next, 0, request.items);
  }
  Atomics.store(control, DONE, request.seq);
  Atomics.notify(control, DONE);
}

parentPort!.postMessage('ready');
let seen = 0;
for (;;) {
  awaitRequest(seen);
  seen = Atomics.load(control, GO);
  if (seen === -1) break;
  // Every request posted so far is queued (the caller posts before it signals): serve them in order.
  for (let received = receiveMessageOnPort(init.port); received !== undefined; received = receiveMessageOnPort(init.port)) {
    serve(received.message as TaskRequest);
  }
}
process.exit(0);
