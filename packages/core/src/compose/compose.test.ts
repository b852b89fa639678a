/**
 * Composition (issue 20): a defaults list with files, config groups, @package and _self_; deep
 * merges, lists replacing, null deleting; the search path; group choices and sweeps on the command
 * line; provenance in every error; and each bad input with its exact message.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, SpecError, type SpecIssue } from '../errors.ts';
import { loadExperiment, type LoadOptions } from '../load.ts';

/** A project folder of its own (with a package.json: the project's root) holding `files`. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'xp-compose-'));
  writeFileSync(join(root, 'package.json'), '{}\n');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const TOY_BODY = `kind: toy-mlp
data:
  inputs: [0.05, 0.1]
  targets: [0.01, 0.99]
`;
const WEIGHTS = 'weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}\n';

/** A toy spec composed of a model group and an optimizer group placed at `train`. */
const TOY = {
  'app/spec.yaml': `defaults:\n  - model: small\n  - optimizer@train: sgd\n  - _self_\nname: toy\n${TOY_BODY}train:\n  steps: 10\n`,
  'app/model/small.yaml': WEIGHTS,
  'app/model/large.yaml': `defaults:\n  - small\n  - _self_\nweights: {w1: 1.5}\n`,
  'app/optimizer/sgd.yaml': 'lr: 0.1\nsteps: 157\n',
  'app/optimizer/fast.yaml': 'lr: 0.5\n',
};

function load(root: string, spec: string, options: LoadOptions = {}) {
  return loadExperiment(join(root, spec), { env: {}, cwd: root, ...options });
}

function issuesOf(root: string, spec: string, options: LoadOptions = {}): SpecIssue[] {
  try {
    load(root, spec, options);
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected the spec to be refused');
}

describe('a defaults list', () => {
  it('places a group option at its group, @package elsewhere, and the spec\'s own keys last', () => {
    const root = project(TOY);
    const loaded = load(root, 'app/spec.yaml');
    const spec = loaded.variants[0].spec;
    expect(spec.model).toEqual({ weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } });
    // optimizer@train: sgd sets train.lr and train.steps; the spec's own steps (after it) win.
    expect(spec.train?.lr).toBe(0.1);
    expect(spec.train?.steps).toBe(10);
    expect(loaded.composed.choices).toEqual({ model: 'small', 'optimizer@train': 'sgd' });
    // Shown as the spec was given (here an absolute path).
    expect(loaded.composed.files.map((f) => f.file)).toEqual([join(root, 'app/model/small.yaml'), join(root, 'app/optimizer/sgd.yaml'), join(root, 'app/spec.yaml')]);
  });

  it('_self_ first lets the defaults override the spec', () => {
    const root = project({ ...TOY, 'app/spec.yaml': TOY['app/spec.yaml'].replace('defaults:\n', 'defaults:\n  - _self_\n').replace('  - _self_\nname', 'name') });
    expect(load(root, 'app/spec.yaml').variants[0].spec.train?.steps).toBe(157);
  });

  it('merges mappings deeply, replaces lists, and deletes a key set to null', () => {
    const root = project({
      'base.yaml': `name: base\ndescription: to be deleted\n${TOY_BODY}model:\n  ${WEIGHTS}train:\n  lr: 0.1\n  steps: 3\n`,
      'spec.yaml': 'defaults:\n  - base\nname: merged\ndescription: null\ndata:\n  inputs: [1, 2]\nmodel:\n  weights: {w1: 9}\ntrain:\n  steps: 4\n',
    });
    const spec = load(root, 'spec.yaml').variants[0].spec;
    expect(spec.name).toBe('merged');
    expect(spec.data).toMatchObject({ inputs: [1, 2], targets: [0.01, 0.99] });
    expect(spec.model?.weights).toMatchObject({ w1: 9, w2: 0.2 });
    expect(spec.train?.lr).toBe(0.1);
    expect(spec.train?.steps).toBe(4);
    expect(spec.description).toBeUndefined();
  });

  it("a group option's own defaults are relative to its group; @_global_ places an option at the top", () => {
    const root = project({ ...TOY, 'app/spec.yaml': TOY['app/spec.yaml'].replace('model: small', 'model: large').replace('  - _self_\n', '  - extra@_global_: desc\n  - _self_\n'), 'app/extra/desc.yaml': 'description: from a global option\n' });
    const spec = load(root, 'app/spec.yaml').variants[0].spec;
    expect(spec.model?.weights).toMatchObject({ w1: 1.5, w2: 0.2 });
    expect(spec.description).toBe('from a global option');
  });

  it('finds options in configs/, XP_CONFIG_PATH and configPath, in that order after the spec\'s folder', () => {
    const root = project({
      'app/spec.yaml': `defaults:\n  - model: small\n  - optimizer@train: sgd\nconfigPath: ../mine\nname: toy\n${TOY_BODY}`,
      'app/configs/model/small.yaml': WEIGHTS,
      'shared/optimizer/sgd.yaml': 'lr: 0.2\nsteps: 5\n',
      'mine/optimizer/sgd.yaml': 'lr: 0.3\nsteps: 5\n',
    });
    expect(load(root, 'app/spec.yaml', { env: { XP_CONFIG_PATH: 'shared' } }).variants[0].spec.train?.lr).toBe(0.2);
    expect(load(root, 'app/spec.yaml').variants[0].spec.train?.lr).toBe(0.3);
  });
});

describe('group choices on the command line', () => {
  it('model=large chooses another option; +group=option adds a group; ~group removes one', () => {
    const root = project({ ...TOY, 'app/extra/desc.yaml': 'description: added\n' });
    expect(load(root, 'app/spec.yaml', { args: ['model=large'] }).variants[0].spec.model?.weights?.w1).toBe(1.5);
    expect(load(root, 'app/spec.yaml', { args: ['+extra@_global_=desc'] }).variants[0].spec.description).toBe('added');
    expect(load(root, 'app/spec.yaml', { args: ['~optimizer@train', '+train.lr=0.7'] }).variants[0].spec.train?.lr).toBe(0.7);
    expect(load(root, 'app/spec.yaml', { args: ['optimizer@train=fast'] }).variants[0].spec.train?.lr).toBe(0.5);
  });

  it('-m model=small,large sweeps the group, crossed with -m value axes; variants are named model=…', () => {
    const root = project(TOY);
    const loaded = load(root, 'app/spec.yaml', { args: ['model=small,large', 'train.lr=0.1,0.2'], multirun: true });
    expect(loaded.variants.map((v) => v.name)).toEqual(['model=small_lr=0.1', 'model=small_lr=0.2', 'model=large_lr=0.1', 'model=large_lr=0.2']);
    expect(loaded.variants[2].overrides).toEqual({ model: 'large', 'train.lr': 0.1 });
    expect(loaded.variants[2].spec.model?.weights?.w1).toBe(1.5);
    expect(loaded.variants[2].composed.choices.model).toBe('large');
    expect(load(root, 'app/spec.yaml', { args: ['model=glob(l*)'], multirun: true }).variants.map((v) => v.name)).toEqual(['model=large']);
  });

  it('sweep.grid may name a group\'s options', () => {
    const root = project({ ...TOY, 'app/spec.yaml': `${TOY['app/spec.yaml']}sweep:\n  grid:\n    model: [small, large]\n    train.steps: [1, 2]\n` });
    expect(load(root, 'app/spec.yaml').variants.map((v) => v.name)).toEqual(['model=small_steps=1', 'model=small_steps=2', 'model=large_steps=1', 'model=large_steps=2']);
  });
});

describe('an empty option', () => {
  it('adds nothing (only comments in it)', () => {
    const root = project({ ...TOY, 'app/extra/none.yaml': '# nothing to add\n' });
    expect(load(root, 'app/spec.yaml', { args: ['+extra=none'] }).variants[0].spec.train?.lr).toBe(0.1);
  });
});

describe('named variants choosing group options', () => {
  it('sweep.variants may set a group to an option: each composed with it, names and order kept, crossed with the grid', () => {
    const spec = `${TOY['app/spec.yaml']}sweep:\n  grid:\n    train.steps: [1, 2]\n  variants:\n    - name: base\n      set: {train.lr: 0.3}\n    - name: big\n      set: {model: large, train.lr: 0.4}\n    - name: fast\n      set: {optimizer@train: fast}\n`;
    const root = project({ ...TOY, 'app/spec.yaml': spec });
    const loaded = load(root, 'app/spec.yaml');
    expect(loaded.variants.map((v) => v.name)).toEqual(['base_steps=1', 'base_steps=2', 'big_steps=1', 'big_steps=2', 'fast_steps=1', 'fast_steps=2']);
    const big = loaded.variants[2];
    expect(big.spec.model?.weights?.w1).toBe(1.5);
    expect(big.spec.train?.lr).toBe(0.4);
    expect(big.overrides).toMatchObject({ model: 'large', 'train.lr': 0.4, 'train.steps': 1 });
    expect(loaded.variants[0].spec.model?.weights?.w1).toBe(0.15);
  });
});

describe('provenance', () => {
  it('a bad value in a group file is reported at its own file:line:col with the chain that included it', () => {
    const root = project({ ...TOY, 'app/model/bad.yaml': 'defaults: [small, _self_]\nweights:\n  w2: high\n' });
    const [issue] = issuesOf(root, 'app/spec.yaml', { args: ['model=bad'] });
    expect(formatIssue(issue, 'app/spec.yaml')).toBe([
      `${join(root, 'app/model/bad.yaml')}:3:7: model.weights.w2: wrong type`,
      '  expected: a finite number',
      '  found:    the string "high"',
      '  3 |   w2: high',
      '            ^',
      `  included by argument model=bad (${join(root, 'app/spec.yaml')} defaults[0])`,
    ].join('\n'));
  });

  it('a group file whose keys do not belong where it lands is refused at its own line', () => {
    const root = project({ ...TOY, 'app/optimizer/odd.yaml': 'lr: 0.1\nwidth: 3\n' });
    const issues = issuesOf(root, 'app/spec.yaml', { args: ['optimizer@train=odd'] });
    expect(issues.map((i) => `${i.location?.file}:${i.location?.line}:${i.location?.column}: ${i.path}: ${i.message}`)).toEqual([`${join(root, 'app/optimizer/odd.yaml')}:2:1: train.width: unknown key 'width'`]);
    expect(issues[0].location?.includedBy).toEqual([`argument optimizer@train=odd (${join(root, 'app/spec.yaml')} defaults[1])`]);
  });
});

describe('bad input (each with its exact message)', () => {
  const root = project({
    ...TOY,
    'app/missing-option.yaml': `defaults:\n  - model: smal\nname: toy\n${TOY_BODY}`,
    'app/missing-file.yaml': `defaults:\n  - model/none\nname: toy\n${TOY_BODY}`,
    'app/a.yaml': 'defaults:\n  - b\nname: a\n',
    'app/b.yaml': 'defaults:\n  - a\n',
    'app/twice.yaml': `defaults:\n  - model: small\n  - model: large\nname: toy\n${TOY_BODY}`,
    'app/self-twice.yaml': `defaults:\n  - _self_\n  - model: small\n  - _self_\nname: toy\n${TOY_BODY}`,
    'app/escape.yaml': `defaults:\n  - ../../outside\nname: toy\n${TOY_BODY}`,
  });
  const one = (spec: string, options: LoadOptions = {}) => {
    const issues = issuesOf(root, spec, options);
    expect(issues).toHaveLength(1);
    return issues[0];
  };
  const at = (issue: SpecIssue) => `${issue.location?.commandLine ?? `${issue.location?.file}:${issue.location?.line}:${issue.location?.column}`}`;

  it('a defaults entry naming a missing option lists the options, with did-you-mean', () => {
    const issue = one('app/missing-option.yaml');
    expect(issue).toMatchObject({ message: "config group 'model' has no option 'smal'", expected: 'one of: large, small', hint: "did you mean 'small'?" });
    expect(at(issue)).toBe(`${join(root, 'app/missing-option.yaml')}:2:5`);
  });

  it('a defaults entry naming a missing file lists the files there', () => {
    const issue = one('app/missing-file.yaml');
    expect(issue).toMatchObject({ message: `no such file: ${join(root, 'app/model/none.yaml')}`, expected: 'one of the files in app/model: large, small' });
  });

  it('a cycle prints the chain', () => {
    expect(one('app/a.yaml').message).toBe(`the defaults lists include each other in a cycle: ${join(root, 'app/a.yaml')} → ${join(root, 'app/b.yaml')} → ${join(root, 'app/a.yaml')}`);
  });

  it('two entries for the same group', () => {
    expect(one('app/twice.yaml').message).toBe(`config group 'model' is listed twice in ${join(root, 'app/twice.yaml')}'s defaults (entries 0 and 1)`);
  });

  it('_self_ twice', () => {
    const issue = one('app/self-twice.yaml');
    expect(issue.message).toBe('_self_ is listed twice (entries 0 and 2)');
    expect(at(issue)).toBe(`${join(root, 'app/self-twice.yaml')}:4:5`);
  });

  it('~key on a missing key', () => {
    const issue = one('app/spec.yaml', { args: ['~description'] });
    expect(issue.message).toBe('argument ~description deletes description, which the spec does not set');
    expect(at(issue)).toBe('argument ~description');
  });

  it('+key on an existing key', () => {
    const issue = one('app/spec.yaml', { args: ['+train.steps=3'] });
    expect(issue).toMatchObject({ message: 'argument +train.steps=3 adds train.steps, which the spec already sets (10)', expected: 'train.steps=3 to change it, or ++train.steps=3 to set it either way' });
    expect(load(root, 'app/spec.yaml', { args: ['++train.steps=3'] }).variants[0].spec.train?.steps).toBe(3);
    expect(load(root, 'app/spec.yaml', { args: ['+description=added'] }).variants[0].spec.description).toBe('added');
  });

  it('+group=option for a group the spec already uses', () => {
    const issue = one('app/spec.yaml', { args: ['+model=large'] });
    expect(issue).toMatchObject({ message: `+model=large adds config group 'model', which ${join(root, 'app/spec.yaml')}'s defaults already choose (small)`, expected: 'model=large to choose another option, or ++model=large to add or replace' });
    expect(load(root, 'app/spec.yaml', { args: ['++model=large'] }).variants[0].spec.model?.weights?.w1).toBe(1.5);
  });

  it('a group choice for a group the spec does not use (+group=option adds it)', () => {
    const withExtra = project({ ...TOY, 'app/extra/desc.yaml': 'description: x\n' });
    const [issue] = issuesOf(withExtra, 'app/spec.yaml', { args: ['extra=desc'] });
    expect(issue).toMatchObject({ message: "the spec's defaults use no config group 'extra'", expected: 'one of the groups it uses: model, optimizer, or +extra=desc to add the group' });
  });

  it('a model=… option that does not exist lists the options, with did-you-mean', () => {
    const issue = one('app/spec.yaml', { args: ['model=larg'] });
    expect(issue).toMatchObject({ message: "config group 'model' has no option 'larg'", expected: 'one of: large, small', hint: "did you mean 'large'?" });
    expect(at(issue)).toBe('argument model=larg');
  });

  it('a path that leaves the project with .. is refused', () => {
    const issue = one('app/escape.yaml');
    expect(issue.message).toBe(`../../outside is outside the project (${root}) and the search path: composition reads files inside them only`);
    expect(at(issue)).toBe(`${join(root, 'app/escape.yaml')}:2:5`);
  });
});
