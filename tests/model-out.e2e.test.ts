/**
 * A model that leaves xp (#19): one small CNN run trained through the real `xp` binary, then its
 * model/ opened by programs that know nothing of xp — stock @tensorflow/tfjs in a separate Node
 * process, and TensorFlow.js's browser bundle in Chromium over http — whose probabilities must
 * equal xp's own evaluation of the run's final weights (the checkpoint, xp's fused layers) to 1e-5.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@xp/models';
import { greyPngBytes, writeDigitCsv, writeDigitFolder, writeDigitIdx } from '@xp/data';
import { selectBackend } from '@xp/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpointModel } from '../packages/runner/src/kinds/cnn-classifier/train/checkpoint.ts';
import { chromiumSkipReason, launchChromium } from './fixtures/mlflow-server.ts';
import { serveStatic } from './fixtures/static-server.ts';
import { REPO, tempDir, xp } from './helpers.ts';
import { MNIST_DIR, MODEL_OUT_CNN, mnistTestPixels, TEST_COUNT } from './fixtures/model-out.ts';

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
  let runId = '';
  const pixels = mnistTestPixels(TEST_COUNT);
  let expected: number[][] = [];

  beforeAll(async () => {
    const result = xp(['run', 'small.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, timeoutMs: 170_000 });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout.trim().split('\n').pop()!).runs[0] as { runId: string; artifacts: Record<string, string> };
    runId = run.runId;
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
      resize: { method: 'bilinear', halfPixelCenters: true, keepAspectRatio: false },
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


  type PredictJson = { model: string; classes: string[]; predictions: { input: string; top: { class: string; index: number; probability: number }[] }[] };
  const predict = (args: string[]) => xp(['predict', ...args, '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
  const parsed = (result: { code: number; stdout: string; stderr: string }): PredictJson => {
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as PredictJson;
  };
  /** The top class and its probability, as xp's evaluation gives them, for test image i. */
  const bestOf = (i: number) => {
    const row = expected[i];
    const index = row.indexOf(Math.max(...row));
    return { class: String(index), probability: row[index] };
  };

  it('xp predict RUN-PREFIX on an IDX file, a CSV and a folder of PNGs: the top classes by name with xp\'s probabilities', () => {
    const count = 12;
    const idx = writeDigitIdx(join(dir, 'inputs'), 'few', { split: 'test', count });
    const fromIdx = parsed(predict([runId.slice(0, 8), idx.images, '--format', 'json', '--top', '3']));
    expect(fromIdx.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(fromIdx.predictions).toHaveLength(count);
    fromIdx.predictions.forEach((p, i) => {
      expect(p.input.endsWith(`few-images-idx3-ubyte#${i}`)).toBe(true);
      expect(p.top).toHaveLength(3);
      expect(p.top[0].class).toBe(bestOf(i).class);
      expect(Math.abs(p.top[0].probability - bestOf(i).probability)).toBeLessThan(1e-5);
      expect(p.top[0].probability).toBeGreaterThanOrEqual(p.top[1].probability);
    });
    writeDigitCsv(join(dir, 'inputs', 'few.csv'), { split: 'test', count });
    const fromCsv = parsed(predict([runId, join(dir, 'inputs', 'few.csv'), '--format', 'json']));
    expect(fromCsv.predictions.map((p) => p.top)).toEqual(fromIdx.predictions.map((p) => p.top));
    writeDigitFolder(join(dir, 'inputs', 'pngs'), { split: 'test', count });
    const fromFolder = parsed(predict([modelDir, join(dir, 'inputs', 'pngs'), '--format', 'json']));
    // The folder is read sorted (class folders, then file names): match each PNG by its index in the set.
    for (const p of fromFolder.predictions) {
      const i = Number(p.input.match(/(\d+)\.png$/)![1]);
      expect(p.top).toEqual(fromIdx.predictions[i].top);
    }
    expect(fromFolder.predictions).toHaveLength(count);
  });

  it('xp predict prints a table and CSV; resizes an image of another size (noted)', () => {
    const png = join(dir, 'inputs', 'big.png');
    // Test image 0 at twice the size (each pixel repeated 2×2).
    const big = new Uint8Array(56 * 56);
    for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big[y * 56 + x] = pixels[(y >> 1) * 28 + (x >> 1)];
    writeFileSync(png, greyPngBytes(big, 56, 56));
    const table = predict([runId.slice(0, 8), png, '--top', '2']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^input\s+top classes \(probability\)\n/);
    expect(table.stdout).toMatch(new RegExp(`big\\.png\\s+${bestOf(0).class} \\d+\\.\\d\\d%   \\d \\d+\\.\\d\\d%`));
    expect(table.stderr).toMatch(/1 input\(s\) resized to the model's 28×28/);
    const csv = predict([runId.slice(0, 8), png, '--top', '2', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toBe('input,rank,class,index,probability');
    expect(csv.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('xp predict: --help answers; a run without a model, an unknown id and a file that is no image are exit 2 with the reason', () => {
    const help = xp(['predict', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: xp predict \[options\] <model> <inputs\.\.\.>/);
    expect(help.stdout).toMatch(/--top <k>/);
    writeFileSync(join(dir, 'toy.yaml'), 'name: toy-no-model\nkind: toy-mlp\ndata: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}\nmodel:\n  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}\ntrain: {steps: 3, lr: 0.5}\n');
    const toy = xp(['run', 'toy.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    const toyRun = JSON.parse(toy.stdout.trim().split('\n').pop()!).runs[0].runId as string;
    const noModel = predict([toyRun.slice(0, 8), join(dir, 'pixels.bin')]);
    expect(noModel.code).toBe(2);
    expect(noModel.stdout).toBe('');
    expect(noModel.stderr).toMatch(new RegExp(`run ${toyRun.slice(0, 8)} \\(.*\\) has no exported model .*xp run SPEC`));
    const unknown = predict(['ffffffff', join(dir, 'pixels.bin')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no run id starts with "ffffffff"/);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const notImage = predict([runId.slice(0, 8), join(dir, 'notes.txt')]);
    expect(notImage.code).toBe(2);
    expect(notImage.stderr).toMatch(/notes\.txt: not a PNG or JPEG image, an IDX image file/);
  });

  it.skipIf(skip !== null)(`xp export writes a page that classifies a loaded image and a drawn digit from file://, as xp predict does${skip ? ` — skipped: ${skip}` : ''}`, async () => {
    const out = join(dir, 'exported');
    const result = xp(['export', runId.slice(0, 8), '--out', out, '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['classify.js', 'index.html', 'model', 'model-data.js', 'tf.min.js']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toMatch(/https?:\/\//);
    const help = xp(['export', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--out <dir>/);
    const png = join(dir, 'inputs', 'seven.png');
    mkdirSync(join(dir, 'inputs'), { recursive: true });
    writeFileSync(png, greyPngBytes(pixels.subarray(0, 784), 28, 28));
    const answer = parsed(predict([runId.slice(0, 8), png, '--format', 'json', '--top', '1'])).predictions[0].top[0];

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${out}/index.html`);
      await page.waitForSelector('#prediction[data-state="ready"]');
      await page.setInputFiles('#file', png);
      await page.waitForSelector('#prediction[data-state="done"]');
      const shown = await page.$eval('#prediction', (element) => ({ class: element.getAttribute('data-class'), probability: Number(element.getAttribute('data-probability')) }));
      expect(shown.class).toBe(answer.class);
      expect(Math.abs(shown.probability - answer.probability)).toBeLessThan(1e-5);
      // Offline: every request the page made was for its own files.
      expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);

      // A digit drawn with the mouse: a vertical stroke, a "1".
      await page.click('#clear');
      const box = (await page.locator('#pad').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
      await page.mouse.down();
      for (let step = 1; step <= 10; step++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.2 + 0.06 * step));
      await page.mouse.up();
      await page.waitForSelector('#prediction[data-state="done"]');
      const drawn = await page.evaluate(() => (window as unknown as { xpLast: { pixels: number[]; class: string; probabilities: number[] } }).xpLast);
      expect(drawn.pixels.filter((v) => v > 128).length).toBeGreaterThan(20);
      // The pixels the page gave the model, through xp predict: the same class and probability.
      const csv = join(dir, 'inputs', 'drawn.csv');
      writeFileSync(csv, `${Array.from({ length: 784 }, (_, p) => `pixel${p}`).join(',')}\n${drawn.pixels.join(',')}\n`);
      const xpDrawn = parsed(predict([runId.slice(0, 8), csv, '--format', 'json', '--top', '1'])).predictions[0].top[0];
      expect(drawn.class).toBe(xpDrawn.class);
      expect(Math.abs(Math.max(...drawn.probabilities) - xpDrawn.probability)).toBeLessThan(1e-5);
      expect(await page.textContent('#prediction')).toBe(xpDrawn.class);
    } finally {
      await browser.close();
    }
  });
});

describe('model/ of a run on an image folder with named classes', () => {
  it("xp-model.json carries the folder names and normalize: auto's values; xp predict names the classes", () => {
    const dir = tempDir('xp-model-out-named-');
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    writeDigitFolder(join(dir, 'digits'), { split: 'train', count: 300, classNames: names });
    const spec = MODEL_OUT_CNN.replace('data: {trainLimit: 1500, testLimit: 200}', 'data: {dataset: image-folder, train: digits, testSplit: 0.2, normalize: auto}');
    writeFileSync(join(dir, 'named.yaml'), spec);
    const result = xp(['run', 'named.yaml', '--json', '--tracking-uri', join(dir, 'mlruns'), '--set', 'constraints.minTestAccuracy=0'], { cwd: dir, env: { XP_DATASET_CACHE: join(dir, 'cache') }, timeoutMs: 170_000 });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout.trim().split('\n').pop()!).runs[0] as { runId: string; artifacts: Record<string, string> };
    const meta = JSON.parse(readFileSync(run.artifacts['model/xp-model.json'], 'utf8'));
    // Classes are the folder names, sorted.
    expect(meta.classes).toEqual([...names].sort());
    expect(meta.normalization.mean).toHaveLength(1);
    expect(meta.normalization.mean[0]).not.toBe(0.1307);
    expect(meta.normalization.mean[0]).toBeGreaterThan(0.1);
    expect(meta.normalization.mean[0]).toBeLessThan(0.2);
    const png = join(dir, 'digits', 'seven', readdirSync(join(dir, 'digits', 'seven'))[0]);
    const predicted = xp(['predict', run.runId.slice(0, 8), png, '--format', 'json', '--top', '2', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    expect(predicted.code, predicted.stderr).toBe(0);
    const top = (JSON.parse(predicted.stdout) as { predictions: { top: { class: string; index: number }[] }[] }).predictions[0].top;
    expect(top).toHaveLength(2);
    for (const entry of top) expect(entry.class).toBe(meta.classes[entry.index]);
    const table = xp(['predict', run.runId.slice(0, 8), png, '--top', '10', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    for (const name of names) expect(table.stdout).toMatch(new RegExp(`\\b${name} \\d+\\.\\d\\d%`));
  }, 240_000);
});
