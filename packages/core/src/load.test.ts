import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from './load.ts';
import { SpecError, type SpecIssue } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-core-'));
let counter = 0;

function specFile(text: string | Buffer): string {
  const file = join(dir, `spec-${counter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function issuesOf(text: string | Buffer, sets?: string[], maxVariants?: number): SpecIssue[] {
  try {
    loadExperiment(specFile(text), { sets, maxVariants });
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected the spec to be refused');
}

const TOY = `name: toy
kind: toy-mlp
data:
  inputs: [0.05, 0.1]
  targets: [0.01, 0.99]
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train:
  steps: 157
  lr: 0.1
`;

const CNN = `name: cnn
kind: cnn-classifier
vars: {c1: 16}
model:
  blocks:
    conv1:
      - conv2d: {filters: "\${vars.c1}", kernel: 3}
      - relu
    head:
      - global-avg-pool
      - dense: {units: 10}
      - log-softmax
train:
  epochs: 15
  lr: 0.01
constraints:
  maxEpochs: 19
`;

describe('valid specs', () => {
  it('loads a toy spec and fills in defaults explicitly', () => {
    const loaded = loadExperiment(specFile(TOY));
    expect(loaded.variants).toHaveLength(1);
    expect(loaded.variants[0].name).toBe('toy');
    expect(loaded.variants[0].spec.seed).toBe(1);
    expect(loaded.variants[0].spec.backend).toBe('auto');
  });

  it('substitutes vars with their type and lets a grid change them', () => {
    const loaded = loadExperiment(specFile(`${CNN}sweep:\n  grid:\n    vars.c1: [16, 32]\n`));
    const filters = loaded.variants.map((v) => (v.spec.model?.blocks?.conv1[0] as { conv2d: { filters: number } }).conv2d.filters);
    expect(filters).toEqual([16, 32]);
    expect(loaded.variants.map((v) => v.name)).toEqual(['c1=16', 'c1=32']);
  });

  it('crosses named variants with the grid, deterministically named', () => {
    const text = `${CNN}sweep:
  grid:
    vars.c1: [16, 32]
    train.lr: [0.01, 0.1]
  variants:
    - name: gap-5x5
      set: {model.blocks.head: [global-avg-pool, {dense: {units: 10}}, log-softmax]}
    - name: flat
      set: {model.blocks.head: [flatten, {dense: {units: 10}}, log-softmax]}
`;
    const names = loadExperiment(specFile(text)).variants.map((v) => v.name);
    expect(names).toEqual([
      'gap-5x5_c1=16_lr=0.01', 'gap-5x5_c1=16_lr=0.1', 'gap-5x5_c1=32_lr=0.01', 'gap-5x5_c1=32_lr=0.1',
      'flat_c1=16_lr=0.01', 'flat_c1=16_lr=0.1', 'flat_c1=32_lr=0.01', 'flat_c1=32_lr=0.1',
    ]);
    expect(loadExperiment(specFile(text)).variants.map((v) => v.name)).toEqual(names);
  });

  it('applies --set with values typed by the schema', () => {
    const loaded = loadExperiment(specFile(TOY), { sets: ['train.lr=0.5', 'name=123', 'data.inputs=[1, 2]'] });
    expect(loaded.variants[0].spec.train?.lr).toBe(0.5);
    expect(loaded.spec.name).toBe('123');
    expect(loaded.variants[0].spec.data?.inputs).toEqual([1, 2]);
  });
});

describe('bad input is refused with its location, what was expected and what was found', () => {
  it('YAML syntax error', () => {
    const [issue] = issuesOf('name: toy\nkind: [toy-mlp\n');
    expect(issue.message).toMatch(/YAML syntax error/);
    expect(issue.location?.line).toBeGreaterThanOrEqual(2);
  });

  it('wrong type', () => {
    const [issue] = issuesOf(TOY.replace('steps: 157', 'steps: many'));
    expect(issue).toMatchObject({ path: 'train.steps', message: 'wrong type', expected: 'an integer', found: 'the string "many"' });
    expect(issue.location).toMatchObject({ line: 9, column: 10, lineText: '  steps: many' });
  });

  it('unknown key, with a suggestion', () => {
    const [issue] = issuesOf(TOY.replace('  lr: 0.1', '  lr: 0.1\n  epoch: 3'));
    expect(issue).toMatchObject({ path: 'train.epoch', message: "unknown key 'epoch'", hint: "did you mean 'epochs'?" });
    expect(issue.location).toMatchObject({ line: 11, column: 3 });
  });

  it('duplicate key', () => {
    const [issue] = issuesOf(TOY.replace('  lr: 0.1', '  lr: 0.1\n  lr: 0.2'));
    expect(issue.message).toMatch(/duplicate key/);
    expect(issue.location?.line).toBe(11);
  });

  it('epochs over constraints.maxEpochs ($data relation)', () => {
    const [issue] = issuesOf(CNN.replace('epochs: 15', 'epochs: 25'));
    expect(issue).toMatchObject({ path: 'train.epochs', message: 'must be ≤ constraints.maxEpochs (19)', found: 'number 25' });
    expect(issue.location?.line).toBe(14);
  });

  it('empty file', () => {
    const [issue] = issuesOf('# just a comment\n\n');
    expect(issue.message).toBe('the spec is empty');
    expect(issue.expected).toMatch(/name.*kind/);
  });

  it('binary garbage', () => {
    const [issue] = issuesOf(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff, 0xfe]));
    expect(issue).toMatchObject({ message: 'this is not a text file', found: 'binary data' });
  });

  it('alias bomb', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const [issue] = issuesOf(`${bomb.join('\n')}\n`);
    expect(issue.message).toMatch(/^refused: .*alias/i);
  });

  it('bad --set path and bad --set value', () => {
    const [path] = issuesOf(TOY, ['train.lrr=0.5']);
    expect(path).toMatchObject({ message: "unknown key 'lrr' under train", hint: "did you mean 'lr'?" });
    expect(path.location).toMatchObject({ file: '--set', column: 7 });
    const [value] = issuesOf(TOY, ['train.lr=fast']);
    expect(value).toMatchObject({ path: 'train.lr', message: 'wrong type', found: 'the string "fast"' });
  });

  it('missing required keys for the kind', () => {
    const issues = issuesOf('name: x\nkind: toy-mlp\ntrain: {lr: 0.1}\n');
    expect(issues.map((i) => i.message)).toEqual(expect.arrayContaining(["missing required key 'data'", "missing required key 'model'", "missing required key 'steps'"]));
  });

  it('non-finite weight and non-positive learning rate', () => {
    const issues = issuesOf(TOY.replace('w4: 0.3', 'w4: .nan').replace('lr: 0.1', 'lr: 0'));
    expect(issues.map((i) => i.path)).toEqual(['model.weights.w4', 'train.lr']);
    expect(issues[0].message).toBe('not a finite number');
    expect(issues[1].expected).toBe('a number > 0');
  });

  it('unknown kind and a non-mapping document', () => {
    const [kind] = issuesOf('name: x\nkind: rnn\n');
    expect(kind).toMatchObject({ path: 'kind', message: 'not an allowed value', expected: 'one of "toy-mlp", "cnn-classifier", "command", or a plugin kind: a module path relative to the spec (./kinds/my-kind.ts) or an npm package named xp-kind-*' });
    expect(issuesOf('name: x\nkind: toy-mpl\n')[0].hint).toBe("did you mean 'toy-mlp'?");
    const [list] = issuesOf('- a\n- b\n');
    expect(list).toMatchObject({ message: 'the spec must be a mapping of keys to values', found: 'a list of 2' });
  });

  it('an unknown var, located where it is used', () => {
    const [issue] = issuesOf(CNN.replace('${vars.c1}', '${vars.c2}'));
    expect(issue).toMatchObject({ message: "unknown variable 'c2'", hint: "did you mean 'c1'?" });
    expect(issue.location?.line).toBe(7);
  });

  it('a bad grid value is located in the sweep, once', () => {
    const issues = issuesOf(`${TOY}sweep:\n  grid:\n    train.lr: [0.1, -1]\n    train.steps: [1, 2]\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/^in variant lr=-1_steps=1: out of range/);
    expect(issues[0].location).toMatchObject({ line: 13, column: 21 });
  });

  it('a bad layer is located at the layer', () => {
    const issues = issuesOf(CNN.replace('- relu', '- relux'));
    expect(issues[0]).toMatchObject({ path: 'model.blocks.conv1.1', expected: expect.stringContaining('"relu"') });
    expect(issues[0].location?.line).toBe(8);
  });

  it('reports every problem of a file together', () => {
    const issues = issuesOf(TOY.replace('steps: 157', 'steps: 0').replace('lr: 0.1', 'lr: -1').replace('name: toy', 'name: "bad name"'));
    expect(issues.map((i) => i.path)).toEqual(['name', 'train.steps', 'train.lr']);
  });

  it('refuses more than 1,000 variants unless the cap is raised', () => {
    const grid = `${TOY}sweep:\n  grid:\n    train.lr: [${Array.from({ length: 40 }, (_, i) => 0.01 * (i + 1)).join(', ')}]\n    train.steps: [${Array.from({ length: 30 }, (_, i) => i + 1).join(', ')}]\n`;
    const [issue] = issuesOf(grid);
    expect(issue.message).toMatch(/1200 variants, more than the cap of 1000; pass --max-variants 1200/);
    expect(loadExperiment(specFile(grid), { maxVariants: 1200 }).variants).toHaveLength(1200);
  });
});

describe('learning rate and schedules', () => {
  const base = 'name: c\nkind: cnn-classifier\nmodel: {blocks: {a: [flatten, {dense: {units: 10}}, log-softmax]}}\n';
  it('a one-cycle schedule needs no train.lr', () => {
    expect(loadExperiment(specFile(`${base}train: {epochs: 2, schedule: {type: one-cycle, maxLr: 0.1}}\n`)).variants).toHaveLength(1);
  });
  it('any other cnn spec does', () => {
    const [issue] = issuesOf(`${base}train: {epochs: 2, schedule: {type: step, stepSize: 1}}\n`);
    expect(issue).toMatchObject({ path: 'train', message: "missing required key 'lr'" });
  });
});
