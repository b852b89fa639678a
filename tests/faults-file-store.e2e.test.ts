/**
 * Two `xp run`s writing one file store (./mlruns) at the same moment, as two terminals in one project
 * do: once with the in-process launcher, once with `--jobs 2` (four processes writing). Afterwards
 * MLflow's own Python client reads the store; every run, param, metric point and artifact is there,
 * each point once, counted against the same two sweeps run one after the other in a clean folder; no
 * meta.yaml is torn and no temporary file is left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpExperiment, pointKeys, pythonMlflowMissing, type DumpedRun } from './fixtures/mlflow-dump.ts';
import { tempDir, xp, XP_BIN } from './helpers.ts';

const toy = (lrs: number[]) => `name: toy-two-terminals
kind: toy-mlp
data:
  inputs: [0.05, 0.1]
  targets: [0.01, 0.99]
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train:
  steps: 40
  lr: 0.1
sweep:
  grid:
    train.lr: [${lrs.join(', ')}]
tracking:
  experiment: two-terminals
`;
/** Two sweeps into one experiment: its creation is raced too. */
const SPECS = { 'a.yaml': toy([0.1, 0.2, 0.5]), 'b.yaml': toy([0.8, 1, 2]) };
const CHILDREN = 6;
const LONG = 900_000;

function runXp(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

function project(): string {
  const dir = tempDir('xp-two-terminals-');
  for (const [name, text] of Object.entries(SPECS)) writeFileSync(join(dir, name), text);
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => statSync(join(dir, name)).isFile());
}

/** The store as MLflow's client reads it, each run reduced to what must match the clean run. */
function summary(runs: DumpedRun[]) {
  return runs
    .map((run) => ({
      name: run.name,
      status: run.status,
      params: run.params,
      metricKeys: Object.keys(run.metrics).sort(),
      artifacts: run.artifacts,
      // The same values at the same steps; times differ from run to run.
      points: Object.fromEntries(Object.entries(run.metrics).filter(([key]) => key !== 'wall_time_s').map(([key, points]) => [key, points.map(([step, value]) => [step, value])])),
    }))
    // Both sweeps' parents share a name: their contents order them.
    .sort((a, b) => a.name.localeCompare(b.name) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe.skipIf(pythonMlflowMissing)(`two xp runs into one file store at once${pythonMlflowMissing ? ' (skipped: python3 cannot import mlflow)' : ''}`, () => {
  let clean: ReturnType<typeof summary>;

  it('the reference: both sweeps one after the other in a clean folder', () => {
    const dir = project();
    for (const spec of Object.keys(SPECS)) {
      const result = xp(['run', spec], { cwd: dir, timeoutMs: LONG });
      expect(result.code, result.stderr).toBe(0);
    }
    const { runs } = dumpExperiment(`file://${join(dir, 'mlruns')}`, 'two-terminals');
    expect(runs).toHaveLength(CHILDREN + 2);
    clean = summary(runs);
  }, LONG);

  for (const launcher of [[], ['--jobs', '2']]) {
    it(`at once${launcher.length ? ` with ${launcher.join(' ')}` : ' in-process'}: every run, param, point and artifact once; no meta.yaml torn`, async () => {
      const dir = project();
      const results = await Promise.all(Object.keys(SPECS).map((spec) => runXp(['run', spec, ...launcher], dir)));
      for (const result of results) expect(result.code, result.output).toBe(0);

      const store = join(dir, 'mlruns');
      const { experiments, runs } = dumpExperiment(`file://${store}`, 'two-terminals');
      expect(experiments.filter((name) => name === 'two-terminals')).toHaveLength(1);
      expect(runs).toHaveLength(CHILDREN + 2);
      expect(runs.every((run) => run.status === 'FINISHED')).toBe(true);
      // Each point once: no (run, metric, step) twice.
      const keys = pointKeys(runs);
      expect(new Set(keys).size).toBe(keys.length);
      expect(summary(runs)).toEqual(clean);

      // Nothing half-written: every meta.yaml is whole (MLflow read them all above), no temp file left.
      const files = filesUnder(store);
      expect(files.filter((file) => /\.xp-tmp-|\.tmp$/.test(file))).toEqual([]);
      const metas = files.filter((file) => file.endsWith('meta.yaml'));
      expect(metas.length).toBe(runs.length + 2); // the runs, the experiment and Default
      for (const meta of metas) expect(readFileSync(join(store, meta), 'utf8')).toMatch(/\n$/);
    }, LONG);
  }
});
