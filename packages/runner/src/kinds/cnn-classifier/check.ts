/**
 * What can be known about a cnn-classifier variant before training: its parameter count against
 * the budget, and every problem that would make training fail or meaningless, each located at the
 * YAML that caused it.
 */
import type { ExperimentSpec, SpecIssue } from '@xp/core';
import type { CnnModelSpec, LayerKind } from '@xp/models/cnn/layers';
import { missingLayerKinds } from '@xp/models/cnn/require-layers';
import { summarizeModel, type ModelSummary } from '@xp/models/cnn/summary';
import type { Locator, KindCheck } from '../types.ts';

const MNIST_INPUT = [1, 28, 28];
const MNIST_CLASSES = 10;

type Path = readonly (string | number)[];

export function checkCnnSpec(spec: ExperimentSpec, locate: Locator): KindCheck {
  const issues: SpecIssue[] = [];
  const issue = (path: Path, message: string, extra: Partial<SpecIssue> = {}): void => {
    issues.push({ path: path.join('.'), message, location: locate(path), ...extra });
  };

  let summary: ModelSummary | null = null;
  if (!spec.model?.blocks) issue(['model'], 'cnn-classifier needs model.blocks');
  else {
    summary = summarizeModel(spec.model as CnnModelSpec);
    for (const problem of summary.issues) issue(problem.path, problem.message);
    checkDataFits(spec, summary, issue);
  }

  const required = spec.constraints?.requireLayers;
  if (summary && required && required.length > 0 && summary.issues.length === 0) {
    const missing = missingLayerKinds(summary.layers, required as LayerKind[]);
    if (missing.length > 0) {
      issue(['constraints', 'requireLayers'], `the model lacks required layer kind${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`, {
        hint: missing.includes('global-avg-pool') ? 'an avgpool whose window covers the whole feature map counts as global-avg-pool' : undefined,
      });
    }
  }

  checkTraining(spec, issue);

  // A count that stopped at a misfitting layer would understate the model: report none.
  const params = summary && summary.issues.length === 0 ? summary.trainableParams : null;
  return { params, issues };
}

type Report = (path: Path, message: string, extra?: Partial<SpecIssue>) => void;

function checkDataFits(spec: ExperimentSpec, summary: ModelSummary, issue: Report): void {
  if ((spec.data?.dataset ?? 'mnist') !== 'mnist') return;
  if (!summary.input.every((n, i) => n === MNIST_INPUT[i])) {
    issue(['model', 'input'], `MNIST images are ${MNIST_INPUT.join('×')}, but model.input is ${summary.input.join('×')}`);
  }
  if (summary.classes !== MNIST_CLASSES) {
    issue(['model', 'classes'], `MNIST has ${MNIST_CLASSES} classes, but model.classes is ${summary.classes}`);
  }
  const last = summary.layers[summary.layers.length - 1];
  if (summary.issues.length === 0 && last && last.layer.kind !== 'log-softmax') {
    issue(last.layer.path, `the last layer is ${last.layer.kind}, but the loss is NLL on log-probabilities: end the network with log-softmax`);
  }
}

function checkTraining(spec: ExperimentSpec, issue: Report): void {
  const train = spec.train;
  if (!train) {
    issue(['train'], 'cnn-classifier needs a train section (epochs, lr)');
    return;
  }
  if (train.epochs === undefined) issue(['train'], 'train.epochs is required for cnn-classifier');
  if (train.lr === undefined && train.schedule?.type !== 'one-cycle') issue(['train'], 'train.lr is required for cnn-classifier');
  if (train.optimizer === 'adam' && (train.momentum ?? 0) > 0) {
    issue(['train', 'momentum'], 'momentum applies to sgd only; adam has its own moment estimates');
  }
  const judge = spec.constraints?.judge;
  if (typeof judge === 'object' && train.epochs !== undefined && judge.lastN > train.epochs) {
    issue(['constraints', 'judge', 'lastN'], `judging the last ${judge.lastN} epochs, but train.epochs is ${train.epochs}`);
  }
  const limit = spec.data?.trainLimit;
  const split = spec.data?.validationSplit ?? 0;
  if (limit !== undefined && split > 0 && Math.round(limit * split) >= limit) {
    issue(['data', 'validationSplit'], `validationSplit ${split} leaves no training images out of trainLimit ${limit}`);
  }
}
