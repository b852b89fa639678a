/** Worker side of ./parallel.ts: one model copy, one slice of every batch, one core. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend.ts';
import { Collective, setActiveCollective } from './collective.ts';
import { batchSlice, evaluationBatches, type DataParallelTask, type WorkerInit, type WorkerRequest } from './parallel.ts';

const init = workerData as WorkerInit;
const port = parentPort!;

async function main(): Promise<void> {
  await selectBackend('wasm');
  type SetupModule = { setup(args: unknown, worker: { rank: number; size: number }): DataParallelTask | Promise<DataParallelTask> };
  const mod = (await import(init.setupModule)) as SetupModule;
  const task = await mod.setup(init.setupArgs, { rank: init.rank, size: init.size });
  if (!task.apply && !task.optimizer) throw new Error('the data-parallel task has neither apply() nor an optimizer');
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
  // Alone, a worker computes exactly what the main thread would: batch norm needs no merging.
  if (init.size > 1) setActiveCollective(group);

  const xSize = init.xShape.reduce((a, b) => a * b, 1);
  const ySize = init.yShape.reduce((a, b) => a * b, 1);
  const io = new Float32Array(init.io);
  const buf = new Float64Array(total + 1);

  const step = (rows: number, lr: number | undefined): number => {
    const slice = batchSlice(init.rank, init.size, rows);
    const { offset: lo, rows: n } = slice;
    const x = tf.tensor(io.slice(lo * xSize, (lo + n) * xSize), [n, ...init.xShape]);
    const yOff = init.batchSize * xSize;
    const y = tf.tensor(io.slice(yOff + lo * ySize, yOff + (lo + n) * ySize), [n, ...init.yShape]);
    // This slice's share of the batch's mean loss: the shares' gradients add up to the batch's,
    // and batch norm's backward pass, which sums over the whole batch, sees consistent terms.
    const share = n / rows;
    const { value, grads } = tf.variableGrads(() => {
      const loss = task.loss(x, y, slice);
      return share === 1 ? loss : tf.mul(loss, share);
    }, vars);
    let k = 0;
    for (const v of vars) {
      buf.set(grads[v.name].dataSync(), k);
      k += v.size;
    }
    buf[total] = value.dataSync()[0];
    tf.dispose([x, y, value, ...Object.values(grads)]);
    if (init.size > 1) group.allReduceSum(buf);
    const summed: tf.Tensor[] = [];
    k = 0;
    for (const v of vars) {
      summed.push(tf.tensor(Float32Array.from(buf.subarray(k, k + v.size)), v.shape));
      k += v.size;
    }
    if (task.apply) {
      task.apply(summed, lr);
    } else {
      task.optimizer!.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, summed[i]])));
    }
    tf.dispose(summed);
    return buf[total];
  };

  port.on('message', (m: WorkerRequest) => {
    try {
      switch (m.type) {
        case 'step':
          port.postMessage({ type: 'done', loss: step(m.rows, m.lr) });
          return;
        case 'weights': {
          const ts = [...vars, ...(task.state?.() ?? [])];
          port.postMessage({ type: 'weights', values: ts.map((t) => t.dataSync() as Float32Array) });
          return;
        }
        case 'export':
          if (!task.exportState) throw new Error('the data-parallel task has no exportState()');
          port.postMessage({ type: 'state', state: task.exportState() });
          return;
        case 'evaluate': {
          if (!task.evaluate) throw new Error('the data-parallel task has no evaluate()');
          const xs = new Float32Array(m.x);
          const ys = new Float32Array(m.y);
          const { first, last } = evaluationBatches(init.rank, init.size, Math.ceil(m.rows / m.batchSize));
          const sums: number[][] = [];
          for (let b = first; b < last; b++) {
            const lo = b * m.batchSize;
            const n = Math.min(m.batchSize, m.rows - lo);
            const x = tf.tensor(xs.slice(lo * xSize, (lo + n) * xSize), [n, ...init.xShape]);
            const y = tf.tensor(ys.slice(lo * ySize, (lo + n) * ySize), [n, ...init.yShape]);
            try {
              sums.push(task.evaluate(x, y, m.args));
            } finally {
              tf.dispose([x, y]);
            }
          }
          port.postMessage({ type: 'evaluated', sums });
          return;
        }
        case 'import':
          if (!task.importState) throw new Error('the data-parallel task has no importState()');
          task.importState(m.state);
          port.postMessage({ type: 'imported' });
          return;
      }
    } catch (err) {
      port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  });
  port.postMessage({ type: 'ready' });
}

main().catch((err: unknown) => port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) }));
