/**
 * The wasm engine's opt-in arithmetic, XP_WASM_FMA=1 (fused multiply-adds) and XP_WASM_WINOGRAD=1
 * (3×3 convolutions by Winograd F(2×2, 3×3)), through the real `xp` binary: the same sliced run of
 * the seed network with and without each. A run that used one says so in a tag, and its numbers
 * differ (in the last bits, then by what those bits grow into over the steps); the plain run
 * repeats exactly.
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
  ], { env: { XP_WASM_FMA: '0', XP_WASM_WINOGRAD: '0', ...env }, timeoutMs: 300_000 });
  expect(result.code, result.stderr).toBe(0);
  const run = (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs[0];
  const runDir = join(run.artifacts['checkpoint/model.json'], '..', '..', '..');
  const tag = (name: string) => (existsSync(join(runDir, 'tags', name)) ? readFileSync(join(runDir, 'tags', name), 'utf8') : undefined);
  return { run, fmaTag: tag('xp.wasm.fma'), winogradTag: tag('xp.wasm.winograd') };
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
});
