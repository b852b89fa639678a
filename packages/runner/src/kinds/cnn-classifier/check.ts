/**
 * What can be known about a cnn-classifier variant before training: its parameter count against
 * the budget, and every problem that would make training fail or meaningless, each located at the
 * YAML that caused it.
 */
import type { ResolvedCnnSpec, SpecIssue } from '@xp/core';
import type { LayerKind } from '@xp/models/cnn/layers';
import { missingLayerKinds } from '@xp/models/cnn/require-layers';
import { summarizeModel, type ModelSummary } from '@xp/models/cnn/summary';
import type { Locator, KindCheck } from '../types.ts';
import { modelWithClasses } from './model-spec.ts';

const MNIST_INPUT = [1, 28, 28];
const MNIST_CLASSES = 10;

type Path = readonly (string | number)[];

/**
 * Datasets other than mnist are read first (decoded into the dataset cache), so that bad data, and
 * classes or channels that disagree with the model, are errors before training (exit 2); an mnist
 * spec is checked without reading its files, synchronously, as before datasets were a registry.
 */
export function checkCnnSpec(spec: ResolvedCnnSpec, locate: Locator, specFile?: string): KindCheck | Promise<KindCheck> {
  const issues: SpecIssue[] = [];
  const issue = (path: Path, message: string, extra: Partial<SpecIssue> = {}): void => {
    issues.push({ path: path.join('.'), message, location: locate(path) ?? locate(path.slice(0, -1)), ...extra });
  };
  if (spec.data.dataset === 'mnist' || specFile === undefined) return checkWithData(spec, undefined, issues, issue);
  return checkDataset(spec, specFile, issue).then((dataClasses) => checkWithData(spec, dataClasses, issues, issue));
}

function checkWithData(spec: ResolvedCnnSpec, dataClasses: number | undefined, issues: SpecIssue[], issue: Report): KindCheck {
  // The schema requires model.blocks and train.epochs for this kind; loading filled in the rest.
  const summary = summarizeModel(modelWithClasses(spec, dataClasses));
  for (const problem of summary.issues) issue(problem.path, problem.message);
  checkDataFits(spec, summary, issue);

  const required = spec.constraints.requireLayers;
  if (required && required.length > 0 && summary.issues.length === 0) {
    const missing = missingLayerKinds(summary.layers, required as LayerKind[]);
    if (missing.length > 0) {
      issue(['constraints', 'requireLayers'], `the model lacks required layer kind${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`, {
        hint: missing.includes('global-avg-pool') ? 'an avgpool whose window covers the whole feature map counts as global-avg-pool' : undefined,
      });
    }
  }

  checkTraining(spec, issue);

  // A count that stopped at a misfitting layer would understate the model: report none.
  const params = summary.issues.length === 0 ? summary.trainableParams : null;
  return { params, issues };
}

type Report = (path: Path, message: string, extra?: Partial<SpecIssue>) => void;

/** The classes of a dataset other than mnist, loading it; undefined for mnist, or when it cannot be read (then an issue says why). */
async function checkDataset(spec: ResolvedCnnSpec, specFile: string, issue: Report): Promise<number | undefined> {
  if (spec.data.augment && spec.model.input[0] !== 1) {
    issue(['data', 'augment'], 'augmentation (rotation, shift) is implemented for one-channel images only: leave data.augment out for RGB data');
  }
  // Loaded lazily: @xp/data brings TensorFlow.js, which `xp validate` on an mnist spec never needs.
  const [{ DatasetError }, { loadTrainingData }] = await Promise.all([import('@xp/data'), import('./train/data.ts')]);
  try {
    return (await loadTrainingData(spec, specFile)).classes;
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    issue(error.field ?? ['data'], error.message);
    return undefined;
  }
}

function checkDataFits(spec: ResolvedCnnSpec, summary: ModelSummary, issue: Report): void {
  if (spec.data.dataset === 'mnist') {
    if (!summary.input.every((n, i) => n === MNIST_INPUT[i])) {
      issue(['model', 'input'], `MNIST images are ${MNIST_INPUT.join('×')}, but model.input is ${summary.input.join('×')}`);
    }
    if (summary.classes !== MNIST_CLASSES) {
      issue(['model', 'classes'], `MNIST has ${MNIST_CLASSES} classes, but model.classes is ${summary.classes}`);
    }
  }
  const last = summary.layers[summary.layers.length - 1];
  if (summary.issues.length === 0 && last && last.layer.kind !== 'log-softmax') {
    issue(last.layer.path, `the last layer is ${last.layer.kind}, but the loss is NLL on log-probabilities: end the network with log-softmax`);
  }
}

function checkTraining(spec: ResolvedCnnSpec, issue: Report): void {
  // The schema requires epochs, and lr unless a one-cycle schedule gives the rates.
  const { train } = spec;
  if (train.optimizer === 'adam' && train.momentum > 0) {
    issue(['train', 'momentum'], 'momentum applies to sgd only; adam has its own moment estimates');
  }
  const { judge } = spec.constraints;
  if (typeof judge === 'object' && judge.lastN > train.epochs) {
    issue(['constraints', 'judge', 'lastN'], `judging the last ${judge.lastN} epochs, but train.epochs is ${train.epochs}`);
  }
  const limit = spec.data.trainLimit;
  const split = spec.data.validationSplit;
  if (limit !== undefined && split > 0 && Math.round(limit * split) >= limit) {
    issue(['data', 'validationSplit'], `validationSplit ${split} leaves no training images out of trainLimit ${limit}`);
  }
}
