/**
 * Bayesian search through Optuna, through the real binary: a TPE study of 8 trials over the toy
 * network's η (log-uniform), its study in a sqlite file. Every trial is an MLflow run; the study holds
 * 8 complete trials whose values are the losses xp logged; the best trial is reported, and ranked
 * first by `xp compare`. Without Optuna, validate, plan and run say what to install (exit 2).
 * Skipped, saying why, where python3 cannot import Optuna (CI installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore, type RunRecord } from '@xp/tracking';
import { tempDir, xp } from './helpers.ts';

const optunaMissing = spawnSync('python3', ['-c', 'import optuna'], { encoding: 'utf8' }).status !== 0;

const SPEC = `name: toy-tpe
kind: toy-mlp
data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }
model: { weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } }
train: { steps: 60, lr: 0.1, reportEvery: 20 }
sweep:
  optuna:
    sampler: tpe
    trials: 8
    startupTrials: 4
    seed: 7
    storage: sqlite:///studies/toy.db
    space:
      train.lr: { loguniform: [0.01, 5] }
`;

interface Report {
  runs: Array<{ name: string; runId: string; status: string; metrics: Record<string, number> }>;
}

interface StudyTrial {
  number: number;
  state: string;
  value: number | null;
  params: { 'train.lr': number };
  intermediate: number;
}

describe.skipIf(optunaMissing)(`xp run: a TPE study of the toy network's η${optunaMissing ? ' (skipped: python3 cannot import optuna)' : ''}`, () => {
  const dir = tempDir('xp-optuna-');
  const trackingDir = join(dir, 'mlruns');
  let report: Report;
  let stderr: string;
  let children: RunRecord[];
  let study: StudyTrial[];

  beforeAll(async () => {
    writeFileSync(join(dir, 'search.yaml'), SPEC);
    const result = xp(['run', 'search.yaml', '--json', '--tracking-uri', trackingDir], { cwd: dir, timeoutMs: 400_000 });
    stderr = result.stderr;
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    const store = openTrackingStore({ uri: trackingDir, cwd: dir, env: {} });
    const experiment = await store.findExperiment('toy-tpe');
    children = (await store.listRuns(experiment!.experimentId)).filter((r) => r.tags['mlflow.parentRunId'] !== undefined);
    const script = `import json, optuna
s = optuna.load_study(study_name="toy-tpe", storage="sqlite:///${join(dir, 'studies/toy.db')}")
print(json.dumps([{"number": t.number, "state": t.state.name, "value": t.value, "params": t.params, "intermediate": len(t.intermediate_values)} for t in s.trials]))`;
    study = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' }));
  }, 480_000);

  it('tracks every trial as a run of the sweep, tagged with its trial and study', () => {
    expect(report.runs.map((r) => r.name)).toEqual(['trial-01', 'trial-02', 'trial-03', 'trial-04', 'trial-05', 'trial-06', 'trial-07', 'trial-08']);
    expect(children).toHaveLength(8);
    for (const run of children) {
      expect(run.status).toBe('FINISHED');
      expect(run.tags).toMatchObject({ 'xp.search': 'optuna', 'xp.optuna.study': 'toy-tpe', 'xp.trial': String(Number(run.name.slice(6))) });
      expect(run.tags['xp.optuna.trial']).toBe(String(Number(run.name.slice(6)) - 1));
    }
  });

  it('leaves 8 complete trials in the sqlite study, valued with the losses xp logged', () => {
    expect(study).toHaveLength(8);
    for (const trial of study) {
      expect(trial.state).toBe('COMPLETE');
      const run = children.find((r) => r.tags['xp.optuna.trial'] === String(trial.number))!;
      expect(trial.value).toBe(run.metrics.E);
      // The η Optuna drew is the one the run trained with.
      expect(Number(run.params['train.lr'])).toBe(trial.params['train.lr']);
      expect(trial.params['train.lr']).toBeGreaterThanOrEqual(0.01);
      expect(trial.params['train.lr']).toBeLessThanOrEqual(5);
      // Every logged point of E was an intermediate value.
      expect(trial.intermediate).toBeGreaterThan(1);
    }
  });

  it('reports the best trial, and xp compare ranks it first', () => {
    const best = study.reduce((a, b) => (b.value! < a.value! ? b : a));
    const name = `trial-0${best.number + 1}`;
    expect(stderr).toContain(`optuna: best trial of study toy-tpe: ${name} (#${best.number}), E=${best.value}`);
    const compared = xp(['compare', '--experiment', 'toy-tpe', '--format', 'json', '--tracking-uri', trackingDir], { cwd: dir });
    expect(compared.code, compared.stderr).toBe(0);
    const json = JSON.parse(compared.stdout);
    expect(json.runs[0].name).toBe(name);
  });

  it('a second run continues the study: nothing left to run', () => {
    const again = xp(['run', 'search.yaml', '--tracking-uri', trackingDir], { cwd: dir, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('8 finished already, 0 to run');
  });

  it('a study store Optuna cannot open: its error in one line, exit 1, and no run created', async () => {
    const broken = tempDir('xp-optuna-broken-');
    writeFileSync(join(broken, 'search.yaml'), SPEC);
    mkdirSync(join(broken, 'studies'));
    writeFileSync(join(broken, 'studies', 'toy.db'), 'not a sqlite database, whatever its name says\n'.repeat(200));
    const result = xp(['run', 'search.yaml', '--tracking-uri', join(broken, 'mlruns')], { cwd: broken, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^xp: optuna \(open\): .*not a database/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const store = openTrackingStore({ uri: join(broken, 'mlruns'), cwd: broken, env: {} });
    const experiment = await store.findExperiment('toy-tpe');
    expect(experiment ? await store.listRuns(experiment.experimentId) : []).toEqual([]);
  }, 150_000);
});

describe('an Optuna search without Optuna', () => {
  it('validate, plan and run say what to install, exit 2, and create nothing', () => {
    const dir = tempDir('xp-no-optuna-');
    writeFileSync(join(dir, 'search.yaml'), SPEC);
    // A package named optuna that fails to import, first on the path: Optuna as good as missing.
    mkdirSync(join(dir, 'no-optuna', 'optuna'), { recursive: true });
    writeFileSync(join(dir, 'no-optuna', 'optuna', '__init__.py'), 'raise ModuleNotFoundError("No module named \'optuna\'")\n');
    for (const command of ['validate', 'plan', 'run']) {
      const result = xp([command, 'search.yaml', ...(command === 'run' ? ['--tracking-uri', join(dir, 'mlruns')] : [])], { cwd: dir, env: { PYTHONPATH: join(dir, 'no-optuna') } });
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('an Optuna search needs Optuna, which is not installed: python3 cannot import optuna');
      expect(result.stderr).toContain('hint:     install it with: python3 -m pip install optuna');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(spawnSync('ls', [join(dir, 'mlruns')]).status).not.toBe(0);
  }, 120_000);
});
