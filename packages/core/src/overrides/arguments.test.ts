/**
 * Arguments after the spec read with Hydra's grammar, end to end through loading (issue 20, item 7):
 * Hydra's own cases as `vars.x=…` (the scalar ones: vars hold numbers, text and booleans), and each
 * value the old reading got wrong.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from '../errors.ts';
import { loadExperiment, type LoadOptions } from '../load.ts';
import { HYDRA_CASES } from './hydra-cases.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-arguments-'));
const TOY = join(dir, 'toy.yaml');
writeFileSync(TOY, `name: toy
kind: toy-mlp
data:
  inputs: [0.05, 0.1]
  targets: [0.01, 0.99]
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train:
  steps: 157
  lr: 0.1
`);
const RANDOM = join(dir, 'random.yaml');
writeFileSync(RANDOM, `${'name: toy\nkind: toy-mlp\ndata:\n  inputs: [0.05, 0.1]\n  targets: [0.01, 0.99]\nmodel:\n  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}\ntrain:\n  steps: 157\n  lr: 0.1\n'}sweep:\n  random:\n    trials: 3\n    space:\n      train.steps: {choice: [10, 20]}\n`);

const load = (args: string[], options: LoadOptions = {}, file = TOY) => loadExperiment(file, { args, env: {}, ...options });
const xOf = (args: string[], multirun = false) => load(args, { multirun }).variants.map((v) => (v.spec.vars as Record<string, unknown> | undefined)?.x);

function issueOf(args: string[], options: LoadOptions = {}): SpecIssue {
  try {
    load(args, options);
  } catch (error) {
    if (error instanceof SpecError) return error.issues[0];
    throw error;
  }
  throw new Error('expected a refusal');
}

describe("Hydra's cases through loading, as vars.x=…", () => {
  const scalars = HYDRA_CASES.filter(([, , input, expected]) => !input.startsWith('=') && 'value' in expected && ['number', 'string', 'boolean'].includes(typeof expected.value) && Number.isFinite(typeof expected.value === 'number' ? expected.value : 0));
  it('covers at least 60 of the cases', () => expect(scalars.length).toBeGreaterThanOrEqual(60));
  for (const [rule, id, input, expected] of scalars) {
    it(`${rule} ${id}: vars.x=${input}`, () => expect(xOf([`vars.x=${input}`])).toEqual([(expected as { value: unknown }).value]));
  }
  const sweeps = HYDRA_CASES.filter(([, , input, expected]) => !input.startsWith('=') && 'choice' in expected && expected.choice.every((c) => ['number', 'string', 'boolean'].includes(typeof c)) && !input.startsWith('shuffle'));
  for (const [rule, id, input, expected] of sweeps) {
    it(`${rule} ${id}: -m vars.x=${input}`, () => expect(xOf([`vars.x=${input}`], true)).toEqual((expected as { choice: unknown[] }).choice));
  }
});

describe('what the old reading got wrong', () => {
  it("-m vars.x=range(1,4) is three variants, choice(1,2,3) three values", () => {
    expect(xOf(['vars.x=range(1,4)'], true)).toEqual([1, 2, 3]);
    expect(load(['vars.x=range(1,4)'], { multirun: true }).variants.map((v) => v.name)).toEqual(['x=1', 'x=2', 'x=3']);
    expect(xOf(['vars.x=choice(1,2,3)'], true)).toEqual([1, 2, 3]);
  });

  it('model.weights={w1:1,…} is a mapping', () => {
    const weights = '{w1:1,w2:2,w3:3,w4:4,w5:5,w6:6,w7:7,w8:8}';
    expect(load([`model.weights=${weights}`]).variants[0].spec.model?.weights).toEqual({ w1: 1, w2: 2, w3: 3, w4: 4, w5: 5, w6: 6, w7: 7, w8: 8 });
  });

  it("a quoted '100' stays the string \"100\", under -m too; quotes do not stay in the value", () => {
    expect(xOf(["vars.x='100'"], true)).toEqual(['100']);
    expect(xOf(["vars.x='100'"])).toEqual(['100']);
    expect(load(["description='hello world'"]).variants[0].spec.description).toBe('hello world');
  });

  it("train.lr= is the empty string, as Hydra's is (and a number field refuses it)", () => {
    expect(xOf(['vars.x='])).toEqual(['']);
    const issue = issueOf(['train.lr=']);
    expect(issue.path).toBe('train.lr');
    expect(issue.found).toBe('the string ""');
  });

  it('1_000 is a number, trUe a boolean, and \\, \\= escapes are undone', () => {
    expect(xOf(['vars.x=1_000'])).toEqual([1000]);
    expect(xOf(['vars.x=trUe'])).toEqual([true]);
    expect(xOf(['vars.x=a\\,b\\=c'])).toEqual(['a,b=c']);
  });

  it('inf and nan are numbers (the schema refuses a non-finite value)', () => {
    expect(issueOf(['vars.x=inf'])).toMatchObject({ path: 'vars.x', message: 'not a finite number', found: 'Infinity' });
    expect(issueOf(['vars.x=nan'])).toMatchObject({ path: 'vars.x', message: 'not a finite number', found: 'NaN' });
  });

  it('interval(…) under -m adds a uniform distribution to a random search', () => {
    const loaded = load(['train.lr=interval(0.1,0.5)'], { multirun: true }, RANDOM);
    expect(loaded.spec.sweep?.random?.space['train.lr']).toEqual({ uniform: [0.1, 0.5] });
    expect(loaded.variants.every((v) => (v.spec.train?.lr ?? 0) >= 0.1 && (v.spec.train?.lr ?? 1) < 0.5)).toBe(true);
  });
});

describe('anything outside the grammar is refused at its column', () => {
  const cases: Array<[string, string, string]> = [
    ['vars.x=[1,2', "cannot read the override: expected ',' or ']', found the end of the value", 'argument vars.x=[1,2'],
    ["vars.x='abc", 'cannot read the override: unexpected character "\'" (a quote that is never closed): "\'abc" is not part of Hydra\'s override grammar', 'argument vars.x=\'abc'],
    ['vars.x=a=b', "cannot read the override: expected ',' or the end of the value, found \"=\"", 'argument vars.x=a=b'],
    ['vars.x=foo(1)', "cannot read the override: unknown function 'foo' (available: bool, choice, float, glob, int, interval, range, shuffle, sort, str, tag) while evaluating 'foo(1)'", 'argument vars.x=foo(1)'],
    ['vars x=1', 'cannot read the override: " " cannot be part of a key', 'argument vars x=1'],
  ];
  for (const [text, message, shown] of cases) {
    it(text, () => {
      const issue = issueOf([text]);
      expect(issue.message).toBe(message);
      expect(issue.location?.commandLine).toBe(shown);
    });
  }

  it('columns: where the parse stopped', () => {
    expect(issueOf(['vars.x=[1,2']).location?.column).toBe(12);
    expect(issueOf(['vars.x=a=b']).location?.column).toBe(9);
    expect(issueOf(['vars x=1']).location?.column).toBe(5);
  });

  it('a sweep without -m is refused, saying how to sweep', () => {
    const issue = issueOf(['train.lr=0.1,0.2']);
    expect(issue.message).toBe('0.1,0.2 is a sweep (comma-separated values): one run takes one value');
    expect(issue.hint).toBe('for one variant per value, add -m (multirun): -m train.lr=0.1,0.2');
  });
});
