/**
 * SIGKILL of `xp run` with everything it started (its process group: the launcher's child processes,
 * the training's worker threads), on a small CNN with checkpoints, into the file store:
 * - in the middle of a checkpoint write (the process is frozen with SIGSTOP while `checkpoint.saving`
 *   exists, then killed), in-process;
 * - in the middle of an epoch, under `--jobs 2`.
 * Each time MLflow's Python client still reads the store, the run reads RUNNING until an xp command
 * looks (`xp compare`, `xp gc`) and marks it KILLED because its process is gone, and `--resume`
 * continues from the last complete checkpoint into the same run, which ends with each epoch's points
 * exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpExperiment, pointKeys, pythonMlflowMissing } from './fixtures/mlflow-dump.ts';
import { tempDir, xp, XP_BIN } from './helpers.ts';

const EPOCHS = 3;
const CNN = `name: cnn-kill
kind: cnn-classifier
seed: 5
backend: wasm
data: {trainLimit: 4000, testLimit: 200}
model:
  blocks:
    features:
      - conv2d: {filters: 16, kernel: 3}
      - relu
      - batchnorm
      - maxpool: {size: 2}
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: ${EPOCHS}, batchSize: 50, optimizer: adam, lr: 0.01, workers: 2}
constraints:
  minTestAccuracy: 0.3
  requireLayers: [batchnorm, dropout, dense]
tracking:
  experiment: cnn-kill
`;
const LONG = 900_000;
const EPOCH_KEYS = ['epoch_time_s', 'lr', 'test_accuracy', 'test_loss', 'train_loss'];

/** The artifacts folder of the experiment's one run, once it exists. */
function runArtifacts(store: string): string | null {
  if (!existsSync(store)) return null;
  for (const experiment of readdirSync(store)) {
    const dir = join(store, experiment);
    if (!/^\d+$/.test(experiment) || experiment === '0') continue;
    for (const run of readdirSync(dir)) {
      const artifacts = join(dir, run, 'artifacts');
      if (existsSync(join(dir, run, 'meta.yaml')) && existsSync(artifacts)) return artifacts;
    }
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `xp run` in a process group of its own and kills the group where `when` says: 'checkpoint'
 * while a checkpoint is being written, 'epoch' in the middle of the second epoch.
 */
async function runAndKill(dir: string, args: string[], when: 'checkpoint' | 'epoch'): Promise<{ output: string; caught: string }> {
  const child = spawn(process.execPath, [XP_BIN, 'run', 'cnn.yaml', ...args], { cwd: dir, detached: true, env: { ...process.env, MLFLOW_TRACKING_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const group = -child.pid!;
  const deadline = Date.now() + LONG;
  let artifacts: string | null = null;
  while (!(artifacts = runArtifacts(join(dir, 'mlruns')))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no run appeared:\n${output}`);
    await sleep(100);
  }
  const saving = join(artifacts, 'checkpoint.saving');
  let caught = '';
  if (when === 'checkpoint') {
    // Freeze the group the moment a save starts; if the save was already done by then, let it go on.
    caught = await new Promise<string>((resolve, reject) => {
      const watcher = watch(artifacts!, (_event, name) => {
        if (name !== 'checkpoint.saving' || !existsSync(saving)) return;
        process.kill(group, 'SIGSTOP');
        if (existsSync(saving)) {
          watcher.close();
          resolve(readdirSync(saving).sort().join(','));
        } else {
          process.kill(group, 'SIGCONT');
        }
      });
      void exited.then(() => reject(new Error(`xp run ended before a checkpoint write was caught:\n${output}`)));
    });
  } else {
    // The first checkpoint is whole: the second epoch is under way.
    while (!existsSync(join(artifacts, 'checkpoint', 'state.json'))) {
      if (child.exitCode !== null) throw new Error(`xp run ended early:\n${output}`);
      await sleep(50);
    }
    await sleep(300);
  }
  process.kill(group, 'SIGKILL');
  await exited;
  return { output, caught };
}

describe.skipIf(pythonMlflowMissing)(`SIGKILL of xp run${pythonMlflowMissing ? ' (skipped: python3 cannot import mlflow)' : ''}`, () => {
  for (const [when, launcher] of [['checkpoint', []], ['epoch', ['--jobs', '2']]] as const) {
    it(`mid-${when}${launcher.length ? ` under ${launcher.join(' ')}` : ' in-process'}: the store reads, the run is marked KILLED, --resume ends it with each point once`, async () => {
      const dir = tempDir('xp-faults-kill-');
      writeFileSync(join(dir, 'cnn.yaml'), CNN);
      const uri = `file://${join(dir, 'mlruns')}`;
      const { output, caught } = await runAndKill(dir, [...launcher], when);
      if (when === 'checkpoint') expect(caught, 'frozen in the middle of a checkpoint write').not.toContain('state.json');

      const killed = dumpExperiment(uri, 'cnn-kill');
      const job = () => dumpExperiment(uri, 'cnn-kill').runs.find((run) => run.tags['xp.sweep'] !== 'parent')!;
      expect(killed.runs.map((run) => run.status)).toContain('RUNNING');
      const runId = job().runId;
      expect(job().tags['xp.owner.pid'], output).toMatch(/^\d+$/);

      // The next xp command that reads the store marks it; a second finds nothing left to mark.
      const compare = xp(['compare', '--experiment', 'cnn-kill'], { cwd: dir, timeoutMs: LONG });
      expect(compare.code, compare.stderr).toBe(0);
      expect(compare.stderr).toContain(`marked run ${runId.slice(0, 8)}`);
      expect(job().status).toBe('KILLED');
      expect(job().endTime).not.toBeNull();
      expect(dumpExperiment(uri, 'cnn-kill').runs.every((run) => run.status !== 'RUNNING')).toBe(true);
      const gc = xp(['gc'], { cwd: dir, timeoutMs: LONG });
      expect(gc.code, gc.stderr).toBe(0);
      expect(gc.stdout).toBe('0 run(s) marked KILLED\n');

      const resumed = xp(['run', 'cnn.yaml', '--resume', runId.slice(0, 8), ...launcher], { cwd: dir, timeoutMs: LONG });
      expect(resumed.code, resumed.stderr).toBe(0);
      const from = /resuming from .*: epoch (\d+), batch (\d+), (\d+) epoch\(s\) done/.exec(resumed.stderr);
      expect(from, resumed.stderr).not.toBeNull();
      const done = Number(from![3]);
      expect(done).toBeLessThan(EPOCHS);
      // Mid-epoch: from the checkpoint of the epoch before (the first at least was whole).
      if (when === 'epoch') expect(done).toBeGreaterThan(0);

      const after = job();
      expect(after.runId).toBe(runId);
      expect(after.status).toBe('FINISHED');
      for (const key of EPOCH_KEYS) expect(after.metrics[key].map(([step]) => step).sort(), key).toEqual([1, 2, 3]);
      expect(after.metrics.params.map(([step]) => step)).toEqual([0]);
      const keys = pointKeys([after]);
      expect(new Set(keys).size).toBe(keys.length);
      expect(after.artifacts).toContain('checkpoint/state.json');
    }, LONG);
  }
});
