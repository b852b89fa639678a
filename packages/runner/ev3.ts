import { loadExperiment } from '@xp/core';
import { selectBackend } from '@xp/engine';
import { buildTrainingSetup } from './src/kinds/cnn-classifier/train/model.ts';
import { evaluate } from './src/kinds/cnn-classifier/train/evaluate.ts';
import { startDataParallel } from './src/kinds/cnn-classifier/train/parallel.ts';
await selectBackend('wasm');
const spec = loadExperiment('../../experiments/cnn-19816.yaml').variants[0].spec as any;
const setup = buildTrainingSetup(spec);
const parallel = await startDataParallel(spec, { workers: 2, batchSize: 128, imageShape: [28, 28, 1], maxParams: setup.model.countParams() });
await parallel.push(setup.model, setup.optimizer);
const count = 10000;
const images = new Float32Array(count * 784).map((_, i) => Math.sin(i));
const set = { count, height: 28, width: 28, channels: 1, images, labels: new Uint8Array(count).map((_, i) => i % 10), background: 0 };
for (let r = 0; r < 2; r++) {
  let t = performance.now(); const a = await evaluate(setup.model, set as any); const local = (performance.now() - t) / 1000;
  t = performance.now(); const b = await evaluate(setup.model, set as any, { on: parallel }); const two = (performance.now() - t) / 1000;
  console.log(`10k test images: this thread ${local.toFixed(2)} s, two workers ${two.toFixed(2)} s, same ${a.loss === b.loss && a.correct === b.correct}`);
}
await parallel.close();
