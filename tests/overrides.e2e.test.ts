/**
 * Issue 11, items 6–11, as a user meets them: `xp` run as a subprocess on small specs of the test's
 * own and on the example specs. Nothing here trains longer than a few toy steps.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir, xp } from './helpers.ts';

const TOY = `name: tiny
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train:
  steps: 3
  lr: 0.5
sweep:
  grid:
    train.lr: [0.1, 0.2, 0.5]
`;

function toyDir(text = TOY): string {
  const dir = tempDir('xp-overrides-');
  writeFileSync(join(dir, 'toy.yaml'), text);
  return dir;
}

interface Plan {
  variants: Array<{ name: string; overrides: Record<string, unknown>; params: number | null; withinBudget: boolean }>;
}

describe('Hydra-style overrides (item 6)', () => {
  it('key=value after the spec is an override, as --set is', () => {
    const over = xp(['plan', `${REPO}/experiments/cnn-19816.yaml`, 'constraints.maxParams=1000']);
    expect(over.code).toBe(1);
    expect(over.stdout).toMatch(/OVER BUDGET: 19,816 params > 1,000/);
  });

  it('-m makes comma-separated values a sweep axis, crossed with the spec\'s own sweep', () => {
    const dir = toyDir(TOY.replace('train.lr: [0.1, 0.2, 0.5]', 'train.steps: [1, 2]'));
    const result = xp(['plan', 'toy.yaml', '-m', 'train.lr=0.1,0.3,1', '--json'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as Plan;
    expect(plan.variants.map((v) => v.name)).toEqual(['steps=1_lr=0.1', 'steps=1_lr=0.3', 'steps=1_lr=1', 'steps=2_lr=0.1', 'steps=2_lr=0.3', 'steps=2_lr=1']);
    expect(plan.variants[4].overrides).toEqual({ 'train.steps': 2, 'train.lr': 0.3 });
  });

  it('-m keeps commas inside brackets and braces: lists survive (a quoted one is a string, as in Hydra)', () => {
    const heads = `[flatten, {dense: {units: 10}}, log-softmax],[global-avg-pool, {dense: {units: 10}}, log-softmax]`;
    const result = xp(['validate', 'experiments/cnn-19816.yaml', '-m', `model.blocks.head=${heads}`, 'constraints.requireLayers=[dense]', 'constraints.maxParams=100000']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^OK {3}head=#1: /), expect.stringMatching(/^OK {3}head=#2: /)]);
  });

  it('xp run takes them too, and trains one variant per value', () => {
    const dir = toyDir(TOY.replace(/sweep:[\s\S]*$/, ''));
    const result = xp(['run', 'toy.yaml', '-m', 'train.lr=0.3,0.7', 'train.steps=2', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { runs: Array<{ name: string; status: string; params: Record<string, string> }> };
    expect(report.runs.map((r) => [r.name, r.status])).toEqual([['lr=0.3', 'passed'], ['lr=0.7', 'passed']]);
    expect(JSON.stringify(report.runs[1].params)).toMatch(/"train\.steps":"?2"?/);
  });

  it('a stray argument that is not key=value: exit 2, named', () => {
    const dir = toyDir();
    const result = xp(['validate', 'toy.yaml', 'other.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/argument other\.yaml: cannot read the override: an override is key=value/);
  });
});

describe('a bad override is blamed on the override (item 7)', () => {
  it('--set train.lr=0.1,0.3 names the --set, not line 8 of the file', () => {
    const dir = toyDir();
    const result = xp(['validate', 'toy.yaml', '--set', 'train.lr=0.1,0.3'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^--set train\.lr=0\.1,0\.3: train\.lr: wrong type\n {2}expected: a finite number\n {2}found: {4}the string "0\.1,0\.3"\n/m);
    expect(result.stderr).toMatch(/hint: .*-m train\.lr=0\.1,0\.3/);
    expect(result.stderr).toContain('\n  --set train.lr=0.1,0.3\n                 ^');
    expect(result.stderr).not.toMatch(/toy\.yaml:\d+:\d+/);
  });

  it('a bad -m value is blamed on that value', () => {
    const dir = toyDir();
    const result = xp(['plan', 'toy.yaml', '-m', 'train.lr=0.1,fast'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/-m train\.lr=0\.1,fast: train\.lr: in variant lr=fast: wrong type/);
    expect(result.stderr).toContain('\n  -m train.lr=0.1,fast\n                  ^');
  });
});

describe('an override of a swept path replaces the sweep axis, with a note (item 8)', () => {
  it('--set train.lr=0.3 on a grid over train.lr', () => {
    const dir = toyDir();
    const result = xp(['plan', 'toy.yaml', '--set', 'train.lr=0.3', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as Plan).variants.map((v) => v.name)).toEqual(['tiny']);
    expect(result.stderr).toBe("note: --set train.lr=0.3 replaces the spec's sweep axis train.lr (0.1, 0.2, 0.5): every variant gets this value\n");
  });

  it('and the note shows on xp run, whose run uses the override', () => {
    const dir = toyDir();
    const result = xp(['run', 'toy.yaml', 'train.lr=0.3', 'train.steps=1', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^note: argument train\.lr=0\.3 replaces the spec's sweep axis train\.lr/m);
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { runs: Array<{ name: string; params: Record<string, unknown> }> };
    expect(report.runs.map((r) => r.name)).toEqual(['tiny']);
    expect(JSON.stringify(report.runs[0].params)).toMatch(/"train\.lr":"?0\.3"?/);
  });
});

describe('one error per mistake, with a hint (item 9)', () => {
  // The main spec with its network file changed: the problem is reported in the network file.
  const NETWORK = readFileSync(join(REPO, 'experiments/model/seed-net.yaml'), 'utf8');
  const withNetwork = (network: string): string => {
    const dir = tempDir();
    cpSync(join(REPO, 'experiments'), dir, { recursive: true });
    writeFileSync(join(dir, 'model/seed-net.yaml'), network);
    return dir;
  };

  it('a misspelt layer kind gets a did-you-mean', () => {
    const dir = withNetwork(NETWORK.replace(/- batchnorm/, '- batchnrom'));
    const result = xp(['validate', 'cnn-19816.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cnn-19816\.yaml: 1 problem\n\nmodel\/seed-net\.yaml:11:7: /);
    expect(result.stderr).toMatch(/found: {4}the string "batchnrom"\n {2}hint: {5}did you mean 'batchnorm'\?/);
    expect(result.stderr).toContain('  included by cnn-19816.yaml defaults[1]');
  });

  it('a misspelt key is reported once, not again as a missing required key', () => {
    const dir = withNetwork(NETWORK.replace(/conv2d: \{ ?filters:/, (m) => m.replace('filters', 'filtres')));
    const result = xp(['validate', 'cnn-19816.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cnn-19816\.yaml: 1 problem\n/);
    expect(result.stderr).toMatch(/unknown key 'filtres'[\s\S]*did you mean 'filters'\?/);
    expect(result.stderr).not.toMatch(/missing required key/);
  });
});

describe('over budget (items 10 and 11)', () => {
  const lines = (text: string) => text.split('\n');

  it('points at constraints.maxParams and names the largest layers', () => {
    const result = xp(['validate', 'experiments/cnn-variants.yaml', 'sweep.variants=[{name: gap-5x5, set: {}}]']);
    expect(result.code).toBe(1);
    const out = lines(result.stdout);
    const at = out.findIndex((l) => l.startsWith('FAIL gap-5x5_c1=32: OVER BUDGET: 31,576 params > 19,999'));
    expect(at).toBeGreaterThanOrEqual(0);
    // Each where it is written: the budget in the shared base, the layers in the network file.
    expect(out[at + 1]).toMatch(/^ +budget: +constraints\.maxParams 19,999, set at experiments\/base\/seed-cnn\.yaml:18:14$/);
    expect(out[at + 2]).toMatch(/^ +largest: 9,248 params \(29%\) +conv2d 3×3 32→32, layer 5 in block conv1, at experiments\/model\/seed-net\.yaml:13:7$/);
    expect(out[at + 3]).toMatch(/^ +9,248 params \(29%\) +conv2d 3×3 32→32, layer 9 in block conv1, at experiments\/model\/seed-net\.yaml:17:7$/);
    expect(out[at + 4]).toMatch(/^ +2,320 params \(7%\) +conv2d 3×3 16→16, layer \d+ in block conv2, at experiments\/model\/seed-net\.yaml:\d+:\d+$/);
  });

  it('xp plan exits 1 on over-budget variants, as xp validate does, and still prints the plan', () => {
    const plan = xp(['plan', 'experiments/cnn-variants.yaml']);
    const validate = xp(['validate', 'experiments/cnn-variants.yaml']);
    expect(plan.code).toBe(1);
    expect(validate.code).toBe(1);
    expect(plan.stdout).toMatch(/cnn-variants \(cnn-classifier\): 9 variants/);
    expect(plan.stdout).toMatch(/gap-5x5_c1=32 +OVER BUDGET: 31,576 params > 19,999[\s\S]*set at experiments\/base\/seed-cnn\.yaml:18:14/);
    expect(xp(['plan', 'experiments/cnn-variants.yaml', '--json']).code).toBe(1);
    // Within budget, both exit 0.
    expect(xp(['plan', 'experiments/cnn-19816.yaml']).code).toBe(0);
    expect(xp(['validate', 'experiments/cnn-19816.yaml']).code).toBe(0);
  });

  it('--help documents the exit codes of both', () => {
    for (const command of ['plan', 'validate']) {
      const help = xp([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Exit codes: 0 [^\n]*1 a variant is over [^\n]*2 invalid spec or usage/);
      expect(help.stdout).toMatch(/-m, --multirun/);
      expect(help.stdout).toMatch(/\[overrides\.\.\.\]/);
    }
  });
});
