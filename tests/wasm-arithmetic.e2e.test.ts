/**
 * The wasm engine's arithmetic as the spec sets it, train.fusedMultiplyAdd (relaxed SIMD's fused
 * multiply-adds) and train.winograd (3×3 convolutions by Winograd F(2×2, 3×3)), and its kernel
 * threads (train.parallelism kernel-threads over train.workers: filter gradients summed in fixed
 * groups), all three the default, through the real `xp` binary: the same sliced run of the seed
 * network with each on alone, all off, and the defaults. A run that used one says so in a tag, and
 * its numbers differ (in the last bits, then by what those bits grow into over the steps); every
 * setting repeats exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, xp } from './helpers.ts';

type RunJson = { runs: { status: string; metrics: Record<string, number>; artifacts: Record<string, string> }[] };
type Sliced = ReturnType<typeof sliced>;

/** Both arithmetic switches off, on one thread: the engine's plain path. */
const PLAIN = ['train.fusedMultiplyAdd=false', 'train.winograd=false', 'train.workers=1'];

function sliced(sets: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('xp-arith-');
  const result = xp([
    'run', 'experiments/cnn-19816.yaml', '--json', '--tracking-uri', join(dir, 'mlruns'),
    '--set', 'data.trainLimit=1024', '--set', 'data.testLimit=300', '--set', 'train.epochs=1', '--set', 'constraints.minTestAccuracy=0',
    ...sets.flatMap((set) => ['--set', set]),
  ], { env: { XP_WASM_FMA: '', XP_WASM_WINOGRAD: '', XP_WASM_THREADS: '', ...env }, timeoutMs: 300_000 });
  expect(result.code, result.stderr).toBe(0);
  const run = (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs[0];
  const runDir = join(run.artifacts['checkpoint/model.json'], '..', '..', '..');
  const tag = (name: string) => (existsSync(join(runDir, 'tags', name)) ? readFileSync(join(runDir, 'tags', name), 'utf8') : undefined);
  return { run, stderr: result.stderr, fmaTag: tag('xp.wasm.fma'), winogradTag: tag('xp.wasm.winograd'), kernelThreadsTag: tag('xp.wasm.kernelThreads'), threadsTag: tag('xp.threads') };
}

/** Rounding, not a different computation: the losses agree to a few parts in a thousand. */
function expectRoundingApart(other: Sliced, plain: Sliced) {
  expect(other.run.status).toBe('passed');
  expect(other.run.metrics.train_loss).not.toBe(plain.run.metrics.train_loss);
  expect(Math.abs(other.run.metrics.train_loss - plain.run.metrics.train_loss)).toBeLessThan(5e-3 * plain.run.metrics.train_loss);
}

describe('the wasm engine\'s arithmetic, as the spec sets it', () => {
  let plain: Sliced;
  beforeAll(() => {
    plain = sliced(PLAIN);
  }, 300_000);

  it('plain runs (both switches off, one thread) are untagged and repeat exactly', () => {
    const again = sliced(PLAIN);
    expect(plain.fmaTag).toBeUndefined();
    expect(plain.winogradTag).toBeUndefined();
    expect(plain.kernelThreadsTag).toBeUndefined();
    expect(again.run.metrics).toEqual(plain.run.metrics);
  }, 300_000);

  it('train.fusedMultiplyAdd trains with fused multiply-adds, tags the run, and ends elsewhere than the plain run', () => {
    const fused = sliced([...PLAIN, 'train.fusedMultiplyAdd=true']);
    expect(fused.fmaTag).toBe('true');
    expect(fused.winogradTag).toBeUndefined();
    expectRoundingApart(fused, plain);
  }, 300_000);

  it('train.winograd trains with Winograd convolutions, tags the run, and ends elsewhere than the plain run', () => {
    const wino = sliced([...PLAIN, 'train.winograd=true']);
    expect(wino.winogradTag).toBe('true');
    expect(wino.fmaTag).toBeUndefined();
    expectRoundingApart(wino, plain);
  }, 300_000);

  it('two kernel threads: tagged, repeat exactly, and end elsewhere than the plain run', () => {
    const threaded = sliced([...PLAIN, 'train.workers=2']);
    const again = sliced([...PLAIN, 'train.workers=2']);
    expect(threaded.kernelThreadsTag).toBe('2');
    expect(threaded.threadsTag).toBe('2');
    expect(threaded.stderr).toContain('backend wasm (2 threads: kernel threads)');
    expect(again.run.metrics).toEqual(threaded.run.metrics);
    expectRoundingApart(threaded, plain);
  }, 600_000);

  it('by default all three are on, and the engine\'s own XP_WASM_* switches do not change a run', () => {
    const byDefault = sliced(['train.workers=2']);
    expect(byDefault.fmaTag).toBe('true');
    expect(byDefault.winogradTag).toBe('true');
    expect(byDefault.kernelThreadsTag).toBe('2');
    expectRoundingApart(byDefault, plain);
    // The spec decides; the environment's switches are for programs that use the engine directly.
    const withEnvironment = sliced(['train.workers=2'], { XP_WASM_FMA: '0', XP_WASM_WINOGRAD: '0', XP_WASM_THREADS: '1' });
    expect(withEnvironment.run.metrics).toEqual(byDefault.run.metrics);
    expect(withEnvironment.fmaTag).toBe('true');
  }, 600_000);

  it('refuses an XP_WASM_THREADS that is not a thread count, saying what it expects', () => {
    const result = xp(['bench', 'experiments/cnn-19816.yaml', '--backend', 'wasm', '--batches', '1', '--warmup', '1'], { env: { XP_WASM_THREADS: 'two' }, timeoutMs: 120_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^xp: XP_WASM_THREADS must be a whole number from 1 to 64 .*got 'two'\)?\n$/m);
    expect(result.stderr).not.toMatch(/\bat \S+ \(/); // no stack trace
  }, 120_000);
});
