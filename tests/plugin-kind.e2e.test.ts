/**
 * Kinds as plugins (issue #21 item 2): a kind of the user's own, named in the spec by a module path
 * (tests/fixtures/plugin-kind/linear-kind.ts, relative to the spec) or an xp-kind-* package, goes
 * through validate, plan, summary, run (in-process, --jobs 2 children, a real Redis queue and one
 * `xp worker`) and compare like a built-in
 * kind; and the bad inputs: a missing module, a module that exports no kind, another API version, a
 * misspelt plugin field, a package that is not installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSkipReason, startRedisServer, type RedisServer } from './fixtures/redis-server.ts';
import { REPO, tempDir, XP_BIN, xp } from './helpers.ts';

const FIXTURES = join(REPO, 'tests/fixtures/plugin-kind');
const LINE = join(FIXTURES, 'line.yaml');

interface Report {
  runs: Array<{ name: string; status: string; params: Record<string, unknown>; metrics: Record<string, number> }>;
  variants: Array<{ variant: string; verdict: string }>;
}
const reportOf = (stdout: string): Report => JSON.parse(stdout.trim().split('\n').pop() as string);

/** A spec in a folder of its own, naming `kind` (absolute paths reach the fixtures). */
function specWith(kind: string, body = 'line: {slope: 2, intercept: -1}\nfit: {steps: 5, lr: 0.5}\n'): { dir: string; file: string } {
  const dir = tempDir('xp-plugin-');
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, `name: line\nkind: ${kind}\n${body}`);
  return { dir, file };
}

describe('a plugin kind by path: validate, plan, summary', () => {
  it('validates with the plugin check, plans with its defaults filled in, and summarises', () => {
    const validated = xp(['validate', LINE]);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toMatch(/OK\s+lr=0\.5: 2 params/);
    const planned = xp(['plan', LINE]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('line (./linear-kind.ts): 2 variants × 2 seeds (1, 2) = 4 runs');
    const summary = xp(['summary', LINE]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain('linear regression y = w·x + b: 2 params, 32 points, 60 steps of lr 0.5');
  });

  it("refuses a variant the plugin's own check refuses, at its file:line:col", () => {
    const { file } = specWith(join(FIXTURES, 'linear-kind.ts'), 'line: {slope: 2, intercept: -1}\nfit: {steps: 5, lr: 3}\n');
    const result = xp(['validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:4:`);
    expect(result.stderr).toContain('gradient descent diverges at this learning rate');
  });
});

describe('a plugin kind runs like a built-in kind', () => {
  const dir = tempDir('xp-plugin-run-');
  let inProcess: ReturnType<typeof xp>;
  let children: ReturnType<typeof xp>;
  beforeAll(() => {
    inProcess = xp(['run', LINE, '--json', '--tracking-uri', join(dir, 'one')], { cwd: dir });
    children = xp(['run', LINE, '--jobs', '2', '--json', '--tracking-uri', join(dir, 'two')], { cwd: dir });
  });

  it('in-process: each run trains through the plugin, judged per seed and over seeds', () => {
    expect(inProcess.code, inProcess.stderr).toBe(1);
    const report = reportOf(inProcess.stdout);
    expect(report.runs.map((r) => [r.name, r.status])).toEqual([
      ['lr=0.5_seed=1', 'passed'],
      ['lr=0.5_seed=2', 'passed'],
      ['lr=0.05_seed=1', 'failed'],
      ['lr=0.05_seed=2', 'failed'],
    ]);
    expect(report.variants.map((v) => [v.variant, v.verdict])).toEqual([
      ['lr=0.5', 'passed'],
      ['lr=0.05', 'failed'],
    ]);
    // The plugin's fragment filled in its defaults, recorded as params like a built-in kind's.
    expect(report.runs[0].params).toMatchObject({ kind: './linear-kind.ts', 'line.points': 32, 'line.noise': 0.05, 'fit.lr': 0.5 });
    expect(report.runs[0].metrics.mse).toBeLessThan(0.01);
  });

  it('--jobs 2: the child processes import the plugin and get the same metrics', () => {
    expect(children.code, children.stderr).toBe(1);
    const byName = (r: Report) => Object.fromEntries(r.runs.map((run) => [run.name, run.metrics]));
    expect(byName(reportOf(children.stdout))).toEqual(byName(reportOf(inProcess.stdout)));
  });

  it('xp compare ranks the runs by the plugin primary metric in its direction', () => {
    const compared = xp(['compare', '--tracking-uri', join(dir, 'one'), '--format', 'json'], { cwd: dir });
    expect(compared.code, compared.stderr).toBe(0);
    const table = JSON.parse(compared.stdout) as { metric: string; direction: string; groups: Array<{ variant: string; verdict: string }> };
    expect([table.metric, table.direction]).toEqual(['mse', 'min']);
    expect(table.groups.map((g) => [g.variant, g.verdict])).toEqual([
      ['lr=0.5', 'passed'],
      ['lr=0.05', 'failed'],
    ]);
  });
});

describe('a plugin kind by package name', () => {
  it('finds an xp-kind-* package in node_modules from the spec folder', () => {
    const { dir, file } = specWith('xp-kind-line');
    const pkg = join(dir, 'node_modules/xp-kind-line');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'xp-kind-line', type: 'module', main: 'index.mjs' }));
    writeFileSync(join(pkg, 'index.mjs'), `export { kind } from ${JSON.stringify(join(FIXTURES, 'linear-kind.ts'))};\n`);
    const result = xp(['run', file, '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(reportOf(result.stdout).runs.map((r) => r.status)).toEqual(['passed']);
  });
});

describe("the run cache and a plugin kind's code", () => {
  it('answers a rerun from the cache, and trains again once the module changes', () => {
    const dir = tempDir('xp-plugin-cache-');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const module = join(dir, 'linear-kind.ts');
    writeFileSync(module, readFileSync(join(FIXTURES, 'linear-kind.ts'), 'utf8'));
    const { file } = specWith(module);
    const run = () => {
      const result = xp(['run', file, '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      return reportOf(result.stdout).runs[0] as Report['runs'][number] & { cached?: boolean };
    };
    expect(run().cached).toBeUndefined();
    expect(run().cached).toBe(true);
    writeFileSync(module, `${readFileSync(module, 'utf8')}\n// edited: the cache must not stand for this code\n`);
    expect(run().cached).toBeUndefined();
  });
});

describe('bad plugin kinds: exit 2 at the spec kind, before any run', () => {
  const refused = (_file: string, dir: string) => {
    const result = xp(['run', 'spec.yaml', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('spec.yaml:2:7: kind: ');
    expect(existsSync(join(dir, 'mlruns')), 'nothing tracked').toBe(false);
    return result.stderr;
  };

  it('a module path that does not exist', () => {
    const { dir, file } = specWith('./kinds/nope.ts');
    expect(refused(file, dir)).toContain(`the plugin kind module ${join(dir, 'kinds/nope.ts')} does not exist`);
  });

  it('a module that exports no kind names what it does export', () => {
    const { dir, file } = specWith(join(FIXTURES, 'no-kind.ts'));
    const stderr = refused(file, dir);
    expect(stderr).toContain('exports no ExperimentKind');
    expect(stderr).toContain("found:    'VERSION' (number), 'train' (function)");
  });

  it('a kind written for another API version', () => {
    const { dir, file } = specWith(join(FIXTURES, 'old-api.ts'));
    expect(refused(file, dir)).toContain('was written for kind API version 0; this xp has version 1');
  });

  it('a package that is not installed', () => {
    const { dir, file } = specWith('xp-kind-absent');
    expect(refused(file, dir)).toContain("the plugin kind package 'xp-kind-absent' is not installed");
  });

  it("a misspelt plugin field, located by the plugin's fragment, with did-you-mean", () => {
    const { dir, file } = specWith(join(FIXTURES, 'linear-kind.ts'), 'line: {slope: 2, intercept: -1}\nfit:\n  steps: 5\n  lrr: 0.5\n');
    const result = xp(['validate', 'spec.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('spec.yaml: 1 problem');
    expect(result.stderr).toContain('spec.yaml:6:3: fit.lrr');
    expect(result.stderr).toContain("unknown key 'lrr'");
    expect(result.stderr).toContain("did you mean 'lr'?");
  });

  it("a built-in kind's field in a plugin spec", () => {
    const { dir, file } = specWith(join(FIXTURES, 'linear-kind.ts'), 'line: {slope: 2, intercept: -1}\nfit: {steps: 5, lr: 0.5}\ntrain: {epochs: 1}\n');
    const result = xp(['validate', 'spec.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('spec.yaml:5:1');
    expect(result.stderr).toContain("'train' belongs to xp's built-in kinds");
  });
});

const redisSkip = redisSkipReason();
describe.skipIf(redisSkip !== null)(`a plugin kind through the queue${redisSkip ? ` (skipped: ${redisSkip})` : ''}`, () => {
  const dir = tempDir('xp-plugin-queue-');
  let redis: RedisServer;
  beforeAll(async () => {
    mkdirSync(join(dir, 'redis'));
    redis = await startRedisServer(join(dir, 'redis'));
  }, 60_000);
  afterAll(async () => {
    await redis?.kill();
  });

  it("a worker's job process imports the plugin from the job's spec file and runs it", async () => {
    const tracking = join(dir, 'mlruns');
    const env = { ...process.env, MLFLOW_TRACKING_URI: '' };
    const sweep = spawn(process.execPath, [XP_BIN, 'run', LINE, '--json', '--queue', redis.url, '--shared-store', '--tracking-uri', tracking], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    sweep.stdout!.on('data', (chunk) => (stdout += chunk));
    sweep.stderr!.on('data', (chunk) => (stderr += chunk));
    const sweepExit = new Promise<number | null>((resolve) => sweep.on('exit', resolve));
    // Started once the jobs are queued: with --exit-when-idle an earlier worker would find the queue empty and leave.
    const deadline = Date.now() + 120_000;
    while (!stderr.includes('enqueued') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const worker = spawn(process.execPath, [XP_BIN, 'worker', '--queue', redis.url, '--tracking-uri', tracking, '--exit-when-idle'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let workerOutput = '';
    worker.stdout!.on('data', (chunk) => (workerOutput += chunk));
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
    try {
      const code = await sweepExit;
      expect(code, `${stderr}\n--- worker ---\n${workerOutput}`).toBe(1);
      const report = reportOf(stdout);
      expect(report.variants.map((v) => [v.variant, v.verdict])).toEqual([
        ['lr=0.5', 'passed'],
        ['lr=0.05', 'failed'],
      ]);
      expect(report.runs.find((r) => r.name === 'lr=0.5_seed=1')?.metrics.mse).toBeLessThan(0.01);
      expect(workerOutput).toContain('[lr=0.5_seed=1] passed');
    } finally {
      worker.kill('SIGTERM');
      sweep.kill('SIGTERM');
    }
  }, 240_000);
});
