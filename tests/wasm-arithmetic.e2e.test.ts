/**
 * The wasm engine's opt-in arithmetic, XP_WASM_FMA=1 (fused multiply-adds) and XP_WASM_WINOGRAD=1
 * (3×3 convolutions by Winograd F(2×2, 3×3)), and XP_WASM_THREADS=2 (kernel threads: filter
 * gradients summed in fixed groups), through the real `xp` binary: the same sliced run of the seed
 * network with and without each. A run that used one says so in a tag, and its numbers differ (in
 * the last bits, then by what those bits grow into over the steps); plain and kernel-thread runs
 * repeat exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, xp } from './helpers.ts';

type RunJson = { runs: { status: string; metrics: Record<string, number>; artifacts: Record<string, string> }[] };
type Sliced = ReturnType<typeof sliced>;

function sliced(env: NodeJS.ProcessEnv) {
  const dir = tempDir('xp-arith-');
  const result = xp([
    'run', 'experiments/cnn-19816.yaml', '--json', '--tracking-uri', join(dir, 'mlruns'), '--set', 'train.workers=1',
    '--set', 'data.trainLimit=1024', '--set', 'data.testLimit=300', '--set', 'train.epochs=1', '--set', 'constraints.minTestAccuracy=0',
  ], { env: { XP_WASM_FMA: '0', XP_WASM_WINOGRAD: '0', XP_WASM_THREADS: '', ...env }, timeoutMs: 300_000 });
  expect(result.code, result.stderr).toBe(0);
  const run = (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs[0];
  const runDir = join(run.artifacts['checkpoint/model.json'], '..', '..', '..');
  const tag = (name: string) => (existsSync(join(runDir, 'tags', name)) ? readFileSync(join(runDir, 'tags', name), 'utf8') : undefined);
  return { run, fmaTag: tag('xp.wasm.fma'), winogradTag: tag('xp.wasm.winograd'), kernelThreadsTag: tag('xp.wasm.kernelThreads') };
}

/** Rounding, not a different computation: the losses agree to a few parts in a thousand. */
function expectRoundingApart(other: Sliced, plain: Sliced) {
  expect(other.run.status).toBe('passed');
  expect(other.run.metrics.train_loss).not.toBe(plain.run.metrics.train_loss);
  expect(Math.abs(other.run.metrics.train_loss - plain.run.metrics.train_loss)).toBeLessThan(5e-3 * plain.run.metrics.train_loss);
}

describe('the wasm engine\'s opt-in arithmetic', () => {
  let plain: Sliced;
  beforeAll(() => {
    plain = sliced({});
  }, 300_000);

  it('plain runs are untagged and repeat exactly', () => {
    const again = sliced({});
    expect(plain.fmaTag).toBeUndefined();
    expect(plain.winogradTag).toBeUndefined();
    expect(plain.kernelThreadsTag).toBeUndefined();
    expect(again.run.metrics).toEqual(plain.run.metrics);
  }, 300_000);

  it('XP_WASM_FMA=1 trains with fused multiply-adds, tags the run, and ends elsewhere than the plain run', () => {
    const fused = sliced({ XP_WASM_FMA: '1' });
    expect(fused.fmaTag).toBe('true');
    expect(fused.winogradTag).toBeUndefined();
    expectRoundingApart(fused, plain);
  }, 300_000);

  it('XP_WASM_WINOGRAD=1 trains with Winograd convolutions, tags the run, and ends elsewhere than the plain run', () => {
    const wino = sliced({ XP_WASM_WINOGRAD: '1' });
    expect(wino.winogradTag).toBe('true');
    expect(wino.fmaTag).toBeUndefined();
    expectRoundingApart(wino, plain);
  }, 300_000);

  it('XP_WASM_THREADS=2 trains on two kernel threads, tags the run, repeats exactly, and ends elsewhere than the plain run', () => {
    const threaded = sliced({ XP_WASM_THREADS: '2' });
    const again = sliced({ XP_WASM_THREADS: '2' });
    expect(threaded.kernelThreadsTag).toBe('2');
    expect(again.run.metrics).toEqual(threaded.run.metrics);
    expectRoundingApart(threaded, plain);
  }, 600_000);

  it('refuses an XP_WASM_THREADS that is not a thread count, saying what it expects', () => {
    const result = xp(['bench', 'experiments/cnn-19816.yaml', '--backend', 'wasm', '--batches', '1', '--warmup', '1'], { env: { XP_WASM_THREADS: 'two' }, timeoutMs: 120_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^xp: XP_WASM_THREADS must be a whole number from 1 to 64 .*got 'two'\)?\n$/m);
    expect(result.stderr).not.toMatch(/\bat \S+ \(/); // no stack trace
  }, 120_000);
});
