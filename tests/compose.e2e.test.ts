/**
 * Composed specs through the real binary (issue 20): a run logs the composed spec as spec.yaml, the
 * files it was composed from with their hashes, and its group options as params; editing a group
 * file invalidates the run cache for the runs that use it and no others. And the README's worked
 * example: `xp show` prints where each key came from, `xp plan -m model=seed-net,narrow` lists both
 * networks with their parameter counts.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openTrackingStore } from '@xp/tracking';
import { REPO, tempDir, xp } from './helpers.ts';

const WEIGHTS = 'weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}\n';
const FILES: Record<string, string> = {
  'package.json': '{}\n',
  'app/toy.yaml': 'defaults:\n  - model: small\n  - optimizer@train: sgd\n  - _self_\nname: composed-toy\nkind: toy-mlp\ndata:\n  inputs: [0.05, 0.1]\n  targets: [0.01, 0.99]\n',
  'app/model/small.yaml': WEIGHTS,
  'app/model/large.yaml': `defaults:\n  - small\n  - _self_\nweights: {w1: 0.3}\n`,
  'app/optimizer/sgd.yaml': 'lr: 0.5\nsteps: 20\n',
};

describe('a composed spec in tracking and the run cache', () => {
  const root = tempDir('xp-compose-e2e-');
  const trackingDir = join(root, 'mlruns');
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const sha = (name: string) => createHash('sha256').update(readFileSync(join(root, name), 'utf8')).digest('hex');

  beforeAll(() => {
    const result = xp(['run', 'app/toy.yaml', '-m', 'model=small,large', '--tracking-uri', trackingDir], { cwd: root, timeoutMs: 240_000 });
    expect(result.stderr).not.toMatch(/crashed/);
    expect([0, 1]).toContain(result.code);
  }, 300_000);

  it('logs spec.yaml as composed, composed-from.json with each file\'s hash, and the group options as params', async () => {
    const store = openTrackingStore({ uri: trackingDir, cwd: root, env: {} });
    const experiment = await store.findExperiment('composed-toy');
    const runs = (await store.listRuns(experiment!.experimentId)).filter((r) => r.tags['mlflow.parentRunId'] !== undefined);
    expect(runs.map((r) => r.name).sort()).toEqual(['model=large', 'model=small']);
    const large = runs.find((r) => r.name === 'model=large')!;
    expect(large.params.model).toBe('large');
    expect(large.params['optimizer/train']).toBe('sgd');
    expect(large.params['model.weights.w1']).toBe('0.3');
    const artifacts = join(trackingDir, experiment!.experimentId, large.runId, 'artifacts');
    const spec = parse(readFileSync(join(artifacts, 'spec.yaml'), 'utf8'));
    expect(spec.defaults).toBeUndefined();
    expect(spec.model.weights).toMatchObject({ w1: 0.3, w2: 0.2 });
    expect(spec.train).toEqual({ lr: 0.5, steps: 20 });
    const files = JSON.parse(readFileSync(join(artifacts, 'composed-from.json'), 'utf8')) as Array<{ file: string; sha256: string }>;
    expect(files).toEqual([
      { file: 'app/model/small.yaml', sha256: sha('app/model/small.yaml') },
      { file: 'app/model/large.yaml', sha256: sha('app/model/large.yaml') },
      { file: 'app/optimizer/sgd.yaml', sha256: sha('app/optimizer/sgd.yaml') },
      { file: 'app/toy.yaml', sha256: sha('app/toy.yaml') },
    ]);
  });

  it('editing a group file invalidates the cache for the runs that use it, and no others', () => {
    const plan = () => JSON.parse(xp(['plan', 'app/toy.yaml', '-m', 'model=small,large', '--json', '--tracking-uri', trackingDir], { cwd: root }).stdout) as { runs: Array<{ name: string; cached: string | null }> };
    expect(plan().runs.every((r) => r.cached !== null)).toBe(true);
    writeFileSync(join(root, 'app/model/large.yaml'), FILES['app/model/large.yaml'].replace('0.3', '0.35'));
    const after = plan().runs;
    expect(after.find((r) => r.name === 'model=small')?.cached).not.toBeNull();
    expect(after.find((r) => r.name === 'model=large')?.cached).toBeNull();
  });
});

describe('errors in a group file', () => {
  it('are reported at the group file\'s line and column, with the chain that included it (exit 2)', () => {
    const root = tempDir('xp-compose-bad-');
    for (const [name, text] of Object.entries({ ...FILES, 'app/model/bad.yaml': 'defaults: [small, _self_]\nweights:\n  w2: high\n' })) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    const result = xp(['plan', 'app/toy.yaml', 'model=bad'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(['app/model/bad.yaml:3:7: model.weights.w2: wrong type', '  expected: a finite number', '  found:    the string "high"', '  3 |   w2: high', '            ^', '  included by argument model=bad (app/toy.yaml defaults[0])'].join('\n'));
  });
});

describe("the README's worked example", () => {
  it('runs as written: every command of the Composing specs section exits 0', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Composing specs'), readme.indexOf('## Commands'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
    const commands = block.split('\n').filter((l) => l.startsWith('npx xp ')).map((l) => l.replace(/\s+#.*$/, '').slice('npx xp '.length).split(/\s+/));
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const args of commands) {
      const result = xp(args);
      expect(result.code, `xp ${args.join(' ')}\n${result.stderr}`).toBe(0);
    }
  });

  it('xp show experiments/cnn-19816.yaml prints the composed spec with each key\'s file and line', () => {
    const result = xp(['show', 'experiments/cnn-19816.yaml', 'train.epochs=3']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# config groups: model=seed-net, recipe@_global_=one-cycle');
    expect(result.stdout).toContain('  classes: 10  # experiments/model/seed-net.yaml:6:10 (included by experiments/cnn-19816.yaml defaults[1])');
    expect(result.stdout).toContain('  epochs: 3  # argument train.epochs=3');
    expect(result.stdout).toContain('    maxLr: 0.05  # experiments/recipe/one-cycle.yaml:15:39 (included by experiments/cnn-19816.yaml defaults[2])');
    const resolved = xp(['show', 'experiments/cnn-19816.yaml', '--resolved']);
    expect(resolved.stdout).toContain('  weightDecay: 0  # schema default');
    const json = JSON.parse(xp(['show', 'experiments/cnn-19816.yaml', '--json']).stdout) as { provenance: Record<string, string>; choices: Record<string, string> };
    expect(json.provenance['model.blocks.head.1']).toBe('experiments/model/seed-net.yaml:46:7 (included by experiments/cnn-19816.yaml defaults[1])');
    expect(json.choices).toEqual({ model: 'seed-net', 'recipe@_global_': 'one-cycle' });
  });

  it('xp plan experiments/cnn-19816.yaml -m model=seed-net,narrow lists two variants with their parameter counts', () => {
    const result = xp(['plan', 'experiments/cnn-19816.yaml', '-m', 'model=seed-net,narrow']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cnn-19816 \(cnn-classifier\): 2 variants\n {2}model=seed-net +19,816 params \(budget 19,999\) +model=seed-net\n {2}model=narrow +17,596 params \(budget 19,999\) +model=narrow\n/);
  });

});
