import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../mnist.ts';
import { DATASET_KINDS, forgetLoadedDatasets, loadDataset } from './index.ts';
import { rgbPngBytes, writeDigitCsv, writeDigitFolder, writeDigitIdx } from './mnist-fixtures.ts';
import type { DatasetRequest, DatasetSpec } from './types.ts';

const root = mkdtempSync(join(tmpdir(), 'xp-datasets-'));
const cache = join(root, 'cache');
const folder = join(root, 'digits');
writeDigitFolder(join(folder, 'train'), { split: 'train', count: 200, someJpeg: true });
writeDigitFolder(join(folder, 'test'), { split: 'test', count: 100 });
const csvTrain = join(root, 'train.csv');
writeDigitCsv(csvTrain, { split: 'train', count: 120 });
const idxTrain = writeDigitIdx(join(root, 'idx'), 'train', { split: 'train', count: 100 });
const idxTest = writeDigitIdx(join(root, 'idx'), 't10k', { split: 'test', count: 40 });

function request(data: Partial<DatasetSpec>, target: DatasetRequest['target'] = { input: [1, 28, 28] }): DatasetRequest {
  forgetLoadedDatasets();
  return {
    spec: { dataset: 'image-folder', normalize: { mean: 0.1307, std: 0.3081 }, validationSplit: 0, ...data },
    target,
    baseDirectory: root,
    seed: 1,
    cacheDirectory: cache,
  };
}

async function failure(req: DatasetRequest): Promise<DatasetError> {
  const error = await loadDataset(req).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** A copy of the digit folder to break. */
function brokenFolder(name: string, breakIt: (dir: string) => void): string {
  const dir = join(root, name);
  cpSync(join(folder, 'train'), dir, { recursive: true });
  breakIt(dir);
  return dir;
}

describe('the registry and the schema', () => {
  it('has a schema fragment for each dataset kind and a kind for each value data.dataset allows', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../../schemas/experiment.schema.json', import.meta.url), 'utf8'));
    expect(schema.properties.data.properties.dataset.enum).toEqual(Object.keys(DATASET_KINDS));
    for (const name of Object.keys(DATASET_KINDS)) expect(schema.$defs[`dataset-${name}`], name).toBeDefined();
  });
});

describe('image-folder', () => {
  it('reads PNG and JPEG class folders: class names sorted, labels by name, the same digits as MNIST', async () => {
    const data = await loadDataset(request({ train: 'digits/train', test: 'digits/test' }));
    expect(data.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([data.train.count, data.test.count, data.classes, data.train.channels]).toEqual([200, 100, 10, 1]);
    expect(data.test.classNames).toEqual(data.classNames);
    // Every digit appears in the training set, and labels agree with the folder each image came from.
    expect(new Set(data.train.labels).size).toBe(10);
  });

  it('caches the decoded pixels by content: the second load reads the cache, an edited image makes a new entry', async () => {
    const dir = brokenFolder('cached', () => undefined);
    const first = await loadDataset(request({ train: dir, testSplit: 0.2 }));
    const second = await loadDataset(request({ train: dir, testSplit: 0.2 }));
    expect([first.fromCache, second.fromCache]).toEqual([false, true]);
    expect(second.train.images).toEqual(first.train.images);
    const some = join(dir, '3', readdirSync(join(dir, '3'))[0]);
    writeFileSync(some, rgbPngBytes(new Uint8Array(28 * 28 * 3).fill(9), 28, 28));
    const third = await loadDataset(request({ train: dir, testSplit: 0.2, channels: 3 }, { input: [3, 28, 28] }));
    expect(third.fromCache).toBe(false);
    expect(third.train.channels).toBe(3);
  });

  it('holds out testSplit as the same test images for every seed', async () => {
    const a = await loadDataset({ ...request({ train: 'digits/train', testSplit: 0.25 }), seed: 1 });
    const b = await loadDataset({ ...request({ train: 'digits/train', testSplit: 0.25 }), seed: 2 });
    expect(a.test.count).toBe(50);
    expect(b.test.labels).toEqual(a.test.labels);
  });

  it('resizes to model.input (bilinear), or refuses other sizes when data.resize is false', async () => {
    const big = await loadDataset(request({ train: 'digits/train', test: 'digits/test' }, { input: [1, 32, 32] }));
    expect([big.train.height, big.train.width]).toEqual([32, 32]);
    const error = await failure(request({ train: 'digits/train', test: 'digits/test', resize: false }, { input: [1, 32, 32] }));
    expect(error.message).toMatch(/is 28×28, model\.input is 32×32, and data\.resize is false/);
  });

  it('computes normalize: auto per channel from the training set', async () => {
    const data = await loadDataset(request({ train: 'digits/train', test: 'digits/test', normalize: 'auto' }));
    expect(data.normalization.mean[0]).toBeGreaterThan(0.08);
    expect(data.normalization.mean[0]).toBeLessThan(0.2);
    let sum = 0;
    for (const v of data.train.images) sum += v;
    expect(Math.abs(sum / data.train.images.length)).toBeLessThan(1e-4);
  });

  it('takes the classes from the folders, and refuses a model.classes that disagrees', async () => {
    const error = await failure(request({ train: 'digits/train', test: 'digits/test' }, { input: [1, 28, 28], classes: 7 }));
    expect(error.message).toMatch(/has 10 class folders .* but model\.classes is 7/);
    expect(error.field).toEqual(['model', 'classes']);
  });

  it('bad input: a missing path, an empty class folder, one class only', async () => {
    expect((await failure(request({ train: 'nowhere', testSplit: 0.2 }))).message).toMatch(/image folder not found: .*nowhere \(data\.train\)/);
    const empty = brokenFolder('empty-class', (dir) => mkdirSync(join(dir, 'zebra')));
    expect((await failure(request({ train: empty, testSplit: 0.2 }))).message).toMatch(/class folder .*zebra has no PNG or JPEG images/);
    const one = join(root, 'one-class');
    writeDigitFolder(one, { split: 'train', count: 5, classNames: Array(10).fill('only') });
    expect((await failure(request({ train: one, testSplit: 0.2 }))).message).toMatch(/has one class only \(only\/\)/);
  });

  it('bad input: a truncated PNG is refused by name; a file not named as an image is skipped and counted', async () => {
    const cut = brokenFolder('truncated', (dir) => {
      const file = join(dir, '4', readdirSync(join(dir, '4'))[0]);
      writeFileSync(file, readFileSync(file).subarray(0, 60));
    });
    expect((await failure(request({ train: cut, testSplit: 0.2 }))).message).toMatch(/truncated\/4\/\d+\.(png|jpg): not a readable/);
    const stray = brokenFolder('stray', (dir) => {
      writeFileSync(join(dir, '2', 'notes.txt'), 'not an image');
      writeFileSync(join(dir, 'README.md'), '# digits');
    });
    const lines: string[] = [];
    const data = await loadDataset({ ...request({ train: stray, testSplit: 0.2 }), log: (line) => lines.push(line) });
    expect(data.skipped.count).toBe(2);
    expect(lines.join('\n')).toMatch(/skipped 2 file\(s\)/);
    const renamed = brokenFolder('text-as-png', (dir) => writeFileSync(join(dir, '2', 'fake.png'), 'not an image'));
    expect((await failure(request({ train: renamed, testSplit: 0.2 }))).message).toMatch(/fake\.png: not a PNG or JPEG image/);
  });

  it('bad input: grey data into a 3-channel model and RGB into a grey one name the fix', async () => {
    const grey = await failure(request({ train: 'digits/train', test: 'digits/test' }, { input: [3, 28, 28] }));
    expect(grey.message).toMatch(/are grey \(1 channel\) but model\.input has 3 channels: set data\.channels: 3/);
    const colour = brokenFolder('colour', (dir) => writeFileSync(join(dir, '1', 'rgb.png'), rgbPngBytes(new Uint8Array(28 * 28 * 3).map((_, i) => i % 200), 28, 28)));
    const rgb = await failure(request({ train: colour, testSplit: 0.2 }));
    expect(rgb.message).toMatch(/are RGB \(3 channels\) but model\.input has 1 channel: set data\.channels: 1/);
    const fixed = await loadDataset(request({ train: colour, testSplit: 0.2, channels: 1 }));
    expect(fixed.train.channels).toBe(1);
  });
});

describe('csv', () => {
  it('reads Kaggle-layout rows (streamed), takes 10 classes from the labels, holds out testSplit', async () => {
    const data = await loadDataset(request({ dataset: 'csv', train: 'train.csv', testSplit: 0.25 }));
    expect([data.train.count, data.test.count, data.classes, data.train.width]).toEqual([90, 30, 10, 28]);
  });

  it('bad input: a row with a missing pixel and a label outside the classes name the row', async () => {
    const lines = readFileSync(csvTrain, 'utf8').split('\n');
    const short = join(root, 'short.csv');
    writeFileSync(short, [...lines.slice(0, 5), lines[5].replace(/,\d+$/, ''), ...lines.slice(6)].join('\n'));
    expect((await failure(request({ dataset: 'csv', train: short, testSplit: 0.2 }))).message).toMatch(/short\.csv:6: row has 784 values, expected 785/);
    const label = join(root, 'label.csv');
    writeFileSync(label, [...lines.slice(0, 8), lines[8].replace(/^\d+/, '12'), ...lines.slice(9)].join('\n'));
    const error = await failure(request({ dataset: 'csv', train: label, testSplit: 0.2 }, { input: [1, 28, 28], classes: 10 }));
    expect(error.message).toMatch(/label\.csv:9: label '12' is outside the classes 0\.\.9/);
    expect((await failure(request({ dataset: 'csv', train: 'missing.csv', testSplit: 0.2 }))).message).toMatch(/CSV file not found: .*missing\.csv/);
  });
});

describe('idx', () => {
  it('reads any IDX pair per split, size and classes from the files', async () => {
    const data = await loadDataset(request({ dataset: 'idx', train: idxTrain, test: idxTest }));
    expect([data.train.count, data.test.count, data.classes, data.train.height]).toEqual([100, 40, 10, 28]);
  });

  it('bad input: a pair whose counts disagree, and a missing file', async () => {
    const dir = join(root, 'idx-bad');
    const short = writeDigitIdx(dir, 'short', { split: 'train', count: 30 });
    const error = await failure(request({ dataset: 'idx', train: { images: idxTrain.images, labels: short.labels }, test: idxTest }));
    expect(error.message).toMatch(/the train pair disagrees: .*short-labels-idx1-ubyte has 30 labels but .*train-images-idx3-ubyte has 100 images/);
    const missing = await failure(request({ dataset: 'idx', train: { images: join(dir, 'none'), labels: short.labels }, test: idxTest }));
    expect(missing.message).toMatch(/none: cannot read the file/);
  });
});

describe('mnist', () => {
  it('is loadMnist as before with a fixed normalization, and normalize: auto takes the training set’s mean and std', async () => {
    const fixed = await loadDataset(request({ dataset: 'mnist', trainLimit: 500, testLimit: 100 }));
    expect(fixed.normalization).toEqual({ mean: [0.1307], std: [0.3081] });
    const auto = await loadDataset(request({ dataset: 'mnist', trainLimit: 500, testLimit: 100, normalize: 'auto' }));
    let sum = 0;
    let squares = 0;
    for (const v of auto.train.images) {
      sum += v;
      squares += v * v;
    }
    const n = auto.train.images.length;
    expect(Math.abs(sum / n)).toBeLessThan(1e-4);
    expect(Math.sqrt(squares / n)).toBeCloseTo(1, 3);
    expect(auto.normalization.mean[0]).toBeGreaterThan(0.1);
  });
});

describe("a loaded dataset's content key (the runner's run cache keys jobs by it)", () => {
  it('is the same for the same files, cache or none, and changes with one byte of one file, for idx, csv and image-folder', async () => {
    const copy = join(root, 'keyed');
    cpSync(join(root, 'idx'), join(copy, 'idx'), { recursive: true });
    cpSync(csvTrain, join(copy, 'train.csv'));
    cpSync(join(folder, 'train'), join(copy, 'digits'), { recursive: true });
    const flipLastPixel = (file: string) => {
      const bytes = readFileSync(file);
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(file, bytes);
    };
    const otherDigit = (file: string) => {
      const text = readFileSync(file, 'utf8');
      const at = text.search(/\d\s*$/);
      writeFileSync(file, `${text.slice(0, at)}${text[at] === '0' ? '1' : '0'}${text.slice(at + 1)}`);
    };
    const threes = join(copy, 'digits', '3');
    const anotherImage = (file: string) => writeFileSync(file, readFileSync(join(copy, 'digits', '5', readdirSync(join(copy, 'digits', '5'))[0])));
    const cases: Array<[Partial<DatasetSpec>, () => void]> = [
      [
        { dataset: 'idx', train: { images: idxTrain.images.replace(root, copy), labels: idxTrain.labels.replace(root, copy) }, test: { images: idxTest.images.replace(root, copy), labels: idxTest.labels.replace(root, copy) } },
        () => flipLastPixel(idxTrain.images.replace(root, copy)),
      ],
      [{ dataset: 'csv', train: join(copy, 'train.csv'), testSplit: 0.2 }, () => otherDigit(join(copy, 'train.csv'))],
      [{ dataset: 'image-folder', train: join(copy, 'digits'), testSplit: 0.2 }, () => anotherImage(join(threes, readdirSync(threes)[0]))],
    ];
    for (const [spec, change] of cases) {
      const key = (await loadDataset(request(spec))).contentKey;
      expect(key, spec.dataset).toMatch(/^[0-9a-f]{64}$/);
      expect((await loadDataset(request(spec))).contentKey, spec.dataset).toBe(key);
      expect((await loadDataset({ ...request(spec), cacheDirectory: null })).contentKey, spec.dataset).toBe(key);
      change();
      expect((await loadDataset(request(spec))).contentKey, spec.dataset).not.toBe(key);
    }
    expect((await loadDataset(request({ dataset: 'mnist', trainLimit: 10, testLimit: 10 }))).contentKey).toBeUndefined();
  });
});

rmSync(join(root, 'never'), { force: true, recursive: true });
