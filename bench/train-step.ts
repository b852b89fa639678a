/**
 * Training-step benchmark: the seed's 19,816-parameter network, SGD (lr 0.01, momentum 0.9) on
 * random batches, TensorFlow.js vs PyTorch on the CPU.
 *
 *   cd packages/runner && npx tsx ../../bench/train-step.ts [--backend wasm] [--batches 20]
 *       [--warmup 5] [--batch-size 128] [--stock] [--no-torch] [--json] [--procs 2] [--workers 2]
 *
 * --stock times tfjs as shipped (stock wasm kernels, stock batch-norm/dropout composition) with
 * only the missing Conv2DBackpropFilter added (as a forward XNNPACK convolution on transposed
 * tensors), the "before" figure. PyTorch runs through
 * /usr/bin/python3 (Debian's python3-torch) at 1 and 2 threads.
 *
 * --workers N trains one model data-parallel on N worker threads (packages/engine/src/parallel.ts:
 * the batch split across workers, batch norm synchronized, gradients averaged).
 *
 * --procs N runs N independent tfjs trainings at once (one process each, as two sweep variants
 * would) and reports each one's ms/batch and their combined images/s: a wasm process keeps one
 * core busy, so this is how tfjs uses a second core.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  benchTrainStep, createDataParallelTrainer, registerWasmKernels, selectBackend, type BackendRequest,
} from '@xp/engine';
import { setFilterGradStrategy } from '@xp/engine/wasm-kernels/conv2d-backprop-filter';
import { buildSeedNet } from './seed-cnn.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const backend = opt('backend', 'wasm') as BackendRequest;
const batchSize = Number(opt('batch-size', '128'));
const batches = Number(opt('batches', '20'));
const warmup = Number(opt('warmup', '5'));
const stock = flag('stock');

export async function tfjsStep(opts: { stock: boolean; batchSize: number }) {
  const net = buildSeedNet({ bn: opts.stock ? 'composite' : 'fused' });
  const optimizer = tf.train.momentum(0.01, 0.9);
  const data = Array.from({ length: 4 }, (_, i) => ({
    x: tf.keep(tf.randomNormal([opts.batchSize, 28, 28, 1], 0, 1, 'float32', i)) as tf.Tensor4D,
    y: tf.keep(tf.randomUniform([opts.batchSize], 0, 10, 'int32', i).cast('float32')) as tf.Tensor1D,
  }));
  return {
    numParams: net.numParams,
    step: (i: number) => {
      const { x, y } = data[i % data.length];
      tf.tidy(() => {
        const loss = optimizer.minimize(() => net.loss(x, y, true), true, net.variables)!;
        loss.dataSync();
      });
    },
  };
}

async function concurrent(procs: number) {
  const self = fileURLToPath(import.meta.url);
  const childArgs = argv.filter((a, i) => a !== '--procs' && argv[i - 1] !== '--procs');
  const t0 = performance.now();
  const outs = await Promise.all(Array.from({ length: procs }, () =>
    promisify(execFile)(process.execPath, [...process.execArgv, self, ...childArgs, '--no-torch', '--json'], { encoding: 'utf8' })));
  const wall = performance.now() - t0;
  const runs = outs.map((o) => JSON.parse(o.stdout.trim().split('\n').pop()!).tfjs as { msPerBatch: number; imagesPerSec: number });
  const total = runs.reduce((s, r) => s + r.imagesPerSec, 0);
  if (flag('json')) {
    console.log(JSON.stringify({ procs, threadsUsed: procs, runs, imagesPerSec: total, wallMs: wall }));
    return;
  }
  console.log(`${procs} concurrent tfjs trainings (threadsUsed ${procs}): ` +
    runs.map((r) => `${r.msPerBatch.toFixed(1)}`).join(', ') + ` ms/batch; together ${total.toFixed(0)} images/s`);
}

async function main() {
  const procs = Number(opt('procs', '1'));
  if (procs > 1) return concurrent(procs);
  let selected;
  if (stock) {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    // The stand-in of the "before" figure: XNNPACK on transposed tensors, not the SIMD kernel.
    registerWasmKernels(['Conv2DBackpropFilter']);
    setFilterGradStrategy('xnnpack');
    selected = { name: 'wasm (stock kernels + Conv2DBackpropFilter)', threads: 1 };
  } else {
    selected = await selectBackend(backend);
  }
  const workers = Number(opt('workers', '1'));
  let tfjs;
  if (workers > 1) {
    const trainer = await createDataParallelTrainer({
      workers, setupModule: new URL('./seed-dp.ts', import.meta.url), batchSize, xShape: [28, 28, 1], yShape: [],
    });
    const data = Array.from({ length: 4 }, (_, i) => ({
      x: tf.randomNormal([batchSize * 28 * 28], 0, 1, 'float32', i).dataSync() as Float32Array,
      y: tf.randomUniform([batchSize], 0, 10, 'int32', i).cast('float32').dataSync() as Float32Array,
    }));
    const r = await benchTrainStep((i) => trainer.step(data[i % 4].x, data[i % 4].y), { batchSize, batches, warmup });
    await trainer.close();
    tfjs = { ...r, backend: `${selected.name} data-parallel`, numParams: 19816, threadsUsed: workers * selected.threads };
  } else {
    const { step, numParams } = await tfjsStep({ stock, batchSize });
    const r = await benchTrainStep(step, { batchSize, batches, warmup });
    tfjs = { ...r, backend: selected.name, numParams, threadsUsed: selected.threads };
  }
  const numParams = tfjs.numParams;

  const torch: { threads: number; msPerBatch: number }[] = [];
  if (!flag('no-torch')) {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'train_step_torch.py');
    for (const threads of [1, 2]) {
      const out = execFileSync('/usr/bin/python3', [script, '--threads', String(threads), '--batches', String(batches),
        '--warmup', String(warmup), '--batch-size', String(batchSize)], { encoding: 'utf8' });
      torch.push(JSON.parse(out.trim().split('\n').pop()!));
    }
  }
  if (flag('json')) {
    console.log(JSON.stringify({ tfjs, torch }));
    return;
  }
  console.log(`tfjs ${tfjs.backend}, ${tfjs.threadsUsed} thread(s), ${numParams} params, batch ${batchSize}: ` +
    `${tfjs.msPerBatch.toFixed(1)} ms/batch (${tfjs.imagesPerSec.toFixed(0)} images/s), median of ${batches}`);
  for (const t of torch) {
    console.log(`PyTorch ${t.threads} thread(s): ${t.msPerBatch.toFixed(1)} ms/batch; ` +
      `tfjs / PyTorch = ${(tfjs.msPerBatch / t.msPerBatch).toFixed(2)}×`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
