/**
 * `xp run --resume` continues the configuration the run recorded (#25 item 1): a run started with
 * overrides and interrupted resumes with those overrides' values even when the resume command omits
 * them; overrides that would change it are refused with every difference listed; the killed run's
 * summary prints the exact command that resumes it. And the resumed run's `params` point at step 0
 * is not logged a second time (#26 item 9).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, xp, XP_BIN } from './helpers.ts';

const SPEC = `name: cnn-resume
kind: cnn-classifier
seed: 3
backend: wasm
data: {trainLimit: 6000, testLimit: 1000}
model:
  blocks:
    features:
      - conv2d: {filters: 4, kernel: 3}
      - relu
      - batchnorm
      - maxpool: {size: 2}
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: 1, batchSize: 32, optimizer: adam, lr: 0.01, workers: 1}
constraints:
  minTestAccuracy: 0.3
  requireLayers: [batchnorm, dropout, dense]
`;

interface RunJson {
  runs: { name: string; runId: string; status: string; metrics: Record<string, number>; params: Record<string, unknown> }[];
}

const lastJson = (stdout: string): RunJson => JSON.parse(stdout.trim().split('\n').pop()!) as RunJson;

/** The lines of one metric's file in the MLflow file store: one per logged point. */
function metricPoints(mlruns: string, runId: string, key: string): string[] {
  for (const experiment of readdirSync(mlruns)) {
    try {
      return readFileSync(join(mlruns, experiment, runId, 'metrics', key), 'utf8').trim().split('\n');
    } catch {
      // not this experiment
    }
  }
  throw new Error(`no metric ${key} for run ${runId}`);
}

describe('xp run --resume continues the recorded configuration', () => {
  it('resumes with the overrides the run started with, refuses changes, prints the resume command', async () => {
    const dir = tempDir('xp-resume-config-');
    const mlruns = join(dir, 'mlruns');
    writeFileSync(join(dir, 'small.yaml'), SPEC);
    // Started with overrides, interrupted during its first epoch.
    const child = spawn(process.execPath, [XP_BIN, 'run', 'small.yaml', '--json', '--tracking-uri', mlruns, '--set', 'data.trainLimit=4000', 'train.epochs=2', 'data.testLimit=300'], {
      cwd: dir,
      env: { ...process.env, MLFLOW_TRACKING_URI: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      const before = stderr;
      stderr += chunk;
      if (!before.includes('epoch 1/2') && stderr.includes('epoch 1/2')) setTimeout(() => child.kill('SIGINT'), 200);
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, stderr).toBe(130);
    const killed = lastJson(stdout).runs[0];
    expect(killed.status).toBe('killed');
    const id = killed.runId.slice(0, 8);
    // The summary says how to resume it, exactly.
    const command = `npx xp run small.yaml --resume ${id} --tracking-uri ${mlruns}`;
    expect(stderr).toContain(`resume cnn-resume: ${command}`);

    // Overrides that would change what the run recorded: refused, every difference listed, nothing trained.
    const changed = xp(['run', 'small.yaml', '--tracking-uri', mlruns, '--resume', id, 'train.epochs=3'], { cwd: dir });
    expect(changed.code, changed.stderr).toBe(2);
    expect(changed.stderr).toMatch(/a resumed run continues the configuration it recorded/);
    expect(changed.stderr).toMatch(/train\.epochs: 2 recorded, 3 now/);
    expect(changed.stderr).toMatch(/data\.trainLimit: 4000 recorded, 6000 now/);
    expect(changed.stderr).toMatch(/data\.testLimit: 300 recorded, 1000 now/);
    expect(changed.stderr).not.toMatch(/epoch \d\/\d/);

    // The printed command, which has none of the overrides: the run goes on as recorded.
    const resumed = xp([...command.replace(/^npx xp /, '').split(' '), '--json'], { cwd: dir, timeoutMs: 170_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run \w+ with the configuration it recorded \(resolved-spec\.json\); the spec differs today in 3 field\(s\), not applied/);
    expect(resumed.stderr).toMatch(/data: 4000 training, 300 test images/);
    expect(resumed.stderr).not.toMatch(/changed since, not recorded/);
    const run = lastJson(resumed.stdout).runs[0];
    expect(run.runId).toBe(killed.runId);
    expect(run.metrics.epochs).toBe(2);
    expect(run.params['data.trainLimit']).toBe(4000);

    // #26 item 9: one `params` point, as an uninterrupted run has.
    expect(metricPoints(mlruns, run.runId, 'params')).toHaveLength(1);
  }, 300_000);
});
