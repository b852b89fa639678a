/**
 * The optuna sweeper against a real Optuna (through optuna_bridge.py, a sqlite study in a temp
 * directory), with the launcher played by the test: what it proposes, what Optuna is told, and what
 * the study holds afterwards. Skipped, saying why, where python3 cannot import Optuna (CI installs it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../job.ts';
import { loadAndCheck } from '../static-checks.ts';
import type { ProposedJob } from '../sweeper.ts';
import { optunaAvailability } from './optuna-bridge.ts';
import { checkOptunaSearch } from './optuna-search.ts';
import { optunaSweeper } from './optuna.ts';

const optuna = await optunaAvailability(process.env);
const skip = optuna.ok ? null : optuna.reason;
const dir = mkdtempSync(join(tmpdir(), 'xp-optuna-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function toySpec(name: string, sweep: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
kind: toy-mlp
data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }
model: { weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } }
train: { steps: 20, lr: 0.1, reportEvery: 10 }
sweep:
${sweep}`,
  );
  return file;
}

function result(job: ProposedJob, status: JobResult['status'], metrics: Record<string, number>): JobResult {
  return { name: job.name, variant: job.variant, seed: job.seed, runId: `run-${job.name}`, status, params: {}, metrics, artifacts: {} };
}

/** The study as Optuna itself reads it back from the sqlite file. */
function studyTrials(storage: string, study: string): Array<{ number: number; state: string; value: number | null; params: Record<string, unknown>; intermediate: Record<string, number> }> {
  const script = `import json, optuna
study = optuna.load_study(study_name=${JSON.stringify(study)}, storage=${JSON.stringify(storage)})
print(json.dumps([{"number": t.number, "state": t.state.name, "value": t.value, "params": t.params, "intermediate": {str(k): v for k, v in t.intermediate_values.items()}} for t in study.trials]))`;
  return JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' }));
}

describe.skipIf(skip !== null)(`the optuna sweeper${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('asks for as many trials as run at once, tells each result, and learns nothing new until all are told', async () => {
    const file = toySpec(
      'tell',
      `  optuna:
    trials: 5
    storage: sqlite:///studies/tell.db
    space:
      train.lr: { loguniform: [0.01, 5] }
      vars.unused: { choice: [a, b] }
`,
    );
    const checked = await loadAndCheck(file, {});
    const lines: string[] = [];
    const sweeper = optunaSweeper(checked, { jobsAtOnce: 2, log: (line) => lines.push(line), env: process.env });
    const first = (await sweeper.propose())!;
    expect(first.map((job) => job.name)).toEqual(['trial-1', 'trial-2'].map((n) => n.replace('-', '-0')));
    // Waiting on both: nothing new before they are told.
    expect(await sweeper.propose()).toEqual([]);
    for (const job of first) {
      expect(job.tags).toMatchObject({ 'xp.search': 'optuna', 'xp.optuna.study': 'tell' });
      expect(job.made?.variant.spec.kind).toBe('toy-mlp');
      const lr = (job.made!.variant.spec as { train: { lr: number } }).train.lr;
      expect(lr).toBeGreaterThanOrEqual(0.01);
      expect(lr).toBeLessThanOrEqual(5);
      expect(job.made!.variant.overrides['train.lr']).toBe(lr);
    }
    expect(first.map((job) => job.tags!['xp.trial'])).toEqual(['1', '2']);

    sweeper.onReport('trial-01', 10, { E: 0.2 });
    sweeper.onReport('trial-01', 20, { E: 0.1 });
    sweeper.onReport('trial-02', 10, { E: 0.3 });
    sweeper.onResult(result(first[0], 'passed', { E: 0.1 }));
    // Pruned by the scheduler: told as pruned, with the intermediate value it reached.
    sweeper.onResult(result(first[1], 'pruned', { E: 0.3 }));

    const second = (await sweeper.propose())!;
    expect(second.map((job) => job.name)).toEqual(['trial-03', 'trial-04']);
    // Below its constraints is still a measured value; a crash has none.
    sweeper.onResult(result(second[0], 'failed', { E: 0.05 }));
    sweeper.onResult(result(second[1], 'error', {}));
    const third = (await sweeper.propose())!;
    expect(third.map((job) => job.name)).toEqual(['trial-05']);
    sweeper.onResult(result(third[0], 'passed', { E: 0.07 }));
    expect(await sweeper.propose()).toBeNull();
    await sweeper.close!();

    const trials = studyTrials(`sqlite:///${join(dir, 'studies/tell.db')}`, 'tell');
    expect(trials.map((t) => [t.number, t.state, t.value])).toEqual([
      [0, 'COMPLETE', 0.1],
      // Optuna gives a pruned trial the last intermediate value it heard.
      [1, 'PRUNED', 0.3],
      [2, 'COMPLETE', 0.05],
      [3, 'FAIL', null],
      [4, 'COMPLETE', 0.07],
    ]);
    expect(trials[0].intermediate).toEqual({ '10': 0.2, '20': 0.1 });
    expect(trials[1].intermediate).toEqual({ '10': 0.3 });
    expect(trials[0].params['train.lr']).toBe(first[0].made!.variant.overrides['train.lr']);
    expect(lines).toContain(`optuna: best trial of study tell: trial-03 (#2), E=0.05, train.lr=${Number((trials[2].params['train.lr'] as number).toPrecision(4))} vars.unused=${trials[2].params['vars.unused']}`);
  }, 120_000);

  it('continues a study up to its trials, and tells an interrupted trial failed, not running', async () => {
    const file = toySpec(
      'resume',
      `  optuna:
    trials: 3
    storage: sqlite:///resume.db
    space:
      train.lr: { uniform: [0.1, 1] }
`,
    );
    const checked = await loadAndCheck(file, {});
    const interrupted = optunaSweeper(checked, { jobsAtOnce: 2 });
    const first = (await interrupted.propose())!;
    interrupted.onResult(result(first[0], 'passed', { E: 0.2 }));
    // The second job never ends: the sweep was interrupted.
    await interrupted.close!();

    const again = optunaSweeper(checked, { jobsAtOnce: 4 });
    const rest = (await again.propose())!;
    expect(rest.map((job) => job.name)).toEqual(['trial-03']);
    again.onResult(result(rest[0], 'passed', { E: 0.1 }));
    expect(await again.propose()).toBeNull();
    await again.close!();
    const trials = studyTrials(`sqlite:///${join(dir, 'resume.db')}`, 'resume');
    expect(trials.map((t) => t.state)).toEqual(['COMPLETE', 'FAIL', 'COMPLETE']);
  }, 120_000);

  it('runs a trial once per seed and tells Optuna the mean', async () => {
    const file = toySpec(
      'seeds',
      `  optuna:
    trials: 1
    storage: sqlite:///seeds.db
    space:
      train.lr: { uniform: [0.1, 1] }
seeds: [1, 2]
`,
    );
    const checked = await loadAndCheck(file, {});
    const sweeper = optunaSweeper(checked, { jobsAtOnce: 2 });
    const jobs = (await sweeper.propose())!;
    expect(jobs.map((job) => [job.name, job.variant, job.seed])).toEqual([
      ['trial-01_seed=1', 'trial-01', 1],
      ['trial-01_seed=2', 'trial-01', 2],
    ]);
    sweeper.onResult(result(jobs[0], 'passed', { E: 0.2 }));
    expect(await sweeper.propose()).toEqual([]);
    sweeper.onResult(result(jobs[1], 'passed', { E: 0.4 }));
    expect(await sweeper.propose()).toBeNull();
    await sweeper.close!();
    const [trial] = studyTrials(`sqlite:///${join(dir, 'seeds.db')}`, 'seeds');
    expect(trial.state).toBe('COMPLETE');
    expect(trial.value).toBeCloseTo(0.3, 12);
  }, 120_000);

  it('tells a trial whose variant is invalid failed, without a job, and goes on', async () => {
    // The schema wants a number of steps: a trial drawing text cannot run.
    const file = toySpec(
      'invalid',
      `  optuna:
    trials: 2
    sampler: random
    storage: sqlite:///invalid.db
    space:
      train.steps: { choice: [many] }
`,
    );
    const checked = await loadAndCheck(file, {});
    const lines: string[] = [];
    const sweeper = optunaSweeper(checked, { jobsAtOnce: 1, log: (line) => lines.push(line) });
    expect(await sweeper.propose()).toBeNull();
    await sweeper.close!();
    expect(studyTrials(`sqlite:///${join(dir, 'invalid.db')}`, 'invalid').map((t) => t.state)).toEqual(['FAIL', 'FAIL']);
    const said = lines.find((line) => line.startsWith('optuna: trial-01 (#0) cannot run; told failed:'));
    expect(said).toMatch(/in variant trial-01: .*train\.steps/s);
    expect(said).toContain('invalid.yaml:12:31: train.steps: in variant trial-01: wrong type');
  }, 120_000);
});

describe('checks of sweep.optuna', () => {
  it('refuses Optuna combined with another sweep, and a distribution with low above high', async () => {
    const file = toySpec(
      'mixed',
      `  grid: { train.steps: [10, 20] }
  optuna:
    trials: 2
    storage: sqlite:///mixed.db
    space:
      train.lr: { uniform: [1, 0.1] }
`,
    );
    const error = await loadAndCheck(file, {}).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('Optuna chooses every trial itself: it cannot be combined with sweep.grid');
    expect((error as Error).message).toContain('sweep.optuna.space.train.lr.uniform: the low bound must be below the high one');
  });

  it('says what to install where python3 cannot import Optuna', async () => {
    // A module named optuna that fails to import, first on the path: Optuna as good as missing.
    const fake = join(dir, 'no-optuna');
    execFileSync('mkdir', ['-p', join(fake, 'optuna')]);
    writeFileSync(join(fake, 'optuna', '__init__.py'), 'raise ModuleNotFoundError("No module named \'optuna\'")\n');
    const file = toySpec(
      'missing',
      `  optuna:
    trials: 2
    storage: sqlite:///missing.db
    space:
      train.lr: { uniform: [0.1, 1] }
`,
    );
    const { loadExperiment } = await import('@xp/core');
    const issues = await checkOptunaSearch(loadExperiment(file), { ...process.env, PYTHONPATH: fake });
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/^an Optuna search needs Optuna, which is not installed: python3 cannot import optuna/);
    expect(issues[0].hint).toBe('install it with: python3 -m pip install optuna (optuna-dashboard too, to watch the study)');
    expect(issues[0].location?.line).toBe(8);
    const absent = await checkOptunaSearch(loadExperiment(file), { ...process.env, XP_PYTHON: join(dir, 'no-such-python') });
    expect(absent[0].message).toContain(`${join(dir, 'no-such-python')} was not found`);
  });
});
