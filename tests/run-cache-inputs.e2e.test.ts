/**
 * The run cache and the files a job reads beyond its spec (ExperimentKind.inputsKey), through the real
 * `xp` binary: a command-kind script run twice is answered from the cache the second time, and trained
 * again once the script is edited; a CNN on a tiny image folder likewise, once one image changes.
 * `xp plan` tells the same (its lookup hashes the job as `xp run` does).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDigitFolder } from '../packages/data/src/datasets/mnist-fixtures.ts';
import { tempDir, xp } from './helpers.ts';

interface RunJson {
  runs: Array<{ name: string; runId: string; status: string; cached?: boolean; metrics: Record<string, number> }>;
}
interface PlanJson {
  runs: Array<{ name: string; cached: string | null }>;
}
const lastJson = <T>(result: ReturnType<typeof xp>): T => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
};

describe('the run cache and a command-kind script', () => {
  const dir = tempDir('xp-cache-command-');
  const script = (score: number) => `console.log(JSON.stringify({ step: 1, metrics: { score: ${score} } }));\n`;
  writeFileSync(join(dir, 'score.mjs'), script(0.5));
  writeFileSync(join(dir, 'spec.yaml'), `name: scored\nkind: command\ncommand: [node, score.mjs, --lr, '\${params.lr}']\nparams: {lr: 0.1}\n`);
  const env = { XP_DATASET_CACHE: join(dir, 'cache') };
  const run = () => lastJson<RunJson>(xp(['run', 'spec.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env })).runs[0];
  const plan = () => {
    const result = xp(['plan', 'spec.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as PlanJson).runs[0];
  };

  it('answers the second run from the cache, and trains again after the script is edited', () => {
    const first = run();
    expect(first).toMatchObject({ status: 'passed', metrics: { score: 0.5 } });
    expect(first.cached).toBeUndefined();
    expect(plan().cached).toBe(first.runId);

    const second = run();
    expect(second).toMatchObject({ cached: true, runId: first.runId });

    writeFileSync(join(dir, 'score.mjs'), script(0.75));
    expect(plan().cached).toBeNull();
    const third = run();
    expect(third.cached).toBeUndefined();
    expect(third.runId).not.toBe(first.runId);
    expect(third.metrics.score).toBe(0.75);
  });
});

describe('the run cache and an image-folder dataset', () => {
  const dir = tempDir('xp-cache-images-');
  writeDigitFolder(join(dir, 'digits/train'), { split: 'train', count: 100 });
  writeDigitFolder(join(dir, 'digits/test'), { split: 'test', count: 100 });
  writeFileSync(
    join(dir, 'tiny.yaml'),
    `name: tiny-folder
kind: cnn-classifier
seed: 1
backend: cpu
data: {dataset: image-folder, train: digits/train, test: digits/test, normalize: auto, validationSplit: 0, trainLimit: 60}
model:
  blocks:
    all: [{conv2d: {filters: 2, kernel: 3, stride: 2}}, relu, {maxpool: {size: 2}}, flatten, {dense: {units: 10}}, log-softmax]
train: {epochs: 1, batchSize: 30, optimizer: sgd, lr: 0.05, checkpoint: false, workers: 1}
`,
  );
  const env = { XP_DATASET_CACHE: join(dir, 'cache') };
  const run = () => lastJson<RunJson>(xp(['run', 'tiny.yaml', '--json', '--tracking-uri', join(dir, 'mlruns')], { cwd: dir, env, timeoutMs: 170_000 })).runs[0];

  it('answers the second run from the cache, and trains again after one image changed', () => {
    const first = run();
    expect(first.status).toBe('passed');
    expect(first.cached).toBeUndefined();
    expect(run()).toMatchObject({ cached: true, runId: first.runId });

    // One training image replaced by another class's: same names, other bytes.
    const folder = join(dir, 'digits/train');
    const [seven] = readdirSync(join(folder, '7'));
    const [one] = readdirSync(join(folder, '1'));
    writeFileSync(join(folder, '7', seven), readFileSync(join(folder, '1', one)));
    const third = run();
    expect(third.status).toBe('passed');
    expect(third.cached).toBeUndefined();
    expect(third.runId).not.toBe(first.runId);
  });
});
