/**
 * The pictures of a cnn-classifier run, logged as its artifacts when training ends:
 *
 * - loss-curves.svg/.png: train and test loss (and validation loss) per epoch;
 * - accuracy-curves.svg/.png: test accuracy (and validation accuracy) per epoch;
 * - confusion-matrix.svg/.png/.csv: true class × predicted class over the test set, counts in the cells;
 * - misclassified.png/.svg: the test images the model got wrong most confidently, in a 5 × 5 grid, each
 *   with its true and predicted class and the probability the model gave its prediction.
 *
 * Charts go through the shared vega-lite → SVG → resvg helper (../charts.ts). The image grid is an SVG
 * whose cells are PNG images (encoded by pngjs) with their captions, rasterised by resvg.
 *
 * The training loop measures the training loss but not the training accuracy (its batches run with
 * dropout and augmentation, where accuracy means little), so the accuracy chart has test and validation
 * curves only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet, MnistNormalization } from '@xp/data';
import { stringify } from 'csv-stringify/sync';
import { PNG } from 'pngjs';
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from './train/checkpoint.ts';
import { evaluate, type Evaluation, type Predictions } from './train/evaluate.ts';
import { CHART_CONFIG, CHART_FONT, renderVegaLite, svgToPng, type RenderedChart } from '../charts.ts';
import type { RunContext } from '../types.ts';

/** The artifact files, by picture. */
export const PICTURE_FILES = {
  lossCurves: ['loss-curves.svg', 'loss-curves.png'],
  accuracyCurves: ['accuracy-curves.svg', 'accuracy-curves.png'],
  confusionMatrix: ['confusion-matrix.svg', 'confusion-matrix.png', 'confusion-matrix.csv'],
  misclassified: ['misclassified.svg', 'misclassified.png'],
} as const;

// ---------------------------------------------------------------------------------------------------
// Curves per epoch

interface CurvePoint {
  epoch: number;
  set: string;
  value: number;
}

function epochChart(points: CurvePoint[], epochs: number, title: string, y: { title: string; format?: string; zero: boolean }): TopLevelSpec {
  const sets = [...new Set(points.map((p) => p.set))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15 },
    width: 560,
    height: 340,
    background: 'white',
    config: CHART_CONFIG,
    data: { values: points },
    mark: { type: 'line', strokeWidth: 2, point: true },
    encoding: {
      // Epochs are whole numbers: integer ticks only, from the first epoch to the last.
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: 'epoch',
        scale: { domain: [1, Math.max(2, epochs)], nice: false },
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: { field: 'value', type: 'quantitative', title: y.title, scale: { zero: y.zero }, ...(y.format ? { axis: { format: y.format } } : {}) },
      color: { field: 'set', type: 'nominal', title: 'set', sort: sets, scale: { domain: sets, range: sets.map(setColor) } },
    },
  };
}

function setColor(set: string): string {
  return set === 'train' ? '#1f77b4' : set === 'test' ? '#d62728' : '#2ca02c';
}

/** Train, test (and validation) loss per epoch. */
export function renderLossCurves(history: readonly EpochRecord[], title = 'Loss per epoch'): Promise<RenderedChart> {
  const points: CurvePoint[] = history.flatMap((r) => [
    { epoch: r.epoch, set: 'train', value: r.trainLoss },
    { epoch: r.epoch, set: 'test', value: r.testLoss },
    ...(r.valLoss === undefined ? [] : [{ epoch: r.epoch, set: 'validation', value: r.valLoss }]),
  ]);
  return renderVegaLite(epochChart(points, history.length, title, { title: 'mean negative log-likelihood', zero: true }));
}

/** Test (and validation) accuracy per epoch. */
export function renderAccuracyCurves(history: readonly EpochRecord[], title = 'Accuracy per epoch'): Promise<RenderedChart> {
  const points: CurvePoint[] = history.flatMap((r) => [
    { epoch: r.epoch, set: 'test', value: r.testAccuracy },
    ...(r.valAccuracy === undefined ? [] : [{ epoch: r.epoch, set: 'validation', value: r.valAccuracy }]),
  ]);
  return renderVegaLite(epochChart(points, history.length, title, { title: 'accuracy', format: '.2%', zero: false }));
}

// ---------------------------------------------------------------------------------------------------
// Confusion matrix

/** counts[t][p]: test images of true class t predicted as p. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (labels.length !== predicted.length) throw new Error(`${labels.length} labels but ${predicted.length} predictions`);
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) counts[labels[i]][predicted[i]]++;
  return counts;
}

/** The name of class k: the dataset's (an image folder's subfolder) where it has names, else the number. */
export function className(k: number, classNames?: readonly string[]): string {
  return classNames?.[k] ?? String(k);
}

export function confusionMatrixCsv(counts: readonly (readonly number[])[], classNames?: readonly string[]): string {
  const header = ['true_class', ...counts.map((_, p) => `predicted_${className(p, classNames)}`)];
  return stringify([header, ...counts.map((row, t) => [className(t, classNames), ...row])], { record_delimiter: 'unix' });
}

export function renderConfusionMatrix(counts: readonly (readonly number[])[], title = 'Confusion matrix, test set', classNames?: readonly string[]): Promise<RenderedChart> {
  const classes = counts.map((_, k) => className(k, classNames));
  const values = counts.flatMap((row, t) => row.map((count, p) => ({ actual: className(t, classNames), predicted: className(p, classNames), count })));
  const max = Math.max(1, ...values.map((v) => v.count));
  // The colour scale is symlog, so that a handful of errors still shows beside a diagonal of thousands;
  // counts in the darker half of that scale are written in white.
  const dark = Math.expm1(0.55 * Math.log1p(max));
  const cell = 46;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15 },
    width: cell * classes.length,
    height: cell * classes.length,
    background: 'white',
    config: { ...CHART_CONFIG, axis: { ...CHART_CONFIG.axis, labelAngle: 0, domain: false, ticks: false }, view: { stroke: null } },
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: classes, title: 'predicted class', axis: { orient: 'top' } },
      y: { field: 'actual', type: 'ordinal', sort: classes, title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#d0d0d0', strokeWidth: 0.5 },
        encoding: {
          color: {
            condition: { test: 'datum.count === 0', value: 'white' },
            field: 'count',
            type: 'quantitative',
            title: 'images',
            scale: { type: 'symlog', scheme: 'blues', domain: [0, max] },
            legend: { gradientLength: cell * classes.length * 0.8 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 13 },
        encoding: {
          text: { field: 'count', type: 'quantitative', format: 'd' },
          color: {
            condition: [
              { test: `datum.count > ${dark}`, value: 'white' },
              { test: 'datum.count === 0', value: '#b0b0b0' },
            ],
            value: 'black',
          },
        },
      },
    ],
  };
  return renderVegaLite(spec);
}

// ---------------------------------------------------------------------------------------------------
// The worst-misclassified images

export interface Misclassified {
  /** Position in the test set. */
  index: number;
  label: number;
  predicted: number;
  confidence: number;
}

/** The wrong predictions, most confident first (ties by test-set order); at most `limit`. */
export function worstMisclassified(labels: ArrayLike<number>, predictions: Predictions, limit: number): Misclassified[] {
  const wrong: Misclassified[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (predictions.predicted[i] !== labels[i]) {
      wrong.push({ index: i, label: labels[i], predicted: predictions.predicted[i], confidence: predictions.confidence[i] });
    }
  }
  wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return wrong.slice(0, limit);
}

/** Pixels of each image side in the PNG tiles; they are drawn at half that size in SVG units, so 1:1 in the PNG. */
const TILE_ZOOM = 6;

/** One image of the set as a PNG: dark ink on white, each pixel a TILE_ZOOM × TILE_ZOOM square. */
export function imageTilePng(set: ImageSet, index: number, normalization: MnistNormalization): Buffer {
  const { width, height, channels } = set;
  const png = new PNG({ width: width * TILE_ZOOM, height: height * TILE_ZOOM });
  const base = index * width * height * channels;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const source = base + (Math.floor(y / TILE_ZOOM) * width + Math.floor(x / TILE_ZOOM)) * channels;
      const intensity = Math.min(1, Math.max(0, set.images[source] * normalization.std + normalization.mean));
      const grey = Math.round(255 * (1 - intensity));
      const at = (y * png.width + x) * 4;
      png.data[at] = png.data[at + 1] = png.data[at + 2] = grey;
      png.data[at + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Geometry of the grid, in SVG units (the PNG is twice as large). */
export const GRID = { columns: 5, tile: 84, cellWidth: 150, cellHeight: 84 + 46, margin: 16, titleHeight: 40 } as const;

/**
 * The images in a grid of GRID.columns columns, each captioned with its true and predicted class, the
 * probability given to the prediction and its place in the test set. Returns the SVG (images embedded as
 * PNG data) and its rendering as PNG.
 */
export function renderMisclassifiedGrid(
  set: ImageSet,
  worst: readonly Misclassified[],
  normalization: MnistNormalization,
  title: string,
): RenderedChart {
  const { columns, tile, cellWidth, cellHeight, margin, titleHeight } = GRID;
  const rows = Math.max(1, Math.ceil(worst.length / columns));
  const width = margin * 2 + columns * cellWidth;
  const height = margin * 2 + titleHeight + rows * cellHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${CHART_FONT}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${margin + 18}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (worst.length === 0) {
    parts.push(`<text x="${width / 2}" y="${margin + titleHeight + cellHeight / 2}" text-anchor="middle" font-size="14">no misclassified test images</text>`);
  }
  worst.forEach((w, k) => {
    const x = margin + (k % columns) * cellWidth;
    const y = margin + titleHeight + Math.floor(k / columns) * cellHeight;
    const ix = x + (cellWidth - tile) / 2;
    const href = `data:image/png;base64,${imageTilePng(set, w.index, normalization).toString('base64')}`;
    parts.push(
      `<image x="${ix}" y="${y}" width="${tile}" height="${tile}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${href}"/>`,
      `<rect x="${ix}" y="${y}" width="${tile}" height="${tile}" fill="none" stroke="#999" stroke-width="1"/>`,
      `<text x="${x + cellWidth / 2}" y="${y + tile + 17}" text-anchor="middle" font-size="13">true <tspan font-weight="bold" fill="#1a7f37">${escapeXml(className(w.label, set.classNames))}</tspan>, predicted <tspan font-weight="bold" fill="#c62828">${escapeXml(className(w.predicted, set.classNames))}</tspan></text>`,
      `<text x="${x + cellWidth / 2}" y="${y + tile + 34}" text-anchor="middle" font-size="11" fill="#444">${(w.confidence * 100).toFixed(1)} % sure · test #${w.index}</text>`,
    );
  });
  parts.push('</svg>');
  const svg = parts.join('\n');
  return { svg, png: svgToPng(svg, 2) };
}

// ---------------------------------------------------------------------------------------------------
// The run's pictures

export interface RunPicturesInput {
  ctx: RunContext;
  model: tf.LayersModel;
  test: ImageSet;
  /** The final weights' evaluation of `test` with predictions, where the run made one; else it is made here. */
  evaluation?: Evaluation;
  history: readonly EpochRecord[];
  /** The run's artifacts (name → path); the pictures are added to it. */
  artifacts: Record<string, string>;
  /** How many misclassified images the grid shows (default 25, a 5 × 5 grid). */
  worst?: number;
  /** The normalization the data was given (channel 0's is used to draw the tiles grey). */
  normalization: MnistNormalization;
  classes: number;
}

/**
 * Draws the run's curves from its epoch history and, from the test set's evaluation with the final
 * weights (the last epoch's, or one more), its confusion matrix and worst-misclassified images; writes them into the run's
 * artifact directory and logs them as artifacts. A picture that cannot be drawn is reported on the log
 * and does not fail the run.
 */
export async function logRunPictures(input: RunPicturesInput): Promise<void> {
  const { ctx, model, test, history, artifacts } = input;
  const written: string[] = [];
  const save = async (name: string, content: string | Buffer): Promise<void> => {
    const path = join(ctx.run.artifactDir, name);
    await writeFile(path, content);
    artifacts[name] = path;
    written.push(name);
    await ctx.run.logArtifact(path);
  };
  const label = ctx.variantName && ctx.variantName !== ctx.spec.name ? `${ctx.spec.name} (${ctx.variantName})` : ctx.spec.name;
  try {
    if (history.length > 0) {
      const loss = await renderLossCurves(history, `${label}: loss per epoch`);
      await save('loss-curves.svg', loss.svg);
      await save('loss-curves.png', loss.png);
      const accuracy = await renderAccuracyCurves(history, `${label}: accuracy per epoch`);
      await save('accuracy-curves.svg', accuracy.svg);
      await save('accuracy-curves.png', accuracy.png);
    }

    const evaluation = input.evaluation?.predictions ? input.evaluation : await evaluate(model, test, { predictions: true });
    const predictions = evaluation.predictions!;
    const counts = confusionMatrix(test.labels, predictions.predicted, input.classes);
    const percent = (evaluation.accuracy * 100).toFixed(2);
    const matrix = await renderConfusionMatrix(counts, `${label}: confusion matrix, ${evaluation.count} test images, ${percent} % right`, test.classNames);
    await save('confusion-matrix.svg', matrix.svg);
    await save('confusion-matrix.png', matrix.png);
    await save('confusion-matrix.csv', confusionMatrixCsv(counts, test.classNames));

    const { normalization } = input;
    const worst = worstMisclassified(test.labels, predictions, input.worst ?? GRID.columns * GRID.columns);
    const errors = evaluation.count - evaluation.correct;
    const grid = renderMisclassifiedGrid(test, worst, normalization, `${label}: the ${worst.length} most confidently wrong of ${errors} misclassified test images`);
    await save('misclassified.svg', grid.svg);
    await save('misclassified.png', grid.png);
    ctx.log(`pictures: ${written.join(', ')} in ${ctx.run.artifactDir}`);
  } catch (error) {
    const done = written.length > 0 ? ` (written: ${written.join(', ')})` : '';
    ctx.log(`warning: the run's pictures could not all be drawn${done}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
