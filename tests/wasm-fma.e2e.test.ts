/**
 * XP_WASM_FMA=1 through the real `xp` binary: the same sliced run of the seed network with and
 * without fused multiply-adds. The fused run says so in a tag, and its numbers differ (in the last
 * bits, then by what those bits grow into over the steps); the plain run repeats exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, xp } from './helpers.ts';

type RunJson = { runs: { status: string; metrics: Record<string, number>; artifacts: Record<string, string> }[] };

function sliced(env: NodeJS.ProcessEnv) {
  const dir = tempDir('xp-fma-');
  const result = xp([
    'run', 'experiments/cnn-19816.yaml', '--json', '--tracking-uri', join(dir, 'mlruns'), '--set', 'train.workers=1',
    '--set', 'data.trainLimit=1024', '--set', 'data.testLimit=300', '--set', 'train.epochs=1', '--set', 'constraints.minTestAccuracy=0',
  ], { env: { ...env }, timeoutMs: 300_000 });
  expect(result.code, result.stderr).toBe(0);
  const run = (JSON.parse(result.stdout.trim().split('\n').pop()!) as RunJson).runs[0];
  const runDir = join(run.artifacts['checkpoint/model.json'], '..', '..', '..');
  return { run, fmaTag: existsSync(join(runDir, 'tags', 'xp.wasm.fma')) ? readFileSync(join(runDir, 'tags', 'xp.wasm.fma'), 'utf8') : undefined };
}

describe('XP_WASM_FMA=1', () => {
  it('trains with fused multiply-adds, tags the run, and ends elsewhere than the plain run, which repeats exactly', () => {
    const plain = sliced({ XP_WASM_FMA: '0' });
    const again = sliced({ XP_WASM_FMA: '0' });
    const fused = sliced({ XP_WASM_FMA: '1' });
    expect(plain.fmaTag).toBeUndefined();
    expect(fused.fmaTag).toBe('true');
    expect(again.run.metrics).toEqual(plain.run.metrics);
    expect(fused.run.status).toBe('passed');
    expect(fused.run.metrics.train_loss).not.toBe(plain.run.metrics.train_loss);
    // Rounding, not a different computation: the losses agree to a few parts in a thousand.
    expect(Math.abs(fused.run.metrics.train_loss - plain.run.metrics.train_loss)).toBeLessThan(5e-3 * plain.run.metrics.train_loss);
  }, 600_000);
});
