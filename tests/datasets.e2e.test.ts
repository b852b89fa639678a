/**
 * The four dataset kinds through the real `xp` binary: the seed's network (model/seed-net.yaml) for one
 * epoch on a small slice of each, made from MNIST's IDX files (PNG class folders, a Kaggle-layout CSV,
 * an IDX pair, and mnist itself); then the bad data that must stop `xp run` before training (exit 2,
 * no run written).
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDigitCsv, writeDigitFolder, writeDigitIdx } from '../packages/data/src/datasets/mnist-fixtures.ts';
import { REPO, tempDir, xp } from './helpers.ts';

const dir = tempDir('xp-datasets-e2e-');
// The seed's network, base and recipes, as the repository's experiments/ has them.
for (const group of ['base', 'model', 'recipe']) cpSync(join(REPO, 'experiments', group), join(dir, group), { recursive: true });
writeDigitFolder(join(dir, 'digits/train'), { split: 'train', count: 300, someJpeg: true });
writeDigitFolder(join(dir, 'digits/test'), { split: 'test', count: 200 });
writeDigitCsv(join(dir, 'train.csv'), { split: 'train', count: 400 });
const idxTrain = writeDigitIdx(join(dir, 'idx'), 'train', { split: 'train', count: 300 });
const idxTest = writeDigitIdx(join(dir, 'idx'), 't10k', { split: 'test', count: 200 });

/** A spec on the seed's network (experiments/base, model, recipe), one quick epoch, no accuracy bar. */
function spec(name: string, data: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `defaults:\n  - base/seed-cnn\n  - model: seed-net\n  - recipe@_global_: seed\n  - _self_\nname: ${name}\nbackend: wasm\ntrain: {epochs: 1, workers: 1}\nconstraints: {minTestAccuracy: 0.05}\ndata:\n${data}`,
  );
  return file;
}

interface RunJson {
  runs: { status: string; runId: string; metrics: Record<string, number>; artifacts: Record<string, string> }[];
}

function run(file: string, extra: string[] = []) {
  return xp(['run', file, '--json', '--tracking-uri', join(dir, 'mlruns'), ...extra], { cwd: dir, env: { XP_DATASET_CACHE: join(dir, 'cache') }, timeoutMs: 170_000 });
}

function report(result: ReturnType<typeof xp>): RunJson {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson;
}

describe('the seed network trains on each dataset kind', () => {
  it('image-folder: experiments/cnn-image-folder.yaml on PNG/JPEG class folders; class names saved; the second run reads the cache', () => {
    const args = ['data.trainLimit=300', 'train.epochs=1', 'train.workers=1', 'backend=wasm', 'constraints.minTestAccuracy=0.05', `data.train=${join(dir, 'digits/train')}`, `data.test=${join(dir, 'digits/test')}`];
    const first = xp(['run', join(REPO, 'experiments/cnn-image-folder.yaml'), ...args, '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env: { XP_DATASET_CACHE: join(dir, 'cache') }, timeoutMs: 170_000 });
    const [trained] = report(first).runs;
    expect(trained.status).toBe('passed');
    expect(trained.metrics.test_accuracy).toBeGreaterThan(0.05);
    const runDir = dirname2(trained.artifacts['confusion-matrix.csv']);
    const classes = JSON.parse(readFileSync(join(runDir, 'classes.json'), 'utf8')) as { names: string[]; named: boolean };
    expect(classes).toMatchObject({ names: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], named: true });
    expect(first.stderr).toMatch(/normalize auto: mean 0\.1\d+, std 0\.3\d+/);
    expect(readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.xpds'))).toHaveLength(1);
    // Another seed: the same files, so the decoded images come from the cache.
    const second = xp(['run', join(REPO, 'experiments/cnn-image-folder.yaml'), ...args, 'seed=2', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env: { XP_DATASET_CACHE: join(dir, 'cache') }, timeoutMs: 170_000 });
    expect(report(second).runs[0].status).toBe('passed');
    expect(second.stderr).toMatch(/decoded images read from the dataset cache/);
  });

  it('csv: a Kaggle digit-recognizer file, the test set held out by testSplit, classes from the labels', () => {
    const file = spec('csv', '  dataset: csv\n  train: train.csv\n  testSplit: 0.25\n  trainLimit: 300\n');
    const [trained] = report(run(file)).runs;
    expect(trained.status).toBe('passed');
  });

  it('idx: an IDX pair per split', () => {
    const file = spec('idx', `  dataset: idx\n  train: ${JSON.stringify(idxTrain)}\n  test: ${JSON.stringify(idxTest)}\n`);
    expect(report(run(file)).runs[0].status).toBe('passed');
  });

  it('mnist: the default, on a slice', () => {
    const file = spec('mnist', '  trainLimit: 300\n  testLimit: 200\n');
    expect(report(run(file)).runs[0].status).toBe('passed');
  });
});

describe('bad data stops xp run before training (exit 2, nothing written)', () => {
  it.each([
    ['a missing folder', '  dataset: image-folder\n  train: nowhere\n  testSplit: 0.2\n', /data\.train.*image folder not found: .*nowhere/s],
    ['grey images into a 3-channel model', '  dataset: image-folder\n  train: digits/train\n  test: digits/test\nmodel: {input: [3, 28, 28]}\n', /grey \(1 channel\) but model\.input has 3 channels: set data\.channels: 3/],
    ['a stated model.classes that disagrees', '  dataset: csv\n  train: train.csv\n  testSplit: 0.2\nmodel: {classes: 7}\n', /label '\d' is outside the classes 0\.\.6/],
    ['an IDX pair whose counts disagree', `  dataset: idx\n  train: {images: ${JSON.stringify(idxTrain.images)}, labels: ${JSON.stringify(idxTest.labels)}}\n  test: ${JSON.stringify(idxTest)}\n`, /the train pair disagrees: .* has 200 labels but .* has 300 images/],
  ])('%s', (name, data, message) => {
    const tracking = join(dir, `mlruns-bad-${name.replace(/\W+/g, '-')}`);
    const result = xp(['run', spec(`bad-${name.replace(/\W+/g, '-')}`, data), '--tracking-uri', tracking], { cwd: dir, env: { XP_DATASET_CACHE: join(dir, 'cache') } });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(tracking)).toBe(false);
  });
});

function dirname2(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}
