/**
 * What a new user trips over (#25 items 4–7), through the real `xp` binary: the README's quick try
 * learns and its console lr is the lr MLflow holds; compare tells configurations apart; the smaller
 * items (a directory as the spec, --jobs 0, `xp summary` with overrides, a toy run's metric names and
 * where its tables went, `xp sync --help`, MLflow run names); and the README itself (its Commands table
 * against every --help, its sample error against xp's output, the files the example specs cite).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir, xp } from './helpers.ts';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');

const TOY = `name: toy-user
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 3, lr: 0.5}
`;

interface RunJson {
  runs: { name: string; runId: string; status: string; cached?: boolean; metrics: Record<string, number> }[];
}
const lastJson = (stdout: string): RunJson => JSON.parse(stdout.trim().split('\n').pop()!) as RunJson;

/** A run's directory in a file store. */
function runDir(mlruns: string, runId: string): string {
  for (const experiment of readdirSync(mlruns)) if (existsSync(join(mlruns, experiment, runId))) return join(mlruns, experiment, runId);
  throw new Error(`no run ${runId} in ${mlruns}`);
}

/** "KEY=value" names on a summary line `  PASSED name  abcd1234  k=v k=v`. */
const summaryMetricNames = (stderr: string): string[] => [...(stderr.match(/^ {2}(?:PASSED|CACHED) .*$/m)?.[0] ?? '').matchAll(/ (\w+)=/g)].map((m) => m[1]);

describe("the README's quick try", () => {
  it('learns on a slice of MNIST, and the lr each epoch line shows is the lr MLflow logged for it', () => {
    const command = README.match(/^npx xp run experiments\/cnn-19816\.yaml data\.trainLimit=\S+.*$/m)?.[0];
    expect(command, 'the README has a quick-try command').toBeDefined();
    const dir = tempDir('xp-quick-');
    const mlruns = join(dir, 'mlruns');
    const args = command!.replace(/^npx xp /, '').split(/\s+/).map((arg) => arg.replace('experiments/', `${REPO}/experiments/`));
    const result = xp([...args, '--tracking-uri', mlruns, '--json'], { cwd: dir, timeoutMs: 600_000 });
    expect(result.code, result.stderr).toBe(0);
    const [run] = lastJson(result.stdout).runs;
    expect(run.metrics.test_accuracy).toBeGreaterThan(0.9);
    // #25 item 4: "epoch N/M: … lr X at the epoch's start" against MLflow's lr at step N.
    const shown = [...result.stderr.matchAll(/^epoch (\d+)\/\d+: .*, lr (\S+) at the epoch's start/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(shown).toHaveLength(2);
    const logged = readFileSync(join(runDir(mlruns, run.runId), 'metrics', 'lr'), 'utf8').trim().split('\n').map((line) => line.split(' ').map(Number));
    expect(logged.map(([, value, step]) => [step, Number(value.toPrecision(3))])).toEqual(shown);
  }, 600_000);
});

describe('xp compare: one variant name, two configurations (#25 item 5)', () => {
  it('are two variants, named by what differs; MLflow names runs by variant and seed', () => {
    const dir = tempDir('xp-compare-config-');
    writeFileSync(join(dir, 'toy.yaml'), TOY);
    const one = xp(['run', 'toy.yaml', 'train.steps=2', '--json'], { cwd: dir });
    const two = xp(['run', 'toy.yaml', '--json'], { cwd: dir });
    expect([one.code, two.code]).toEqual([0, 0]);
    const compared = xp(['compare', '--all', '--format', 'json'], { cwd: dir });
    expect(compared.code, compared.stderr).toBe(0);
    const groups = (JSON.parse(compared.stdout) as { groups: { variant: string; count: number; notCounted: unknown[] }[] }).groups;
    expect(groups.map((g) => g.variant).sort()).toEqual(['toy-user (train.steps=2)', 'toy-user (train.steps=3)']);
    expect(groups.every((g) => g.count === 1 && g.notCounted.length === 0)).toBe(true);
    // #25 item 7: MLflow's runs list names them by variant and seed.
    const runId = lastJson(one.stdout).runs[0].runId;
    expect(readFileSync(join(runDir(join(dir, 'mlruns'), runId), 'tags', 'mlflow.runName'), 'utf8')).toBe('toy-user_seed=1');
  }, 120_000);
});

describe('the smaller items (#25 item 7)', () => {
  it('a toy run and its cached rerun show the same metrics, and the run says where its CSV and workbook went', () => {
    const dir = tempDir('xp-toy-user-');
    writeFileSync(join(dir, 'toy.yaml'), TOY);
    const first = xp(['run', 'toy.yaml'], { cwd: dir });
    const cached = xp(['run', 'toy.yaml'], { cwd: dir });
    expect([first.code, cached.code]).toEqual([0, 0]);
    expect(cached.stderr).toMatch(/^ {2}CACHED /m);
    expect(summaryMetricNames(first.stderr)).toEqual(['E', 'E1', 'E2', 'max_fd_rel_error']);
    expect(summaryMetricNames(cached.stderr)).toEqual(summaryMetricNames(first.stderr));
    const csv = first.stderr.match(/^backpropagation table: (\S+\.csv)$/m)?.[1];
    const workbook = first.stderr.match(/^workbook \(live formulas, loss curve\): (\S+\.xlsx)$/m)?.[1];
    expect(csv && existsSync(csv)).toBe(true);
    expect(workbook && existsSync(workbook)).toBe(true);
  }, 120_000);

  it('a directory as the spec, --jobs 0: exit 2 with what to do instead', () => {
    const dir = tempDir('xp-dir-spec-');
    mkdirSync(join(dir, 'specs'));
    writeFileSync(join(dir, 'specs', 'toy.yaml'), TOY);
    const asDir = xp(['run', 'specs'], { cwd: dir });
    expect(asDir.code).toBe(2);
    expect(asDir.stderr).toMatch(/specs: cannot read the spec file: it is a directory, not a spec file; give one of the specs in it: \S*specs\/toy\.yaml/);
    expect(asDir.stderr).not.toMatch(/EISDIR/);
    const jobs = xp(['run', 'specs/toy.yaml', '--jobs', '0'], { cwd: dir });
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toMatch(/expected a positive integer, or 'auto' \(one per CPU core/);
    expect(existsSync(join(dir, 'mlruns'))).toBe(false);
  });

  it('xp summary takes overrides after the spec, as the other commands do', () => {
    const spec = join(REPO, 'experiments/cnn-19816.yaml');
    const base = xp(['summary', spec]);
    const narrow = xp(['summary', spec, 'vars.c1=8']);
    expect(narrow.code, narrow.stderr).toBe(0);
    const total = (text: string) => text.match(/Trainable params: ([\d,]+)/)?.[1];
    expect(total(base.stdout)).toBe('19,816');
    expect(total(narrow.stdout)).toBeDefined();
    expect(total(narrow.stdout)).not.toBe(total(base.stdout));
  });

  it('xp sync --help lists its exit codes', () => {
    expect(xp(['sync', '--help']).stdout).toMatch(/Exit codes: 0 .*; 1 .*still spooled.*; 2 usage/);
  });

  it('native tests say why they skip', () => {
    const result = spawnSync('npx', ['vitest', 'run', 'tests/native-train.e2e.test.ts'], { cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, XP_REQUIRE_NATIVE: '' } });
    const output = `${result.stdout}${result.stderr}`;
    if (/skipped/.test(output) && !/passed/.test(output.match(/Tests .*/)?.[0] ?? '')) expect(output).toMatch(/skipped: the native backend is not set up here \(npx xp setup native\)/);
  }, 120_000);
});

describe('the README and the example specs (#25 items 6, 7)', () => {
  it("the Commands table lists every command and every option of each command's --help", () => {
    // A command may have several rows (xp setup native|gpu and xp setup webgpu): its options may be in any of them.
    const rows = new Map<string, string>();
    for (const m of README.matchAll(/^\| `xp (\w+)[^|]*(?:\\\|[^|]*)*\|.*$/gm)) rows.set(m[1], `${rows.get(m[1]) ?? ''}${m[0]}\n`);
    const commands = [...xp(['--help']).stdout.matchAll(/^ {2}(\w+)(?: \[options\]| <| \[|\s{2,})/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(8);
    const missing: string[] = [];
    for (const command of commands) {
      const row = rows.get(command);
      if (!row) {
        missing.push(`xp ${command} (no row)`);
        continue;
      }
      const options = [...xp([command, '--help']).stdout.matchAll(/^ {2}(?:(-\w), )?(--[a-z-]+)/gm)].map((m) => ({ short: m[1], long: m[2] })).filter((o) => o.long !== '--help');
      for (const { short, long } of options) if (!row.includes(long) && !(short && row.includes(`[${short}]`))) missing.push(`xp ${command} ${long}`);
    }
    expect(missing).toEqual([]);
  }, 120_000);

  it("the sample error is what xp prints for it", () => {
    const block = README.match(/```\n(experiments\/broken\.yaml:\d+:\d+: [\s\S]*?)```/)?.[1];
    expect(block).toBeDefined();
    const dir = tempDir('xp-broken-');
    // The spec composes its network and recipe from the folders beside it, so they come along.
    cpSync(join(REPO, 'experiments'), join(dir, 'experiments'), { recursive: true });
    const text = readFileSync(join(dir, 'experiments/cnn-19816.yaml'), 'utf8');
    expect(text).not.toMatch(/^train:/m);
    writeFileSync(join(dir, 'experiments/broken.yaml'), `${text}train:\n  epoch: 3\n`);
    const result = xp(['validate', 'experiments/broken.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(block!.trimEnd());
  });

  it('names data.trainLimit and data.testLimit, and says how long things take', () => {
    expect(README).toMatch(/`trainLimit` and `testLimit`/);
    expect(README).toMatch(/one\s+epoch of full MNIST[^.]*\d+–\d+ s/);
    expect(README).toMatch(/the\s+main job, `[^`]+`, \d+ min \d+ s/);
  });

  it('every file an example spec cites is in the repository', () => {
    const missing: string[] = [];
    for (const spec of readdirSync(join(REPO, 'experiments')).filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(join(REPO, 'experiments', spec), 'utf8');
      for (const [cited] of text.matchAll(/[\w./-]+\.(?:md|py|yaml|ts|sh|ipynb)\b/g)) {
        if (!existsSync(join(REPO, cited)) && !existsSync(join(REPO, 'experiments', cited))) missing.push(`${spec}: ${cited}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
