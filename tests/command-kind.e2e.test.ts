/**
 * Kind `command`: a program of the user's own under xp's sweeps, budgets, verdicts and scheduler, run by
 * the real `xp` binary on a small Node script (tests/fixtures/command/fit.mjs), and the bad inputs of
 * issue #21 (a missing program, an unknown ${reference}, a crash, a hang after a stop, malformed and
 * NaN metric lines, a program that reports nothing).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore } from '@xp/tracking';
import { REPO, tempDir, XP_BIN, xp } from './helpers.ts';

const FIT = join(REPO, 'tests/fixtures/command/fit.mjs');

function specDir(spec: string): string {
  const dir = tempDir('xp-command-');
  copyFileSync(FIT, join(dir, 'fit.mjs'));
  writeFileSync(join(dir, 'spec.yaml'), spec);
  return dir;
}

const base = (extra = '', params = 'lr: 0.1\n  epochs: 3\n  mode: ok\n  sleep: 0') => `name: fit
kind: command
command: [node, fit.mjs, --lr, '\${params.lr}', --epochs, '\${params.epochs}', --seed, '\${seed}', --mode, '\${params.mode}', --sleep, '\${params.sleep}']
params:
  ${params}
${extra}`;

interface Report {
  runs: Array<{ name: string; runId: string; status: string; metrics: Record<string, number>; message?: string }>;
  variants: Array<{ variant: string; verdict: string }>;
}
const reportOf = (stdout: string): Report => JSON.parse(stdout.trim().split('\n').pop() as string);

describe('kind command: a program over two seeds', () => {
  const dir = specDir(base('seeds: [1, 2]\nconstraints:\n  metrics:\n    test_accuracy: { min: 0.8 }\n'));
  const tracking = join(dir, 'mlruns');
  let result: ReturnType<typeof xp>;
  beforeAll(() => {
    result = xp(['run', 'spec.yaml', '--json', '--tracking-uri', tracking], { cwd: dir });
  });

  it('runs once per seed with ${seed} and ${params.lr} in its argv, and passes the verdict over seeds', () => {
    expect(result.code, result.stderr).toBe(0);
    const report = reportOf(result.stdout);
    expect(report.runs.map((r) => [r.name, r.status])).toEqual([['fit_seed=1', 'passed'], ['fit_seed=2', 'passed']]);
    expect(report.variants).toEqual([expect.objectContaining({ variant: 'fit', verdict: 'passed' })]);
    // The script's accuracy depends on its seed: each run got its own.
    expect(report.runs[0].metrics.test_accuracy).not.toBe(report.runs[1].metrics.test_accuracy);
    expect(result.stderr).toContain('[fit seed=2] training fit with lr 0.1, seed 2');
  });

  it('logs each metric line once, with its step, and keeps stdout, stderr and XP_OUTPUT_DIR as artifacts', async () => {
    const store = openTrackingStore({ uri: tracking, cwd: dir, env: {} });
    const [run] = reportOf(result.stdout).runs;
    const history = await store.metricHistory(run.runId, 'test_accuracy');
    expect(history.map((p) => p.step)).toEqual([1, 2, 3]);
    const artifacts = (await store.localArtifactDir(run.runId))!;
    expect(readFileSync(join(artifacts, 'stdout.log'), 'utf8')).toContain('{"step": 3, "metrics"');
    expect(readFileSync(join(artifacts, 'stderr.log'), 'utf8')).toBe('done\n');
    expect(readFileSync(join(artifacts, 'outputs/model.txt'), 'utf8')).toBe('lr=0.1 seed=1\n');
    const record = (await store.listRuns(run.runId.length ? (await store.findExperiment('fit'))!.experimentId : '')).find((r) => r.runId === run.runId)!;
    expect(record.tags['xp.primaryMetric']).toBe('test_accuracy');
    expect(JSON.parse(record.tags['xp.metricDirections'])).toMatchObject({ test_accuracy: 'max', test_loss: 'min' });
  });

  it('shows the runs in xp compare', () => {
    const compared = xp(['compare', '--experiment', 'fit', '--tracking-uri', tracking], { cwd: dir });
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.stdout).toContain('test_accuracy');
    expect(compared.stdout).toMatch(/fit/);
  });
});

describe('kind command: bad input', () => {
  it('refuses a program that is not installed at validate (exit 2), naming it and the PATH searched', () => {
    const dir = specDir(base().replace('[node, fit.mjs', '[no-such-trainer, fit.mjs'));
    const result = xp(['validate', 'spec.yaml'], { cwd: dir, env: { PATH: `/nowhere:${process.env.PATH}` } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'no-such-trainer' is not on PATH (searched: /nowhere:");
    expect(result.stderr).toMatch(/spec\.yaml:3:\d+/);
  });

  it('refuses an unknown ${params.…} reference at its line and column, with the nearest path', () => {
    const dir = specDir(base().replace("'${params.epochs}'", "'${params.epoch}'"));
    const result = xp(['validate', 'spec.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown reference '${params.epoch}'");
    expect(result.stderr).toContain("did you mean '${params.epochs}'?");
    expect(result.stderr).toMatch(/spec\.yaml:3:\d+/);
  });

  it('fails a program that exits non-zero with its stderr tail, and the sweep goes on', () => {
    const dir = specDir(base('sweep:\n  grid:\n    params.mode: [crash, ok]\n'));
    const result = xp(['run', 'spec.yaml', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    const report = reportOf(result.stdout);
    expect(report.runs.map((r) => r.status)).toEqual(['failed', 'passed']);
    expect(report.runs[0].message).toContain('the program exited with code 3; stderr ends:');
    expect(report.runs[0].message).toContain('RuntimeError: CUDA out of memory (pretend)');
  });

  it('ignores malformed metric lines, one warning each, and counts them', () => {
    const dir = specDir(base('', 'lr: 0.1\n  epochs: 3\n  mode: malformed\n  sleep: 0'));
    const result = xp(['run', 'spec.yaml', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/warning: malformed metric line ignored/g)).toHaveLength(2);
    expect(result.stderr).toContain('not JSON');
    expect(result.stderr).toContain('unknown key metric');
    expect(result.stderr).toContain('2 malformed metric lines ignored');
  });

  it('warns of a NaN metric, does not log it, and judges the run on it', () => {
    const dir = specDir(base('constraints:\n  metrics:\n    test_loss: { max: 0.5 }\n', 'lr: 0.1\n  epochs: 3\n  mode: nan\n  sleep: 0'));
    const result = xp(['run', 'spec.yaml', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("metric 'test_loss' is NaN at step 3: not logged");
    expect(reportOf(result.stdout).runs[0].message).toContain('final test_loss NaN (step 3) is not a finite number');
  });

  it('fails a program that reports no metric, saying so', () => {
    const dir = specDir(base('', 'lr: 0.1\n  epochs: 3\n  mode: silent\n  sleep: 0'));
    const result = xp(['run', 'spec.yaml', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(reportOf(result.stdout).runs[0].message).toContain('the program wrote no metric');
  });

  it('kills a program that ignores SIGTERM after stopGrace', async () => {
    const dir = specDir(base('stopGrace: 1\n', 'lr: 0.1\n  epochs: 3\n  mode: hang\n  sleep: 0'));
    const child = spawn(process.execPath, [XP_BIN, 'run', 'spec.yaml'], { cwd: dir, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => {
        if (!existsSync(join(dir, 'mlruns')) || !stderr.includes('── fit ──')) return;
        clearInterval(wait);
        // The program has started (xp's header is out); give it time to print its line and hang.
        setTimeout(resolve, 1500);
      }, 100);
    });
    const stoppedAt = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const took = Date.now() - stoppedAt;
    expect(stderr).toContain('got SIGTERM, ignoring it');
    expect(stderr).toContain('killed (SIGKILL) after stopGrace 1 s');
    expect(code).toBe(130);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(30_000);
  }, 60_000);
});

describe('kind command: budgets before compute and early stopping', () => {
  it('refuses an over-budget variant at validate and plan, counted by paramsCommand, as for a CNN', () => {
    const dir = specDir(
      base(
        "paramsCommand: [node, fit.mjs, --mode, count, --width, '${params.width}']\nconstraints:\n  maxParams: 10000\nsweep:\n  grid:\n    params.width: [10, 20]\n",
        'lr: 0.1\n  epochs: 3\n  mode: ok\n  sleep: 0\n  width: 10',
      ),
    );
    const validated = xp(['validate', 'spec.yaml'], { cwd: dir });
    expect(validated.code).toBe(1);
    expect(validated.stdout + validated.stderr).toContain('OVER BUDGET: 15,700 params > 10,000');
    expect(validated.stdout + validated.stderr).toContain('7,850 params (budget 10,000)');
    const planned = xp(['plan', 'spec.yaml'], { cwd: dir });
    expect(planned.code).toBe(1);
    const ran = xp(['run', 'spec.yaml', '--json'], { cwd: dir });
    const report = reportOf(ran.stdout);
    expect(report.runs.find((r) => r.name.includes('width=20'))?.message).toBe('over budget: 15700 trainable parameters > constraints.maxParams 10000; not trained');
    expect(ran.stderr).not.toContain('training fit with lr 0.1, seed 1\n[fit_width=20');
  });

  it('has a hopeless lr stopped by ASHA, from the metric lines it reports', () => {
    const dir = specDir(
      base('sweep:\n  grid:\n    params.lr: [0.1, 0.0001]\n  scheduler:\n    asha: { metric: test_accuracy, mode: max, grace: 1, reduction: 2, max: 8 }\n', 'lr: 0.1\n  epochs: 8\n  mode: ok\n  sleep: 700'),
    );
    const result = xp(['run', 'spec.yaml', '--json'], { cwd: dir });
    const report = reportOf(result.stdout);
    expect(report.runs.map((r) => [r.name, r.status])).toEqual([['lr=0.1', 'passed'], ['lr=0.0001', 'pruned']]);
    expect(report.runs[1].message).toMatch(/stopped early by the sweep's scheduler/);
  }, 120_000);
});
