import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from './errors.ts';
import { loadExperiment, type LoadOptions } from './load.ts';
import { sampleTrials, trialName, type RandomSearch } from './random-search.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-random-'));
let counter = 0;
const specFile = (text: string): string => {
  const file = join(dir, `spec-${counter++}.yaml`);
  writeFileSync(file, text);
  return file;
};

function issuesOf(text: string, options: LoadOptions = {}): SpecIssue[] {
  try {
    loadExperiment(specFile(text), options);
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected the spec to be refused');
}

const SPACE: RandomSearch = {
  trials: 24,
  seed: 7,
  space: {
    'train.lr': { loguniform: [0.001, 0.5] },
    'train.momentum': { uniform: [0.8, 0.99] },
    'vars.c1': { choice: [8, 12, 16] },
  },
};

const valuesOf = (random: RandomSearch) => sampleTrials(random).map((trial) => Object.fromEntries(trial.values.map((v) => [v.path, v.value])));

describe('sampling trials', () => {
  it('the same seed gives the same trials; another seed others', () => {
    expect(valuesOf(SPACE)).toEqual(valuesOf(structuredClone(SPACE)));
    expect(valuesOf({ ...SPACE, seed: 8 })).not.toEqual(valuesOf(SPACE));
  });

  it('every trial has a value for every path, within its distribution', () => {
    const trials = valuesOf(SPACE);
    expect(trials).toHaveLength(24);
    for (const trial of trials) {
      expect(Object.keys(trial)).toEqual(['train.lr', 'train.momentum', 'vars.c1']);
      expect(trial['train.lr']).toSatisfy((lr: number) => lr >= 0.001 && lr <= 0.5);
      expect(trial['train.momentum']).toSatisfy((m: number) => m >= 0.8 && m <= 0.99);
      expect([8, 12, 16]).toContain(trial['vars.c1']);
    }
    // 24 draws of a continuous distribution are all different.
    expect(new Set(trials.map((t) => t['train.lr'])).size).toBe(24);
  });

  it('raising trials keeps the earlier ones, and a path does not depend on the others', () => {
    const more = valuesOf({ ...SPACE, trials: 48 });
    expect(more.slice(0, 24)).toEqual(valuesOf(SPACE));
    const { 'train.momentum': _dropped, ...fewer } = SPACE.space;
    const without = valuesOf({ ...SPACE, space: fewer });
    expect(without.map((t) => t['train.lr'])).toEqual(valuesOf(SPACE).map((t) => t['train.lr']));
  });

  it('without a seed, samples with the schema default 0', () => {
    expect(valuesOf({ trials: 3, space: SPACE.space })).toEqual(valuesOf({ trials: 3, seed: 0, space: SPACE.space }));
  });

  it('names trials trial-01.. with at least two digits, more when the count needs them', () => {
    expect(sampleTrials({ ...SPACE, trials: 3 }).map((t) => t.name)).toEqual(['trial-01', 'trial-02', 'trial-03']);
    expect(trialName(7, 100)).toBe('trial-007');
    expect(trialName(12, 24)).toBe('trial-12');
  });

  it('a choice records which option it drew, for locating problems', () => {
    for (const trial of sampleTrials(SPACE)) {
      const c1 = trial.values.find((v) => v.path === 'vars.c1');
      expect(c1?.origin).toEqual(['sweep', 'random', 'space', 'vars.c1', 'choice', [8, 12, 16].indexOf(c1?.value as number)]);
    }
  });
});

const TOY = `name: toy
kind: toy-mlp
data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: { steps: 3, lr: 0.1 }
`;

const RANDOM = `sweep:
  random:
    trials: 5
    seed: 7
    space:
      train.lr: { loguniform: [0.001, 0.5] }
      model.weights.w1: { uniform: [0.1, 0.2] }
`;

describe('a random search in a spec', () => {
  it('expands into one variant per trial, carrying its sampled values as overrides', () => {
    const loaded = loadExperiment(specFile(TOY + RANDOM));
    expect(loaded.variants.map((v) => v.name)).toEqual(['trial-01', 'trial-02', 'trial-03', 'trial-04', 'trial-05']);
    expect(loaded.variants.map((v) => v.trial)).toEqual([1, 2, 3, 4, 5]);
    for (const variant of loaded.variants) {
      expect(Object.keys(variant.overrides)).toEqual(['train.lr', 'model.weights.w1']);
      expect(variant.spec.train?.lr).toBe(variant.overrides['train.lr']);
      expect(variant.spec.model?.weights?.w1).toBe(variant.overrides['model.weights.w1']);
      expect(variant.spec.sweep).toBeUndefined();
    }
    // The base spec states the sampling seed's default like every other default.
    expect(loadExperiment(specFile(TOY + RANDOM.replace('    seed: 7\n', ''))).spec.sweep?.random?.seed).toBe(0);
  });

  it('is the same on every load', () => {
    const file = specFile(TOY + RANDOM);
    expect(loadExperiment(file).variants.map((v) => v.overrides)).toEqual(loadExperiment(file).variants.map((v) => v.overrides));
  });

  it('crosses named variants × grid × trials, the same trials in every combination', () => {
    const text = `${TOY}${RANDOM}  grid:
    train.steps: [3, 5]
  variants:
    - name: a
      set: {model.weights.w2: 0.3}
    - name: b
      set: {model.weights.w2: 0.4}
`;
    const variants = loadExperiment(specFile(text)).variants;
    expect(variants).toHaveLength(2 * 2 * 5);
    expect(variants.slice(0, 6).map((v) => v.name)).toEqual([
      'a_steps=3_trial-01', 'a_steps=3_trial-02', 'a_steps=3_trial-03', 'a_steps=3_trial-04', 'a_steps=3_trial-05', 'a_steps=5_trial-01',
    ]);
    expect(variants.at(-1)?.name).toBe('b_steps=5_trial-05');
    const lrOfTrial = (name: string) => variants.filter((v) => v.name.endsWith(name)).map((v) => v.spec.train?.lr);
    expect(new Set(lrOfTrial('trial-03')).size).toBe(1);
    expect(variants.find((v) => v.name === 'b_steps=5_trial-02')?.overrides).toMatchObject({ 'model.weights.w2': 0.4, 'train.steps': 5 });
  });

  it('trials count towards the variant cap', () => {
    const text = `${TOY}${RANDOM.replace('trials: 5', 'trials: 600')}  grid:\n    train.steps: [3, 5]\n`;
    const [issue] = issuesOf(text);
    expect(issue.message).toMatch(/1200 variants, more than the cap of 1000; pass --max-variants 1200/);
    expect(loadExperiment(specFile(text), { maxVariants: 1200 }).variants).toHaveLength(1200);
  });

  it('a sampled value the schema refuses is reported like a bad grid value: once, at the distribution', () => {
    const issues = issuesOf(`${TOY}sweep:\n  random:\n    trials: 5\n    space:\n      train.steps: { uniform: [1, 10] }\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'train.steps', message: expect.stringMatching(/^in variant trial-\d\d: wrong type/), expected: 'an integer' });
    expect(issues[0].location).toMatchObject({ line: 11, column: 31, lineText: '      train.steps: { uniform: [1, 10] }' });
  });

  it('a bad option of a choice is located at the option', () => {
    const issues = issuesOf(`${TOY}sweep:\n  random:\n    trials: 20\n    space:\n      train.lr: { choice: [0.1, fast, 0.3] }\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'train.lr', message: expect.stringMatching(/wrong type$/), found: 'the string "fast"' });
    expect(issues[0].location).toMatchObject({ line: 11, column: 33 });
  });

  it('a --set of a sampled path takes over from the random search, with a note', () => {
    const notes: string[] = [];
    const loaded = loadExperiment(specFile(TOY + RANDOM), { sets: ['train.lr=0.3'], note: (m) => notes.push(m) });
    expect(loaded.variants).toHaveLength(5);
    expect(loaded.variants.every((v) => v.spec.train?.lr === 0.3 && !('train.lr' in v.overrides))).toBe(true);
    expect(notes).toEqual(["--set train.lr=0.3 replaces the random search's train.lr (loguniform [0.001, 0.5]): every variant gets this value"]);
  });

  it('with nothing left to sample, the trials are dropped', () => {
    const notes: string[] = [];
    const loaded = loadExperiment(specFile(TOY + RANDOM), { sets: ['train.lr=0.3', 'model.weights.w1=0.1'], note: (m) => notes.push(m) });
    expect(loaded.variants.map((v) => v.name)).toEqual(['toy']);
    expect(notes.at(-1)).toMatch(/leaves the random search nothing to sample: its trials are dropped/);
  });
});

describe('a bad random search is refused with its line', () => {
  const spaceLine = (distribution: string) => `${TOY}sweep:\n  random:\n    trials: 4\n    space:\n      train.lr: ${distribution}\n`;

  it('low not below high, at the distribution', () => {
    for (const distribution of ['{ uniform: [0.5, 0.1] }', '{ loguniform: [0.5, 0.5] }', '{ intUniform: [3, 1] }', '{ quniform: [1, 0.5, 0.1] }']) {
      const [issue, ...rest] = issuesOf(spaceLine(distribution));
      expect(rest, distribution).toEqual([]);
      expect(issue, distribution).toMatchObject({ message: 'the low bound must be below the high one', expected: expect.stringMatching(/with low < high$/) });
      expect(issue.path).toMatch(/^sweep\.random\.space\.train\.lr\.(uniform|loguniform|intUniform|quniform)$/);
      expect(issue.location).toMatchObject({ line: 11, column: distribution.indexOf('[') + 17 });
    }
  });

  it('loguniform bounds above 0, q above 0, at the offending number', () => {
    const [log] = issuesOf(spaceLine('{ loguniform: [0, 0.5] }'));
    expect(log).toMatchObject({ path: 'sweep.random.space.train.lr.loguniform.0', message: 'out of range', expected: 'a number > 0', found: 'number 0' });
    expect(log.location).toMatchObject({ line: 11, column: 32 });
    const [q] = issuesOf(spaceLine('{ quniform: [0.1, 0.5, -0.1] }'));
    expect(q).toMatchObject({ path: 'sweep.random.space.train.lr.quniform.2', expected: 'a number > 0' });
    expect(q.location).toMatchObject({ line: 11, column: 40 });
  });

  it('intUniform bounds are integers; a choice is not empty', () => {
    const [int] = issuesOf(spaceLine('{ intUniform: [1, 2.5] }'));
    expect(int).toMatchObject({ path: 'sweep.random.space.train.lr.intUniform.1', message: 'wrong type', expected: 'an integer' });
    expect(int.location).toMatchObject({ line: 11, column: 35 });
    const [choice] = issuesOf(spaceLine('{ choice: [] }'));
    expect(choice).toMatchObject({ path: 'sweep.random.space.train.lr.choice', expected: 'at least 1 items' });
    expect(choice.location?.line).toBe(11);
  });

  it('a misspelt distribution gets a suggestion; two in one mapping are refused', () => {
    const [typo] = issuesOf(spaceLine('{ logUniform: [0.001, 0.5] }'));
    expect(typo).toMatchObject({ message: "unknown key 'logUniform'", hint: "did you mean 'loguniform'?", expected: 'one of: uniform, loguniform, intUniform, quniform, choice' });
    expect(typo.location).toMatchObject({ line: 11, column: 19 });
    const [two] = issuesOf(spaceLine('{ uniform: [0, 1], choice: [1] }'));
    expect(two).toMatchObject({ message: 'wrong number of keys', expected: 'one key, e.g. {uniform: ...}, not several' });
  });

  it('trials is required and at least 1', () => {
    expect(issuesOf(`${TOY}sweep:\n  random:\n    space: {train.lr: {uniform: [0.1, 0.2]}}\n`)[0]).toMatchObject({ path: 'sweep.random', message: "missing required key 'trials'" });
    const [zero] = issuesOf(`${TOY}sweep:\n  random:\n    trials: 0\n    space: {train.lr: {uniform: [0.1, 0.2]}}\n`);
    expect(zero).toMatchObject({ path: 'sweep.random.trials', expected: 'a number ≥ 1' });
    expect(zero.location?.line).toBe(9);
  });

  it('a path both sampled and swept by the grid or a named variant, at the sampled key', () => {
    const text = `${TOY}sweep:\n  grid:\n    train.lr: [0.1, 0.2]\n  variants:\n    - {name: a, set: {train: {lr: 0.3}}}\n  random:\n    trials: 4\n    space:\n      train.lr: { uniform: [0.1, 0.2] }\n`;
    const [issue, ...rest] = issuesOf(text.replace('set: {train: {lr: 0.3}}', 'set: {train.lr: 0.3}'));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: 'sweep.random.space.train.lr', message: "train.lr is sampled by the random search and also swept by the grid's train.lr, variant a's train.lr" });
    expect(issue.location).toMatchObject({ line: 15, column: 7 });
    const [inside] = issuesOf(`${TOY}sweep:\n  grid:\n    model.weights: [{w1: 1}]\n  random:\n    trials: 2\n    space:\n      model.weights.w1: { uniform: [0.1, 0.2] }\n`);
    expect(inside.message).toBe("model.weights.w1 is sampled by the random search and also swept by the grid's model.weights");
  });

  it('every problem of the random search together, in line order', () => {
    const text = `${TOY}sweep:\n  random:\n    trials: 4\n    space:\n      train.lr: { uniform: [0.5, 0.1] }\n      model.weights.w1: { intUniform: [2, 1] }\n`;
    expect(issuesOf(text).map((i) => i.location?.line)).toEqual([11, 12]);
  });
});
