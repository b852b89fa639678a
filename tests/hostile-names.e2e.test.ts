/**
 * Names that try to break the store, leave it, or act on the terminal (#26.1, #26.6, #26.8, #22.3):
 * each is refused at its file:line:col (or its --set argument) with nothing created, or stored so that
 * MLflow's own Python client still reads the whole store, and nothing is written outside the store
 * and `.xp/`, in-process and with --jobs 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason } from './fixtures/mlflow-server.ts';
import { tempDir, xp, XP_BIN, type XpResult } from './helpers.ts';

const pythonMlflow = spawnSync('python3', ['-c', 'import mlflow'], { encoding: 'utf8' }).status === 0;
const skipPython = !pythonMlflow || mlflowSkipReason() !== null;

/** A one-run toy spec, two steps: seconds per run. */
function toySpec(extra = ''): string {
  return `name: names-probe
kind: toy-mlp
data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: {steps: 2, lr: 0.5}
${extra}`;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

function xpAsync(args: string[], cwd: string): Promise<XpResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** No raw control character reached the terminal but layout (tab, newline, carriage return: CSV ends lines with \r\n). */
function expectNoRawControls(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/u);
}

// Names the schema accepts for tracking.experiment, run through xp itself (the full table, with the
// names the schema refuses stored escaped, is packages/tracking/src/file-store-names.test.ts; every
// refused character is in packages/core/src/names.test.ts).
const ACCEPTED = ['with spaces: and colons', 'quote " and # inside', 'yes', 'ünïcödé 名前 🚀', '../x', 'x'.repeat(256)];

// Names MLflow's YAML reader rejects, or a terminal acts on: refused at the --set argument.
const REFUSED: Array<[string, string]> = [
  ['a\u007fb', 'U+007F'],
  ['a\u2028b', 'U+2028'],
  ['x\u001b[2J', 'U+001B'],
];

describe('experiment names and MLflow\'s reader', () => {
  const dir = tempDir('xp-names-');
  const spec = join(dir, 'probe.yaml');
  const work = join(dir, 'work');
  let results: XpResult[] = [];

  beforeAll(async () => {
    writeFileSync(spec, toySpec());
    mkdirSync(work);
    // Three at a time: each is a short run, and several processes share the one store, as users do.
    results = [];
    for (let i = 0; i < ACCEPTED.length; i += 3) {
      const batch = ACCEPTED.slice(i, i + 3).map((name) => xpAsync(['run', spec, '--set', `tracking.experiment=${name}`, '--json'], work));
      results.push(...(await Promise.all(batch)));
    }
  }, 300_000);

  it('runs under every name the schema accepts', () => {
    results.forEach((result, i) => {
      expect(result.stderr, ACCEPTED[i]).not.toContain('Traceback');
      expect(result.code, `${ACCEPTED[i]}: ${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout.trim().split('\n').pop() as string).experiment).toBe(ACCEPTED[i]);
    });
  });

  it.skipIf(skipPython)('leaves a store MLflow\'s Python client reads whole: every experiment by name, every run FINISHED', () => {
    const script = `
import json, sys, mlflow
from mlflow import MlflowClient
client = MlflowClient(${JSON.stringify(`file://${join(work, 'mlruns')}`)})
names = json.loads(sys.stdin.read())
listed = sorted(e.name for e in client.search_experiments())
found = {n: client.get_experiment_by_name(n) is not None for n in names}
ids = [client.get_experiment_by_name(n).experiment_id for n in names]
runs = client.search_runs(ids)
print(json.dumps({"listed": listed, "found": found, "runs": len(runs), "statuses": sorted(set(r.info.status for r in runs))}))
`;
    const python = spawnSync('python3', ['-c', script], { input: JSON.stringify(ACCEPTED), encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    expect(python.stderr).not.toContain('Traceback');
    const seen = JSON.parse(python.stdout.trim().split('\n').pop() as string);
    expect(seen.listed).toEqual([...ACCEPTED, 'Default'].sort());
    expect(Object.values(seen.found).every(Boolean)).toBe(true);
    expect(seen.runs).toBe(ACCEPTED.length);
    expect(seen.statuses).toEqual(['FINISHED']);
  });

  it('wrote nothing outside the store and .xp/ (a name like ../x is a name, not a path)', () => {
    const outside = filesUnder(dir).filter((file) => !file.startsWith('work/mlruns/') && !file.startsWith('work/.xp/') && file !== 'probe.yaml');
    expect(outside).toEqual([]);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(existsSync(join(dir, '..', 'b'))).toBe(false);
  });

  it('xp compare prints those names read back from the store with no control character raw', () => {
    const result = xp(['compare', '--experiment', ACCEPTED[1]], { cwd: work });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(ACCEPTED[1]);
  });

  it.each(REFUSED)('refuses %j at its --set argument, naming %s, and creates nothing', (name, codePoint) => {
    const fresh = tempDir('xp-names-refused-');
    const result = xp(['run', spec, '--set', `tracking.experiment=${name}`], { cwd: fresh });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--set tracking.experiment=');
    expect(result.stderr).toContain(`tracking.experiment: contains the control character ${codePoint}`);
    expectNoRawControls(result.stderr);
    expect(readdirSync(fresh)).toEqual([]);
  });

  it('holds $MLFLOW_EXPERIMENT_NAME to the same rule when the spec names no experiment', () => {
    const fresh = tempDir('xp-names-refused-');
    const result = xp(['run', spec], { cwd: fresh, env: { MLFLOW_EXPERIMENT_NAME: 'env\u009bname' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tracking.experiment: $MLFLOW_EXPERIMENT_NAME, which names the experiment, contains the control character U+009B at character 4');
    expectNoRawControls(result.stderr);
    expect(readdirSync(fresh)).toEqual([]);
  });

  it('refuses a name of 257 characters and an empty one', () => {
    const fresh = tempDir('xp-names-refused-');
    const long = xp(['validate', spec, '--set', `tracking.experiment=${'x'.repeat(257)}`], { cwd: fresh });
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('expected: at most 256 characters');
    const empty = xp(['validate', spec, '--set', 'tracking.experiment='], { cwd: fresh });
    expect(empty.code).toBe(2);
    expect(readdirSync(fresh)).toEqual([]);
  });
});

describe.skipIf(skipPython)('xp compare on a store another tool wrote with control characters', () => {
  it('prints the experiment, run names, params and messages escaped, and --format json stays JSON', () => {
    const work = tempDir('xp-names-compare-');
    const name = 'evil\u001b[2J\u009b31m';
    const script = `
import mlflow, sys
mlflow.set_tracking_uri(${JSON.stringify(`file://${join(work, 'mlruns')}`)})
mlflow.set_experiment(sys.argv[1])
with mlflow.start_run(run_name="run\\x1b]0;pwned\\x07"):
    mlflow.log_param("train.lr", "0.1\\x1b[31m")
    mlflow.set_tag("xp.message", "boom\\x1b[2J")
    mlflow.log_metric("E", 0.5)
`;
    const python = spawnSync('python3', ['-c', script, name], { encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    expect(python.status, python.stderr.slice(-2000)).toBe(0);
    for (const format of ['table', 'csv', 'json']) {
      const result = xp(['compare', '--experiment', name, '--all', '--format', format], { cwd: work });
      expect(result.code, result.stderr).toBe(0);
      expectNoRawControls(result.stdout);
      expectNoRawControls(result.stderr);
      if (format === 'table') expect(result.stdout).toContain('\\u001b');
      if (format === 'json') expect(JSON.stringify(JSON.parse(result.stdout))).toContain('run\\u001b]0;pwned\\u0007');
    }
  });
});

describe('names that try to leave the store, in the spec file', () => {
  const cases: Array<{ title: string; extra: string; name?: string; line: number; column: number; message: string }> = [
    { title: 'name: ../../x', extra: '', name: '../../x', line: 1, column: 7, message: 'name: badly formed' },
    {
      title: 'a variant named a/../../b',
      extra: 'sweep:\n  variants:\n    - name: a/../../b\n      set: {train.lr: 0.1}\n',
      line: 9,
      column: 13,
      message: 'sweep.variants.0.name: badly formed',
    },
    { title: 'a name of 101 characters', extra: '', name: 'n'.repeat(101), line: 1, column: 7, message: 'name: must NOT have more than 100 characters' },
    {
      title: 'a variant name of 101 characters',
      extra: `sweep:\n  variants:\n    - name: ${'v'.repeat(101)}\n      set: {train.lr: 0.1}\n`,
      line: 9,
      column: 13,
      message: 'sweep.variants.0.name: must NOT have more than 100 characters',
    },
    {
      title: 'a vars key with .. (it would become the param name vars.../../escape-var)',
      extra: 'vars:\n  "../../escape-var": 1\n',
      line: 8,
      column: 3,
      message: 'vars.../../escape-var: this key cannot be an MLflow param name',
    },
    {
      title: 'a vars key with a control character',
      extra: 'vars:\n  "bad\\x1bkey": 1\n',
      line: 8,
      column: 3,
      message: 'vars.bad\\u001bkey: this key cannot be an MLflow param name',
    },
    {
      title: 'a grid whose variant names would pass 200 characters',
      extra: `vars: {${Array.from({ length: 6 }, (_, i) => `${'v'.repeat(40)}${i}: 1`).join(', ')}}\nsweep:\n  grid:\n${Array.from({ length: 6 }, (_, i) => `    vars.${'v'.repeat(40)}${i}: [1]`).join('\n')}\n`,
      line: 9,
      column: 3,
      message: "sweep: a variant's name is 263 characters long, too long for a run name",
    },
  ];

  // Refused before any launcher starts; --jobs 2 is tried on the path-like names, where it matters most.
  for (const [index, { title, extra, name, line, column, message }] of cases.entries()) {
    for (const jobs of index < 2 ? [[], ['--jobs', '2']] : [[]]) {
      it(`refuses ${title} at file:${line}:${column}${jobs.length ? ' (--jobs 2)' : ''}, and writes nothing`, () => {
        const root = tempDir('xp-leave-');
        const work = join(root, 'a', 'b');
        mkdirSync(work, { recursive: true });
        const file = join(work, 'spec.yaml');
        let text = toySpec(extra);
        if (name !== undefined) text = text.replace('name: names-probe', `name: ${name}`);
        writeFileSync(file, text);
        // validate and run refuse alike; run is the one that could create something.
        const results = jobs.length ? [xp(['run', 'spec.yaml', ...jobs], { cwd: work })] : [xp(['validate', 'spec.yaml'], { cwd: work }), xp(['run', 'spec.yaml'], { cwd: work })];
        for (const result of results) {
          expect(result.code, result.stderr).toBe(2);
          expect(result.stderr).toContain(`spec.yaml:${line}:${column}: ${message}`);
          expectNoRawControls(result.stderr);
        }
        expect(filesUnder(root)).toEqual(['a/b/spec.yaml']);
      });
    }
  }

  it('keeps tracking.experiment: ../x inside the store under both launchers, and nothing lands outside it', () => {
    const root = tempDir('xp-leave-');
    const work = join(root, 'a', 'b');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'spec.yaml'), toySpec('tracking: {experiment: ../x}\nsweep:\n  grid:\n    train.lr: [0.1, 0.5]\n'));
    for (const jobs of [[], ['--jobs', '2']]) {
      const result = xp(['run', 'spec.yaml', '--force', ...jobs], { cwd: work });
      expect(result.code, result.stderr).toBe(0);
    }
    const outside = filesUnder(root).filter((file) => !file.startsWith('a/b/mlruns/') && !file.startsWith('a/b/.xp/') && file !== 'a/b/spec.yaml');
    expect(outside).toEqual([]);
    expect(existsSync(join(root, 'a', 'x'))).toBe(false);
    const compare = xp(['compare', '--experiment', '../x', '--all', '--format', 'json'], { cwd: work });
    expect(compare.code, compare.stderr).toBe(0);
    expect(compare.stdout).toContain('lr');
  });
});
