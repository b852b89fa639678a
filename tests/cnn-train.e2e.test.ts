/**
 * The cnn-classifier kind through the real `xp` binary: one epoch of a small network on a slice of
 * MNIST on wasm, tracked in a file store; then the checkpoint it wrote is loaded back with tfjs.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@xp/models';
import { describe, expect, it } from 'vitest';
import { loadCheckpointModel } from '../packages/runner/src/kinds/cnn-classifier/train/checkpoint.ts';
import { tempDir, xp, XP_BIN } from './helpers.ts';

const SMALL_CNN = `name: cnn-small
kind: cnn-classifier
seed: 3
backend: wasm
data: {trainLimit: 2000, testLimit: 500}
model:
  blocks:
    features:
      - conv2d: {filters: 8, kernel: 3}
      - relu
      - batchnorm
      - spatial-dropout: 0.05
      - maxpool: {size: 2}
      - conv2d: {filters: 16, kernel: 3}
      - relu
      - batchnorm
      - maxpool: {size: 2}
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: 1, batchSize: 64, optimizer: adam, lr: 0.01}
constraints:
  minTestAccuracy: 0.5
  requireLayers: [batchnorm, dropout, dense]
`;

interface RunJson {
  experiment: string;
  runs: { name: string; runId: string; status: string; metrics: Record<string, number>; artifacts: Record<string, string> }[];
}

describe('xp run on a cnn-classifier spec', () => {
  const dir = tempDir('xp-cnn-e2e-');
  writeFileSync(join(dir, 'small.yaml'), SMALL_CNN);
  const result = xp(['run', 'small.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, timeoutMs: 170_000 });

  it('trains one epoch: exit 0, loss below chance, accuracy well above it', () => {
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson;
    expect(report.experiment).toBe('cnn-small');
    expect(report.runs).toHaveLength(1);
    const [run] = report.runs;
    expect(run.status).toBe('passed');
    expect(Object.keys(run.metrics).sort()).toEqual(
      ['best_epoch', 'best_test_accuracy', 'epochs', 'final_epoch', 'judged_accuracy', 'test_accuracy', 'test_loss', 'train_loss'].sort(),
    );
    expect(run.metrics.epochs).toBe(1);
    expect(run.metrics.test_accuracy).toBeGreaterThan(0.5);
    // Untrained, the loss is ln 10 ≈ 2.30 (uniform over ten classes).
    expect(run.metrics.train_loss).toBeLessThan(Math.log(10));
    expect(run.metrics.test_loss).toBeLessThan(0.8 * Math.log(10));
    expect(result.stderr).toMatch(/Test set: Average loss: \d+\.\d{4}, Accuracy: \d+\/500 \(\d+\.\d{2}%\)/);
    expect(result.stderr).toMatch(/final accuracy [\d.]+% \(epoch 1\), best [\d.]+% \(epoch 1\)/);
  });

  it('records per-epoch metrics and the backend in the run', () => {
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson;
    const runDir = join(report.runs[0].artifacts['checkpoint/model.json'], '..', '..', '..');
    for (const key of ['train_loss', 'test_loss', 'test_accuracy', 'epoch_time_s', 'lr']) {
      const line = readFileSync(join(runDir, 'metrics', key), 'utf8').trim().split('\n');
      expect(line).toHaveLength(1);
      expect(line[0].split(' ')[2]).toBe('1');
    }
    expect(readFileSync(join(runDir, 'tags', 'backend'), 'utf8')).toBe('wasm');
  });

  it('leaves a checkpoint that tfjs loads and that predicts log-probabilities', async () => {
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson;
    const artifacts = report.runs[0].artifacts;
    for (const name of ['model.json', 'weights.bin', 'optimizer.bin', 'state.json']) expect(existsSync(artifacts[`checkpoint/${name}`])).toBe(true);
    const state = JSON.parse(readFileSync(artifacts['checkpoint/state.json'], 'utf8'));
    expect(state).toMatchObject({ epoch: 1, batch: 0, seed: 3, optimizer: { name: 'adam', iterations: 32 } });
    const model = await loadCheckpointModel(join(artifacts['checkpoint/model.json'], '..'));
    const output = model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(output.shape).toEqual([2, 10]);
    const sums = tf.sum(tf.exp(output), 1).dataSync();
    for (const s of sums) expect(s).toBeCloseTo(1, 4);
  });
});

describe('Ctrl-C during a cnn-classifier run', () => {
  it('finishes the batch, saves a mid-epoch checkpoint and exits 130', async () => {
    const dir = tempDir('xp-cnn-sigint-');
    writeFileSync(join(dir, 'small.yaml'), SMALL_CNN.replace('trainLimit: 2000', 'trainLimit: 30000'));
    const child = spawn(process.execPath, [XP_BIN, 'run', 'small.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], {
      cwd: dir,
      env: { ...process.env, MLFLOW_TRACKING_URI: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    // Interrupt once training is under way (the progress bar's first line).
    child.stderr.on('data', (chunk) => {
      const before = stderr;
      stderr += chunk;
      if (!before.includes('epoch 1/1 |') && stderr.includes('epoch 1/1 |')) setTimeout(() => child.kill('SIGINT'), 300);
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted at epoch 1, batch \d+\/469; checkpoint saved/);
    const run = (JSON.parse(stdout.trim().split('\n').pop()!) as RunJson).runs[0];
    expect(run.status).toBe('killed');
    const state = JSON.parse(readFileSync(run.artifacts['checkpoint/state.json'], 'utf8'));
    expect(state.epoch).toBe(0);
    expect(state.batch).toBeGreaterThan(0);
    expect(state.batch).toBeLessThan(469);
    expect(state.optimizer.iterations).toBe(state.batch);

    // The summary prints the killed run's epochs as an integer, and its id's first 8 characters.
    expect(stderr).toMatch(new RegExp(`KILLED .* ${run.runId.slice(0, 8)}  epochs=0 `));
    // xp run --resume, given those 8 characters, continues the killed run from that checkpoint, in the same tracked run.
    const resumed = xp(['run', 'small.yaml', '--json', '--tracking-uri', join(dir, 'mlruns'), '--resume', run.runId.slice(0, 8)], { cwd: dir, timeoutMs: 170_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resum\\w* .*epoch 1, batch ${state.batch}`, 'i'));
    const finished = (JSON.parse(resumed.stdout.trim().split('\n').pop()!) as RunJson).runs[0];
    expect(finished.status).toBe('passed');
    expect(finished.runId).toBe(run.runId);
    expect(finished.metrics.epochs).toBe(1);
  }, 300_000);
});
