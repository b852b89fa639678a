/**
 * A cnn-classifier run's pictures through the real `xp` binary: two epochs of a tiny network on a slice
 * of MNIST, tracked in a file store; the curves, the confusion matrix and the worst-misclassified grid
 * are in the MLflow run's artifacts, the PNGs decode, and the matrix agrees with the run's accuracy.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { tempDir, xp } from './helpers.ts';

const TEST_IMAGES = 256;

const TINY_CNN = `name: cnn-pictures
kind: cnn-classifier
seed: 4
backend: cpu
data: {trainLimit: 512, testLimit: ${TEST_IMAGES}}
model:
  blocks:
    all: [{conv2d: {filters: 4, kernel: 3, stride: 2}}, relu, batchnorm, {maxpool: {size: 2}}, flatten, {dense: {units: 10}}, log-softmax]
train: {epochs: 2, batchSize: 64, optimizer: sgd, lr: 0.05, momentum: 0.9, checkpoint: false}
`;

const PICTURES = ['loss-curves', 'accuracy-curves', 'confusion-matrix', 'misclassified'];

interface RunJson {
  runs: { runId: string; status: string; metrics: Record<string, number>; artifacts: Record<string, string> }[];
}

describe('xp run on a cnn-classifier spec draws its pictures', () => {
  const dir = tempDir('xp-cnn-pictures-e2e-');
  writeFileSync(join(dir, 'tiny.yaml'), TINY_CNN);
  const result = xp(['run', 'tiny.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, timeoutMs: 170_000 });

  it('logs curves, a confusion matrix and the misclassified grid as the run artifacts, as PNG and SVG', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/warning: the run's pictures/);
    const [run] = (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs;
    const artifactDir = dirname(run.artifacts['spec.yaml']);
    expect(artifactDir).toBe(join(dir, 'mlruns', readdirSync(join(dir, 'mlruns')).find((d) => /^\d+$/.test(d) && d !== '0')!, run.runId, 'artifacts'));
    const files = readdirSync(artifactDir);
    for (const name of PICTURES) {
      expect(files).toContain(`${name}.png`);
      expect(files).toContain(`${name}.svg`);
      expect(run.artifacts[`${name}.png`]).toBe(join(artifactDir, `${name}.png`));
      const png = PNG.sync.read(readFileSync(join(artifactDir, `${name}.png`)));
      const root = /<svg\b[^>]*>/.exec(readFileSync(join(artifactDir, `${name}.svg`), 'utf8'))![0];
      const size = [Number(/\bwidth="([\d.]+)"/.exec(root)![1]), Number(/\bheight="([\d.]+)"/.exec(root)![1])];
      expect([png.width, png.height], name).toEqual([size[0] * 2, size[1] * 2]);
    }
  });

  it('has a confusion matrix whose counts sum to the test set and whose diagonal is the accuracy', () => {
    const [run] = (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs;
    const rows = parse(readFileSync(run.artifacts['confusion-matrix.csv'], 'utf8'), { columns: true, cast: true }) as Record<string, number>[];
    const counts = rows.map((row) => Array.from({ length: 10 }, (_, p) => row[`predicted_${p}`]));
    expect(counts.flat().reduce((a, b) => a + b, 0)).toBe(TEST_IMAGES);
    const diagonal = counts.reduce((sum, row, t) => sum + row[t], 0);
    expect(diagonal).toBe(Math.round(run.metrics.test_accuracy * TEST_IMAGES));
    expect(diagonal / TEST_IMAGES).toBeCloseTo(run.metrics.test_accuracy, 12);
    const grid = readFileSync(run.artifacts['misclassified.svg'], 'utf8');
    expect([...grid.matchAll(/<image /g)]).toHaveLength(Math.min(25, TEST_IMAGES - diagonal));
  });
});
