/**
 * The test set's evaluation as a run makes it after every epoch (the main job's spec and model,
 * MNIST's 10,000 test images, inference mode), three ways alternating round by
 * round in one process (batches of EVAL_BATCH): on this thread with the engine's kernels, on this thread with tfjs-wasm's
 * stock FusedBatchNorm kernel put back (what inference batch norm cost before
 * wasm-kernels/batch-norm.ts), and split over two data-parallel workers (`evaluate(…, { on })`).
 * The model is freshly initialized: the time does not depend on the weights. Prints each way's
 * median, and each way's loss and correct count (the workers' are this thread's to the bit; the stock
 * kernel rounds some elements differently in the last bit).
 *
 *   npx tsx bench/evaluate.ts [--rounds 3]
 */
import * as tf from '@tensorflow/tfjs';
import { loadExperiment, type ResolvedCnnSpec } from '@xp/core';
import { registerWasmKernels, selectBackend } from '@xp/engine';
import { stockKernel } from '@xp/engine/wasm-kernels/util';
import { loadTrainingData } from '../packages/runner/src/kinds/cnn-classifier/train/data.ts';
import { EVAL_BATCH, evaluate, type Evaluation } from '../packages/runner/src/kinds/cnn-classifier/train/evaluate.ts';
import { buildTrainingSetup } from '../packages/runner/src/kinds/cnn-classifier/train/model.ts';
import { startDataParallel } from '../packages/runner/src/kinds/cnn-classifier/train/parallel.ts';

const argv = process.argv.slice(2);
const at = argv.indexOf('--rounds');
const rounds = Number(at >= 0 ? argv[at + 1] : 3);
const specFile = new URL('../experiments/cnn-19816.yaml', import.meta.url).pathname;

await selectBackend('wasm');
const spec = loadExperiment(specFile).variants[0].spec as ResolvedCnnSpec;
const { test } = await loadTrainingData(spec, specFile);
const setup = buildTrainingSetup(spec);
const [height, width, channels] = [test.height, test.width, test.channels];
const workers = await startDataParallel(spec, { workers: 2, batchSize: spec.train.batchSize, imageShape: [height, width, channels], maxParams: setup.model.countParams() });
await workers.push(setup.model, setup.optimizer);

/** tfjs-wasm's own FusedBatchNorm in place of the engine's, or the engine's back. */
function stockBatchNorm(on: boolean): void {
  if (on) {
    tf.unregisterKernel('FusedBatchNorm', 'wasm');
    tf.registerKernel({ kernelName: 'FusedBatchNorm', backendName: 'wasm', kernelFunc: stockKernel('FusedBatchNorm') as unknown as tf.KernelFunc });
  } else {
    registerWasmKernels(['FusedBatchNorm']);
  }
}

const ways: { name: string; run: () => Promise<Evaluation> }[] = [
  { name: 'this thread', run: () => evaluate(setup.model, test) },
  {
    name: 'this thread, stock FusedBatchNorm',
    run: async () => {
      stockBatchNorm(true);
      try {
        return await evaluate(setup.model, test);
      } finally {
        stockBatchNorm(false);
      }
    },
  },
  { name: 'two workers', run: () => evaluate(setup.model, test, { on: workers }) },
];

const seconds = new Map<string, number[]>(ways.map((w) => [w.name, []]));
const results = new Map<string, Evaluation>();
await evaluate(setup.model, test); // kernels built, caches warm
for (let r = 0; r < rounds; r++) {
  for (const way of ways) {
    const start = performance.now();
    results.set(way.name, await way.run());
    seconds.get(way.name)!.push((performance.now() - start) / 1000);
  }
}
await workers.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(seconds.get('this thread')!);
console.log(`evaluation of ${test.count} test images (batches of ${EVAL_BATCH}), ${rounds} rounds alternated:`);
for (const way of ways) {
  const s = seconds.get(way.name)!;
  const m = median(s);
  console.log(`  ${way.name.padEnd(34)} ${m.toFixed(2)} s (median; ${s.map((v) => v.toFixed(2)).join(', ')})  ${(m / base).toFixed(2)}× this thread's`);
}
for (const [name, r] of results) console.log(`  ${name.padEnd(34)} loss ${r.loss}, correct ${r.correct}`);
setup.dispose();
