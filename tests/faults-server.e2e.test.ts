/**
 * An MLflow server that misbehaves, with real parts: `mlflow server` (sqlite), xp's binary, and a
 * proxy in between that fails on purpose (fixtures/flaky-proxy.ts). Each sweep is counted against the
 * same sweep run straight into the server ("clean"), read back with MLflow's Python client:
 * - a proxy that answers 503 to a third of the requests;
 * - one that forwards a third of the requests (and every other run creation) and drops the answer:
 *   run creation is idempotent (xp.runKey), so no empty duplicate runs, and each point is there once;
 * - a server killed mid-sweep and started again: runs spool, `xp sync` delivers everything once;
 * - a server without an artifact proxy (`--no-serve-artifacts`): `xp sync` delivers params, metrics and
 *   status of every spooled run, says which files it could not deliver, and exits 0.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlakyProxy, type FaultMode } from './fixtures/flaky-proxy.ts';
import { dumpExperiment, pointKeys, pythonMlflowMissing, type DumpedRun } from './fixtures/mlflow-dump.ts';
import { freePort, mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { tempDir, xp, XP_BIN } from './helpers.ts';

const toy = (steps: number) => `name: toy-faults
kind: toy-mlp
data:
  inputs: [0.05, 0.1]
  targets: [0.01, 0.99]
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train:
  steps: ${steps}
  lr: 0.1
sweep:
  grid:
    train.lr: [0.1, 0.5, 1]
`;
const RUNS = 4; // the parent and three children
const LONG = 900_000;

/** `xp` without blocking this process: the proxy runs in it and must keep answering meanwhile. */
function xpAsync(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** What must match the clean run: names, statuses, params, and each metric's steps and values (times differ). */
function summary(runs: DumpedRun[]) {
  return runs
    .map((run) => ({
      name: run.name,
      status: run.status,
      // Each sweep is in an experiment of its own; everything else it records is the clean run's.
      params: Object.fromEntries(Object.entries(run.params).filter(([key]) => key !== 'tracking.experiment')),
      points: Object.fromEntries(
        Object.entries(run.metrics)
          .filter(([key]) => key !== 'wall_time_s')
          .map(([key, points]) => [key, points.map(([step, value]) => [step, value]).sort((a, b) => a[0] - b[0])]),
      ),
      wallTimePoints: run.metrics.wall_time_s?.length ?? 0,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function expectEachOnce(runs: DumpedRun[]): void {
  const keys = pointKeys(runs);
  expect(new Set(keys).size, 'a metric point appears twice').toBe(keys.length);
  // No empty duplicate run: each run name once (a retried creation would add a second, empty one).
  expect(runs.map((run) => run.name).sort()).toEqual([...new Set(runs.map((run) => run.name))].sort());
}

const skip = mlflowSkipReason() ?? (pythonMlflowMissing ? 'python3 cannot import mlflow' : null);
describe.skipIf(skip !== null)(`xp against a failing MLflow server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: MlflowServer;
  let dir: string;
  let clean: ReturnType<typeof summary>;
  beforeAll(async () => {
    dir = tempDir('xp-faults-server-');
    writeFileSync(join(dir, 'toy.yaml'), toy(30));
    server = await startMlflowServer(dir, { timeoutMs: 600_000 });
    const result = xp(['run', 'toy.yaml', '--tracking-uri', server.url, '--set', 'tracking.experiment=clean'], { cwd: dir, timeoutMs: LONG });
    expect(result.code, result.stderr).toBe(0);
    const { runs } = dumpExperiment(server.url, 'clean');
    expect(runs).toHaveLength(RUNS);
    clean = summary(runs);
  }, LONG);
  afterAll(async () => server?.kill());

  for (const mode of ['refuse', 'drop-answer'] as FaultMode[]) {
    it(`${mode === 'refuse' ? '503 to a third of the requests' : 'answers lost after the server acted'}: every run once, every param once, every point once`, async () => {
      const proxy = await startFlakyProxy(server.url, mode);
      try {
        const experiment = `through-${mode}`;
        const result = await xpAsync(['run', 'toy.yaml', '--tracking-uri', proxy.url, '--set', `tracking.experiment=${experiment}`], dir);
        expect(result.code, result.stderr).toBe(0);
        expect(proxy.counts.failed).toBeGreaterThan(5);
        expect(proxy.counts.failedCreates).toBeGreaterThan(0);
        if (/spooled/.test(result.stderr)) {
          const sync = await xpAsync(['sync'], dir);
          expect(sync.code, sync.stderr).toBe(0);
        }
        const { runs } = dumpExperiment(server.url, experiment);
        expect(runs).toHaveLength(RUNS);
        expectEachOnce(runs);
        expect(runs.every((run) => run.tags['xp.runKey'])).toBe(true);
        expect(summary(runs)).toEqual(clean);
      } finally {
        await proxy.close();
      }
    }, LONG);
  }

  it('a server killed mid-sweep and started again: the runs spool, xp sync delivers every point once', async () => {
    const work = tempDir('xp-faults-restart-');
    writeFileSync(join(work, 'toy.yaml'), toy(30));
    const own = await startMlflowServer(work, { timeoutMs: 600_000 });
    try {
      const child = spawn(process.execPath, [XP_BIN, 'run', 'toy.yaml', '--tracking-uri', own.url, '--set', 'tracking.experiment=clean'], {
        cwd: work,
        env: { ...process.env, MLFLOW_TRACKING_URI: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
      // Down as soon as the sweep's first run is there, up again a little later, while the sweep goes on.
      for (;;) {
        const response = await fetch(`${own.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=clean`).catch(() => null);
        if (response?.ok) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await own.kill();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await own.restart();
      expect(await exited, output).toBe(0);
      expect(output).toMatch(/Training goes on; tracking writes are spooled/);
      const sync = xp(['sync'], { cwd: work, timeoutMs: LONG });
      expect(sync.code, sync.stderr + sync.stdout).toBe(0);
      const { runs } = dumpExperiment(own.url, 'clean');
      expect(runs).toHaveLength(RUNS);
      expectEachOnce(runs);
      expect(summary(runs)).toEqual(clean);
    } finally {
      await own.kill();
    }
  }, LONG);

  it('xp sync to a server without an artifact proxy: params, metrics and status of every run, the files listed, exit 0', async () => {
    const work = tempDir('xp-faults-noproxy-');
    writeFileSync(join(work, 'toy.yaml'), toy(30));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Down from the start: everything spools, artifacts included.
    const run = xp(['run', 'toy.yaml', '--tracking-uri', url, '--set', 'tracking.experiment=clean'], { cwd: work, timeoutMs: LONG });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/4 runs spooled/);
    const own = await startMlflowServer(work, { port, timeoutMs: 600_000, serveArtifacts: false });
    try {
      const sync = xp(['sync'], { cwd: work, timeoutMs: LONG });
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.stdout).toMatch(/delivered from 4 spooled run\(s\)/);
      expect(sync.stderr).toMatch(/params, metrics and status were delivered, but not its \d+ file\(s\): .* does not proxy artifacts .*; they stay in .*\.xp\/runs\//);
      expect(xp(['sync'], { cwd: work, timeoutMs: LONG }).stdout).toBe('nothing to sync\n');
      const { runs } = dumpExperiment(url, 'clean');
      expect(runs).toHaveLength(RUNS);
      expectEachOnce(runs);
      expect(runs.every((r) => r.status === 'FINISHED')).toBe(true);
      // The same as a clean run, artifacts apart.
      expect(summary(runs)).toEqual(clean);
    } finally {
      await own.kill();
    }
  }, LONG);
});
