/** Worker side of ./parallel.ts: one model copy, one slice of every batch, one core. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend.ts';
import { Collective, setActiveCollective } from './collective.ts';
import type { DataParallelTask, WorkerInit } from './parallel.ts';

const init = workerData as WorkerInit;
const port = parentPort!;

async function main(): Promise<void> {
  await selectBackend('wasm');
  const mod = (await import(init.setupModule)) as { setup(args: unknown): DataParallelTask | Promise<DataParallelTask> };
  const task = await mod.setup(init.setupArgs);
  const group = new Collective({ sab: init.collective, rank: init.rank, size: init.size, slotLength: init.slotLength });
  const vars = task.variables;
  const total = vars.reduce((s, v) => s + v.size, 0);
  if (total + 1 > init.slotLength) throw new Error(`model has ${total} parameters, more than maxParams`);

  // Start every copy from worker 0's weights.
  const flat = new Float64Array(total);
  let o = 0;
  for (const v of vars) {
    flat.set(v.dataSync(), o);
    o += v.size;
  }
  const first = group.allGather(flat)[0];
  o = 0;
  for (const v of vars) {
    v.assign(tf.tensor(Float32Array.from(first.subarray(o, o + v.size)), v.shape));
    o += v.size;
  }
  setActiveCollective(group);

  const per = init.batchSize / init.size;
  const xSize = init.xShape.reduce((a, b) => a * b, 1);
  const ySize = init.yShape.reduce((a, b) => a * b, 1);
  const io = new Float32Array(init.io);
  const buf = new Float64Array(total + 1);

  const step = (): number => {
    const lo = init.rank * per;
    const x = tf.tensor(io.slice(lo * xSize, (lo + per) * xSize), [per, ...init.xShape]);
    const yOff = init.batchSize * xSize;
    const y = tf.tensor(io.slice(yOff + lo * ySize, yOff + (lo + per) * ySize), [per, ...init.yShape]);
    const { value, grads } = tf.variableGrads(() => task.loss(x, y), vars);
    let k = 0;
    for (const v of vars) {
      buf.set(grads[v.name].dataSync(), k);
      k += v.size;
    }
    buf[total] = value.dataSync()[0];
    tf.dispose([x, y, value, ...Object.values(grads)]);
    group.allReduceSum(buf);
    const scale = 1 / init.size;
    const averaged: tf.NamedTensorMap = {};
    k = 0;
    for (const v of vars) {
      const g = new Float32Array(v.size);
      for (let i = 0; i < v.size; i++) g[i] = buf[k + i] * scale;
      averaged[v.name] = tf.tensor(g, v.shape);
      k += v.size;
    }
    task.optimizer.applyGradients(averaged);
    tf.dispose(Object.values(averaged));
    return buf[total] * scale;
  };

  port.on('message', (m: { type: string }) => {
    try {
      if (m.type === 'weights') {
        const ts = [...vars, ...(task.state?.() ?? [])];
        port.postMessage({ type: 'weights', values: ts.map((t) => t.dataSync() as Float32Array) });
        return;
      }
      if (m.type !== 'step') return;
      port.postMessage({ type: 'done', loss: step() });
    } catch (err) {
      port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  });
  port.postMessage({ type: 'ready' });
}

main().catch((err: unknown) => port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) }));
