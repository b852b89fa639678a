import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadExperiment } from '@xp/core';
import { withinBudget } from '../../verdict/budget.ts';
import { describe, expect, it } from 'vitest';
import type { KindCheck } from '../types.ts';
import { cnnClassifierKind } from './index.ts';

const SEED_SPEC = resolve(import.meta.dirname, '../../../../../experiments/cnn-19816.yaml');

function check(text: string): KindCheck {
  const file = join(mkdtempSync(join(tmpdir(), 'xp-cnn-check-')), 'spec.yaml');
  writeFileSync(file, text);
  const variant = loadExperiment(file).variants[0];
  return cnnClassifierKind.check(variant.spec, (path) => variant.locate(path)) as KindCheck;
}

const SMALL = `name: small
kind: cnn-classifier
model:
  blocks:
    body:
      - conv2d: {filters: 4, kernel: 3}
      - relu
      - batchnorm
      - global-avg-pool
      - dense: {units: 10}
      - log-softmax
train: {epochs: 2, lr: 0.1}
`;

describe('cnn-classifier static checks', () => {
  it("counts the seed network's 19,816 parameters within its budget, with no issues", () => {
    const variant = loadExperiment(SEED_SPEC).variants[0];
    expect(cnnClassifierKind.check(variant.spec, (path) => variant.locate(path))).toEqual({ params: 19_816, issues: [] });
  });

  it('counts the parameters and leaves the budget to the verdict module', () => {
    const result = check(`${SMALL}constraints: {maxParams: 50}\n`);
    expect(result).toEqual({ params: 4 * 9 + 4 + 8 + 4 * 10 + 10, issues: [] });
    expect(withinBudget(result.params, { maxParams: 50 })).toBe(false);
    expect(withinBudget(result.params, { maxParams: 98 })).toBe(true);
  });

  it('locates missing required layers at constraints.requireLayers', () => {
    const result = check(`${SMALL}constraints:\n  requireLayers: [batchnorm, dropout, dense]\n`);
    expect(result.issues).toEqual([
      expect.objectContaining({ path: 'constraints.requireLayers', message: 'the model lacks required layer kind: dropout', location: expect.objectContaining({ line: 14 }) }),
    ]);
  });

  it('locates a shape error at the layer that does not fit', () => {
    const result = check(SMALL.replace('kernel: 3}', 'kernel: 30}'));
    expect(result.params).toBeNull();
    expect(result.issues).toEqual([
      expect.objectContaining({ path: 'model.blocks.body.0', message: expect.stringContaining('kernel 30×30 is larger than its 28×28 input'), location: expect.objectContaining({ line: 6 }) }),
    ]);
  });

  it('wants log-softmax last, MNIST-shaped input and a judge window the epochs can fill', () => {
    const result = check(`${SMALL.replace('      - log-softmax\n', '').replace('lr: 0.1', 'lr: 0.1, optimizer: adam, momentum: 0.9')}constraints: {judge: {lastN: 5}}\n`);
    const paths = result.issues.map((i) => i.path);
    expect(paths).toEqual(['model.blocks.body.4', 'train.momentum', 'constraints.judge.lastN']);
    const wrongInput = check(SMALL.replace('model:\n', 'model:\n  input: [3, 32, 32]\n'));
    expect(wrongInput.issues).toEqual([expect.objectContaining({ path: 'model.input', message: 'MNIST images are 1×28×28, but model.input is 3×32×32' })]);
  });

  it('summarizes the model as a table', () => {
    const spec = loadExperiment(SEED_SPEC).variants[0].spec;
    expect(cnnClassifierKind.summary!(spec)).toMatch(/Trainable params: 19,816/);
  });
});
