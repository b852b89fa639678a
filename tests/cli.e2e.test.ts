import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir, xp } from './helpers.ts';

const GOOD_TOY = `# yaml-language-server: $schema=../schemas/experiment.schema.json
name: tiny
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 3, lr: 0.5}
`;

describe('xp on bad input', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['syntax error', 'name: x\nkind: [toy-mlp\n', /bad\.yaml:\d+:\d+: YAML syntax error/],
    ['wrong type', GOOD_TOY.replace('steps: 3', 'steps: three'), /bad\.yaml:7:\d+: train\.steps: wrong type\n {2}expected: an integer\n {2}found: {4}the string "three"/],
    ['unknown key', GOOD_TOY.replace('lr: 0.5', 'lr: 0.5, stepz: 2'), /unknown key 'stepz'[\s\S]*did you mean 'steps'\?/],
    ['duplicate key', `${GOOD_TOY}name: again\n`, /bad\.yaml:8:1: duplicate key/],
    ['empty file', '', /the spec is empty/],
    ['binary garbage', Buffer.from([0, 1, 2, 255, 254, 0, 7]), /this is not a text file/],
    ['epochs over the limit', 'name: c\nkind: cnn-classifier\nmodel: {blocks: {a: [flatten, {dense: {units: 10}}]}}\ntrain: {epochs: 30, lr: 0.1}\nconstraints: {maxEpochs: 19}\n', /train\.epochs: must be ≤ constraints\.maxEpochs \(19\)/],
  ];
  for (const [label, text, message] of cases) {
    it(`${label}: exit 2, located message, nothing created`, () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'bad.yaml'), text);
      const result = xp(['run', 'bad.yaml'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(readdirSync(dir)).toEqual(['bad.yaml']);
    });
  }

  it('a bad --set: exit 2 with the override quoted', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.yaml'), GOOD_TOY);
    const result = xp(['validate', 'ok.yaml', '--set', 'train.lrr=2'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--set train\.lrr=2: train\.lrr: unknown key 'lrr' under train[\s\S]*did you mean 'lr'\?[\s\S]*\n {2}--set train\.lrr=2\n {14}\^/);
  });

  it('a missing file and an unknown backend: exit 2', () => {
    const dir = tempDir();
    expect(xp(['validate', 'nope.yaml'], { cwd: dir })).toMatchObject({ code: 2, stderr: expect.stringMatching(/nope\.yaml: cannot read the spec file: no such file/) });
    writeFileSync(join(dir, 'ok.yaml'), GOOD_TOY);
    expect(xp(['run', 'ok.yaml', '--backend', 'tpu'], { cwd: dir })).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown backend 'tpu'/) });
    expect(existsSync(join(dir, 'mlruns'))).toBe(false);
  });

  it('--detach on a sweep that needs a follower (a scheduler, Optuna): exit 2 before anything is enqueued', () => {
    const dir = tempDir();
    // Nothing listens on port 1: reaching Redis at all would fail differently.
    const result = xp(['run', join(REPO, 'experiments/toy-asha-search.yaml'), '--queue', 'redis://127.0.0.1:1', '--detach'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^xp: --detach: sweep\.scheduler stops jobs from the reports it follows/m);
    expect(existsSync(join(dir, 'mlruns'))).toBe(false);
  });
});

describe('xp help', () => {
  it('documents every command', () => {
    const result = xp(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['validate', 'plan', 'summary', 'run', 'bench', 'compare', 'sync']) expect(result.stdout).toContain(command);
    const run = xp(['run', '--help']);
    expect(run.stdout).toMatch(/--tracking-uri <uri>/);
    expect(run.stdout).toMatch(/Exit codes/);
  });
});

describe('the example specs', () => {
  it('all validate', () => {
    // experiments/cnn-image-folder.yaml reads data/digits/, which is made from MNIST's IDX files (a slice is enough to validate).
    if (!existsSync(join(REPO, 'data/digits'))) spawnSync('npm', ['run', 'make:digits', '-w', 'packages/data', '--', '600', '200'], { cwd: REPO, stdio: 'ignore' });
    const specs = readdirSync(join(REPO, 'experiments')).filter((f) => f.endsWith('.yaml'));
    expect(specs.length).toBeGreaterThanOrEqual(3);
    for (const spec of specs) {
      const result = xp(['plan', `experiments/${spec}`]);
      expect(result.stderr).toBe('');
      // xp plan, like xp validate, exits 1 when a variant is over its budget: cnn-variants has six by design.
      expect(result.code).toBe(spec === 'cnn-variants.yaml' ? 1 : 0);
    }
  });
});

describe('xp plan on the Part II specs', () => {
  it('counts the seed network at 19,816 parameters, within budget', () => {
    const result = xp(['plan', 'experiments/cnn-19816.yaml', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toEqual({
      experiment: 'cnn-19816',
      variants: [{ name: 'cnn-19816', overrides: {}, params: 19816, withinBudget: true, spec: expect.any(Object) }],
      seeds: [1],
      // Not cached: no earlier run of it in ./mlruns (the run cache, run/run-cache.ts).
      runs: [{ name: 'cnn-19816', variant: 'cnn-19816', seed: 1, cached: null }],
    });
    // The resolved form: the schema's defaults are there, written out, though the file leaves them out.
    const spec = plan.variants[0].spec;
    expect(spec).toMatchObject({ backend: 'auto', model: { input: [1, 28, 28], classes: 10 }, data: { dataset: 'mnist', validationSplit: 0 } });
    expect(spec.train).toMatchObject({ batchSize: 128, optimizer: 'sgd', weightDecay: 0, checkpoint: true, workers: 'auto' });
    expect(spec.train.schedule).toMatchObject({ type: 'one-cycle', divFactor: 25, finalDivFactor: 10000 });
  });

  it('lists nine width × pooling variants and marks those over 20,000', () => {
    const plan = JSON.parse(xp(['plan', 'experiments/cnn-variants.yaml', '--json']).stdout) as { variants: Array<{ name: string; params: number; withinBudget: boolean }> };
    expect(plan.variants).toHaveLength(9);
    for (const variant of plan.variants) expect(variant.withinBudget).toBe(variant.params < 20000);
    expect(plan.variants.filter((v) => !v.withinBudget).map((v) => v.name).sort()).toEqual(
      ['gap-3x3_c1=24', 'gap-3x3_c1=32', 'gap-5x5_c1=24', 'gap-5x5_c1=32', 'gap-7x7_c1=24', 'gap-7x7_c1=32'],
    );
    const text = xp(['plan', 'experiments/cnn-variants.yaml']).stdout;
    expect(text).toMatch(/gap-5x5_c1=32 +OVER BUDGET: 31,576 params > 19,999/);
  });
});

describe('xp plan on a random search', () => {
  it('lists the trials with their sampled values, the same on every call', () => {
    const json = xp(['plan', 'experiments/toy-random-search.yaml', '--json']);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { variants: Array<{ name: string; trial: number; overrides: { 'train.lr': number } }> };
    expect(plan.variants.map((v) => v.name)).toEqual(Array.from({ length: 12 }, (_, i) => `trial-${String(i + 1).padStart(2, '0')}`));
    expect(plan.variants.map((v) => v.trial)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const { overrides } of plan.variants) expect(overrides['train.lr']).toSatisfy((lr: number) => lr >= 0.05 && lr <= 5);
    expect(JSON.parse(xp(['plan', 'experiments/toy-random-search.yaml', '--json']).stdout)).toEqual(plan);

    const text = xp(['plan', 'experiments/toy-random-search.yaml']).stdout;
    expect(text).toMatch(/^toy-random-search \(toy-mlp\): 12 variants\n  random search: 12 trials drawn with seed 7 from\n    train\.lr  loguniform \[0\.05, 5\]\n/);
    // Four significant digits in the text; the JSON has the value in full.
    const first = plan.variants[0].overrides['train.lr'];
    expect(text).toContain('trial-01  8 params');
    expect(text).toContain(`train.lr=${Number(first.toPrecision(4))}`);
  });
});
