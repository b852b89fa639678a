/**
 * Command-line overrides (issue 11, items 6–8): Hydra-style arguments and -m sweep axes, overrides
 * blamed for their own mistakes, and an override of a swept path replacing that sweep axis.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, SpecError, type SpecIssue } from './errors.ts';
import { loadExperiment, type LoadOptions } from './load.ts';
import { splitSweepValues } from './overrides.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-overrides-'));
let counter = 0;

function specFile(text: string): string {
  const file = join(dir, `spec-${counter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function issuesOf(text: string, options: LoadOptions): SpecIssue[] {
  try {
    loadExperiment(specFile(text), options);
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

const TOY_LR_SWEEP = `${TOY}sweep:\n  grid:\n    train.lr: [0.1, 0.2, 0.5]\n`;

const CNN = `name: cnn
kind: cnn-classifier
model:
  blocks:
    conv1:
      - conv2d: {filters: 8, kernel: 3}
      - relu
    head:
      - global-avg-pool
      - dense: {units: 10}
      - log-softmax
train:
  epochs: 2
  lr: 0.01
sweep:
  variants:
    - name: wide
      set: {model.blocks.conv1: [{conv2d: {filters: 16, kernel: 3}}, relu]}
    - name: narrow
      set: {model.blocks.conv1: [{conv2d: {filters: 4, kernel: 3}}, relu]}
`;

describe('splitting a -m value', () => {
  it('splits at top-level commas only', () => {
    expect(splitSweepValues('0.1,0.3,1')).toEqual({ pieces: [{ text: '0.1', offset: 0 }, { text: '0.3', offset: 4 }, { text: '1', offset: 8 }] });
    const texts = (raw: string) => (splitSweepValues(raw) as { pieces: Array<{ text: string }> }).pieces.map((p) => p.text);
    expect(texts('[a, b],[c,d]')).toEqual(['[a, b]', '[c,d]']);
    expect(texts('{units: 10, bias: false},{units: 20}')).toEqual(['{units: 10, bias: false}', '{units: 20}']);
    expect(texts(`'[a,b]',"[c, {d: 1}]"`)).toEqual(['[a,b]', '[c, {d: 1}]']);
    expect(texts('a\\,b,c')).toEqual(['a,b', 'c']);
    expect(texts("it's,fine")).toEqual(["it's", 'fine']);
  });

  it('refuses an unterminated quote', () => {
    expect(splitSweepValues("'[a,b],c")).toMatchObject({ error: "unterminated quote '", offset: 0 });
  });

});

describe('Hydra-style overrides (item 6)', () => {
  it('a key=value argument after the spec is applied as --set is', () => {
    const loaded = loadExperiment(specFile(TOY), { args: ['train.lr=0.3', 'data.inputs=[1, 2]', 'name=123'] });
    expect(loaded.variants).toHaveLength(1);
    expect(loaded.variants[0].spec.train?.lr).toBe(0.3);
    expect(loaded.variants[0].spec.data?.inputs).toEqual([1, 2]);
    expect(loaded.spec.name).toBe('123');
  });

  it('arguments apply after --set', () => {
    const loaded = loadExperiment(specFile(TOY), { sets: ['train.lr=0.3'], args: ['train.lr=0.7'] });
    expect(loaded.variants[0].spec.train?.lr).toBe(0.7);
  });

  it('-m turns a comma-separated value into a sweep axis', () => {
    const loaded = loadExperiment(specFile(TOY), { args: ['train.lr=0.1,0.3,1'], multirun: true });
    expect(loaded.variants.map((v) => v.name)).toEqual(['lr=0.1', 'lr=0.3', 'lr=1']);
    expect(loaded.variants.map((v) => v.spec.train?.lr)).toEqual([0.1, 0.3, 1]);
    expect(loaded.variants[1].overrides).toEqual({ 'train.lr': 0.3 });
  });

  it("-m axes are crossed with the spec's own grid and named variants", () => {
    const grid = loadExperiment(specFile(`${TOY}sweep:\n  grid:\n    train.steps: [1, 2]\n`), { args: ['train.lr=0.1,0.3,1'], multirun: true });
    expect(grid.variants.map((v) => v.name)).toEqual(['steps=1_lr=0.1', 'steps=1_lr=0.3', 'steps=1_lr=1', 'steps=2_lr=0.1', 'steps=2_lr=0.3', 'steps=2_lr=1']);
    const named = loadExperiment(specFile(CNN), { args: ['train.lr=0.01,0.1', 'train.epochs=3'], multirun: true });
    expect(named.variants.map((v) => v.name)).toEqual(['wide_lr=0.01', 'wide_lr=0.1', 'narrow_lr=0.01', 'narrow_lr=0.1']);
    expect(named.variants.every((v) => v.spec.train?.epochs === 3)).toBe(true);
  });

  it('-m sweeps whole layer lists written in brackets; a quoted one is a string, as in Hydra', () => {
    const head = ['[global-avg-pool, {dense: {units: 10}}, log-softmax]', '[flatten, {dense: {units: 10}}, log-softmax]'];
    const loaded = loadExperiment(specFile(CNN), { args: [`model.blocks.head=${head.join(',')}`, 'sweep.variants=[{name: one, set: {}}]'], multirun: true });
    expect(loaded.variants.map((v) => v.name)).toEqual(['one_head=#1', 'one_head=#2']);
    expect(loaded.variants[1].spec.model?.blocks?.head[0]).toBe('flatten');
    const [issue] = issuesOf(CNN, { args: [`model.blocks.head=${head[0]},'${head[1]}'`], multirun: true });
    expect(issue.message).toMatch(/wrong type/);
    expect(issue.found).toBe('the string "[flatten, {dense: {units: 10}}, log-softmax]"');
  });

  it('a field both set and swept on the command line is refused', () => {
    const [issue] = issuesOf(TOY, { sets: ['train.lr=0.5'], args: ['train.lr=0.1,0.3'], multirun: true });
    expect(issue.message).toBe('train.lr is swept by -m train.lr=0.1,0.3 and also given by --set train.lr=0.5');
    expect(issue.location?.commandLine).toBe('-m train.lr=0.1,0.3');
  });

  it('an argument that is not path=value is refused as an override', () => {
    const [issue] = issuesOf(TOY, { args: ['other.yaml'] });
    expect(issue).toMatchObject({ message: 'cannot read the override: an override is key=value (or ~key to delete a key): no \'=\' in "other.yaml"', found: '"other.yaml"' });
    expect(issue.location?.commandLine).toBe('argument other.yaml');
  });
});

describe('an override that fails validation is blamed on the override (item 7)', () => {
  it('--set train.lr=0.1,0.3 names the override, not the line of the file', () => {
    const issues = issuesOf(TOY_LR_SWEEP, { sets: ['train.lr=0.1,0.3'] });
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue).toMatchObject({ path: 'train.lr', message: 'wrong type', found: 'the string "0.1,0.3"' });
    expect(issue.location).toMatchObject({ file: '--set', column: 10, lineText: 'train.lr=0.1,0.3', commandLine: '--set train.lr=0.1,0.3' });
    expect(issue.hint).toMatch(/-m train\.lr=0\.1,0\.3/);
    const text = formatIssue(issue, 'toy.yaml');
    expect(text.split('\n')[0]).toBe('--set train.lr=0.1,0.3: train.lr: wrong type');
    expect(text).toContain('\n  --set train.lr=0.1,0.3\n                 ^');
    expect(text).not.toMatch(/\d+ \| {2}lr: 0\.1/);
  });

  it('a positional override is named as the argument it was', () => {
    const [issue] = issuesOf(TOY, { args: ['train.steps=-3'] });
    expect(issue).toMatchObject({ path: 'train.steps', message: 'out of range' });
    expect(issue.location?.commandLine).toBe('argument train.steps=-3');
    expect(issue.hint).toBeUndefined();
  });

  it('a mistake inside an overridden mapping points into the value', () => {
    const [issue] = issuesOf(CNN, { sets: ['model.blocks.head=[global-avg-pool, {dense: {units: ten}}, log-softmax]'] });
    expect(issue.path).toBe('model.blocks.head.1.dense.units');
    const column = 'model.blocks.head=[global-avg-pool, {dense: {units: '.length + 1;
    expect(issue.location).toMatchObject({ file: '--set', column });
  });

  it('a bad -m value is blamed on that value', () => {
    const issues = issuesOf(TOY, { args: ['train.lr=0.1,fast'], multirun: true });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'train.lr', message: 'in variant lr=fast: wrong type', found: 'the string "fast"' });
    expect(issues[0].location).toMatchObject({ file: '-m', column: 14, commandLine: '-m train.lr=0.1,fast' });
  });

  it('what the file wrote is still blamed on the file', () => {
    const [issue] = issuesOf(TOY.replace('steps: 157', 'steps: many'), { sets: ['train.lr=0.3'] });
    expect(issue.path).toBe('train.steps');
    expect(issue.location).toMatchObject({ line: 9, lineText: '  steps: many' });
    expect(issue.location?.commandLine).toBeUndefined();
  });
});

describe('an override of a swept path replaces that sweep axis, and says so (item 8)', () => {
  it('--set train.lr=0.3 on a grid over train.lr: one variant at 0.3, and a note', () => {
    const notes: string[] = [];
    const loaded = loadExperiment(specFile(TOY_LR_SWEEP), { sets: ['train.lr=0.3'], note: (n) => notes.push(n) });
    expect(loaded.variants.map((v) => [v.name, v.spec.train?.lr])).toEqual([['toy', 0.3]]);
    expect(notes).toEqual(["--set train.lr=0.3 replaces the spec's sweep axis train.lr (0.1, 0.2, 0.5): every variant gets this value"]);
  });

  it('the other axes stay', () => {
    const notes: string[] = [];
    const text = `${TOY}sweep:\n  grid:\n    train.lr: [0.1, 0.2]\n    train.steps: [1, 2]\n`;
    const loaded = loadExperiment(specFile(text), { args: ['train.lr=0.3'], note: (n) => notes.push(n) });
    expect(loaded.variants.map((v) => v.name)).toEqual(['steps=1', 'steps=2']);
    expect(loaded.variants.every((v) => v.spec.train?.lr === 0.3)).toBe(true);
    expect(notes[0]).toMatch(/^argument train\.lr=0\.3 replaces the spec's sweep axis train\.lr/);
  });

  it('-m over a swept path replaces the axis with its own values', () => {
    const notes: string[] = [];
    const loaded = loadExperiment(specFile(TOY_LR_SWEEP), { args: ['train.lr=1,2'], multirun: true, note: (n) => notes.push(n) });
    expect(loaded.variants.map((v) => v.name)).toEqual(['lr=1', 'lr=2']);
    expect(notes).toHaveLength(1);
  });

  it("an override of what named variants set replaces their value, and an override inside it wins over theirs", () => {
    const notes: string[] = [];
    const whole = loadExperiment(specFile(CNN), { sets: ['model.blocks.conv1=[{conv2d: {filters: 2, kernel: 3}}, relu]'], note: (n) => notes.push(n) });
    expect(whole.variants.map((v) => (v.spec.model?.blocks?.conv1[0] as { conv2d: { filters: number } }).conv2d.filters)).toEqual([2, 2]);
    expect(notes).toEqual(['--set model.blocks.conv1=[{conv2d: {filters: 2, kernel: 3}}, relu] replaces the model.blocks.conv1 that sweep variants wide, narrow set']);
    const inside = loadExperiment(specFile(CNN), { sets: ['model.blocks.conv1.0.conv2d.filters=5'] });
    expect(inside.variants.map((v) => (v.spec.model?.blocks?.conv1[0] as { conv2d: { filters: number } }).conv2d.filters)).toEqual([5, 5]);
  });

  it('no note when nothing in the sweep is replaced', () => {
    const notes: string[] = [];
    loadExperiment(specFile(TOY_LR_SWEEP), { sets: ['train.steps=3'], note: (n) => notes.push(n) });
    expect(notes).toEqual([]);
  });
});
