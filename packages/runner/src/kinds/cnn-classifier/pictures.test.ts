import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpecValue } from '@xp/core';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricPoint, TrackedRun } from '@xp/tracking';
import type { RunContext } from '../types.ts';
import { confusionMatrix, GRID, PICTURE_FILES, worstMisclassified } from './pictures.ts';
import { trainCnn } from './train/train-cnn.ts';

describe('confusionMatrix', () => {
  it('counts true class × predicted class', () => {
    const counts = confusionMatrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1], 3);
    expect(counts).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 2],
    ]);
  });
});

describe('worstMisclassified', () => {
  it('keeps only wrong predictions, most confident first, ties in test-set order', () => {
    const labels = [3, 3, 5, 7, 1, 8];
    const predicted = Uint8Array.from([3, 5, 6, 1, 1, 0]);
    const confidence = Float32Array.from([0.99, 0.5, 0.9, 0.5, 0.2, 0.7]);
    const worst = worstMisclassified(labels, { predicted, confidence }, 3);
    expect(worst.map((w) => w.index)).toEqual([2, 5, 1]);
    expect(worst[0]).toEqual({ index: 2, label: 5, predicted: 6, confidence: Float32Array.from([0.9])[0] });
  });
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const TEST_IMAGES = 256;

const spec = resolveSpecValue({
  name: 'tiny-pictures',
  kind: 'cnn-classifier',
  seed: 3,
  data: { trainLimit: 512, testLimit: TEST_IMAGES },
  model: {
    blocks: {
      all: [{ conv2d: { filters: 4, kernel: 3, stride: 2 } }, 'relu', 'batchnorm', { maxpool: { size: 2 } }, 'flatten', { dense: { units: 10 } }, 'log-softmax'],
    },
  },
  train: { epochs: 2, batchSize: 64, optimizer: 'sgd', lr: 0.05, momentum: 0.9, checkpoint: false },
});

/** width and height attributes of an SVG document's root element. */
function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)![0];
  return { width: Number(/\bwidth="([\d.]+)"/.exec(root)![1]), height: Number(/\bheight="([\d.]+)"/.exec(root)![1]) };
}

describe('a cnn-classifier run', () => {
  it('logs loss and accuracy curves, a confusion matrix and the worst-misclassified images', async () => {
    const artifactDir = mkdtempSync(join(tmpdir(), 'xp-pictures-test-'));
    dirs.push(artifactDir);
    const metrics: MetricPoint[] = [];
    const logged: string[] = [];
    const lines: string[] = [];
    const run: TrackedRun = {
      runId: 'r',
      experimentId: '0',
      artifactDir,
      logParams: async () => {},
      logMetrics: async (points) => void metrics.push(...points),
      setTags: async () => {},
      logArtifact: async (path) => void logged.push(path),
      end: async () => {},
    };
    const ctx: RunContext = {
      spec, variantName: 'tiny-pictures', specFile: join(artifactDir, 'spec.yaml'), run, backend: 'cpu',
      log: (line) => void lines.push(line), signal: new AbortController().signal,
    };
    const outcome = await trainCnn(ctx);
    expect(lines.filter((l) => l.startsWith('warning'))).toEqual([]);
    expect(outcome.status).toBe('passed');

    // Every picture is written, named in the outcome's artifacts and logged.
    const names = Object.values(PICTURE_FILES).flat();
    for (const name of names) {
      expect(outcome.artifacts[name]).toBe(join(artifactDir, name));
      expect(existsSync(outcome.artifacts[name])).toBe(true);
      expect(logged).toContain(join(artifactDir, name));
    }

    // Each PNG decodes, at twice its SVG's size.
    for (const base of ['loss-curves', 'accuracy-curves', 'confusion-matrix', 'misclassified']) {
      const png = PNG.sync.read(readFileSync(join(artifactDir, `${base}.png`)));
      const size = svgSize(readFileSync(join(artifactDir, `${base}.svg`), 'utf8'));
      expect([png.width, png.height], base).toEqual([size.width * 2, size.height * 2]);
      expect(png.width).toBeGreaterThan(400);
    }

    const lossSvg = readFileSync(join(artifactDir, 'loss-curves.svg'), 'utf8');
    for (const text of ['train', 'test', 'epoch', 'loss per epoch']) expect(lossSvg).toContain(text);
    const accuracySvg = readFileSync(join(artifactDir, 'accuracy-curves.svg'), 'utf8');
    for (const text of ['test', 'epoch', 'accuracy per epoch']) expect(accuracySvg).toContain(text);

    // The confusion matrix covers the test set, and its diagonal is the final test accuracy.
    const rows = parse(readFileSync(join(artifactDir, 'confusion-matrix.csv'), 'utf8'), { columns: true, cast: true }) as Record<string, number>[];
    expect(rows).toHaveLength(10);
    expect(Object.keys(rows[0])).toEqual(['true_class', ...Array.from({ length: 10 }, (_, p) => `predicted_${p}`)]);
    const counts = rows.map((row) => Array.from({ length: 10 }, (_, p) => row[`predicted_${p}`]));
    const total = counts.flat().reduce((a, b) => a + b, 0);
    const diagonal = counts.reduce((sum, row, t) => sum + row[t], 0);
    expect(total).toBe(TEST_IMAGES);
    const finalAccuracy = metrics.filter((p) => p.key === 'test_accuracy').at(-1)!.value;
    expect(outcome.metrics.test_accuracy).toBe(finalAccuracy);
    expect(diagonal).toBe(Math.round(finalAccuracy * TEST_IMAGES));
    expect(diagonal / TEST_IMAGES).toBe(finalAccuracy);
    // Each count is per true class: the row sums are the test set's labels.
    const { loadMnist } = await import('@xp/data');
    const labels = loadMnist({ trainLimit: 1, testLimit: TEST_IMAGES }).test.labels;
    expect(counts.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(Array.from({ length: 10 }, (_, t) => labels.filter((l) => l === t).length));

    // The picture shows the same 100 counts, in the cells.
    const matrixSvg = readFileSync(join(artifactDir, 'confusion-matrix.svg'), 'utf8');
    const textGroup = /<g class="mark-text[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(matrixSvg)![1];
    const shown = [...textGroup.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1]));
    expect(shown).toHaveLength(100);
    expect([...shown].sort((a, b) => a - b)).toEqual(counts.flat().sort((a, b) => a - b));

    // The grid: min(25, errors) images, each captioned with its true and predicted class.
    const errors = TEST_IMAGES - diagonal;
    expect(errors).toBeGreaterThan(0);
    const gridSvg = readFileSync(join(artifactDir, 'misclassified.svg'), 'utf8');
    const images = [...gridSvg.matchAll(/<image [^>]*href="data:image\/png;base64,([^"]+)"/g)];
    expect(images).toHaveLength(Math.min(25, errors));
    const tile = PNG.sync.read(Buffer.from(images[0][1], 'base64'));
    expect([tile.width, tile.height]).toEqual([GRID.tile * 2, GRID.tile * 2]);
    const captions = [...gridSvg.matchAll(/true <tspan[^>]*>(\d)<\/tspan>, predicted <tspan[^>]*>(\d)<\/tspan>/g)];
    expect(captions).toHaveLength(images.length);
    for (const [, truth, predicted] of captions) expect(truth).not.toBe(predicted);
    const confidences = [...gridSvg.matchAll(/([\d.]+) % sure · test #(\d+)/g)].map((m) => ({ p: Number(m[1]), index: Number(m[2]) }));
    expect(confidences).toHaveLength(images.length);
    confidences.forEach((c, k) => {
      expect(labels[c.index]).toBe(Number(captions[k][1]));
      if (k > 0) expect(c.p).toBeLessThanOrEqual(confidences[k - 1].p);
    });
    const rowsOfGrid = Math.ceil(images.length / GRID.columns);
    const grid = PNG.sync.read(readFileSync(join(artifactDir, 'misclassified.png')));
    expect([grid.width, grid.height]).toEqual([
      2 * (2 * GRID.margin + GRID.columns * GRID.cellWidth),
      2 * (2 * GRID.margin + GRID.titleHeight + rowsOfGrid * GRID.cellHeight),
    ]);
  });
});
