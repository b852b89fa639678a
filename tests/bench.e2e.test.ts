/** `xp bench --json` says how many threads the timed steps kept busy; `--workers` sets them. */
import { describe, expect, it } from 'vitest';
import { xp } from './helpers.ts';

const SPEC = 'experiments/cnn-19816.yaml';
const quick = ['--backend', 'wasm', '--batches', '2', '--warmup', '1', '--json', '--set', 'train.batchSize=32'];

describe('xp bench --json', () => {
  it('reports one thread with --workers 1 and two with --workers 2 (data-parallel)', () => {
    const one = xp(['bench', SPEC, ...quick, '--workers', '1']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ backend: 'wasm', batchSize: 32, threads: 1, workers: 1 });

    const two = xp(['bench', SPEC, ...quick, '--workers', '2']);
    expect(two.code, two.stderr).toBe(0);
    const result = JSON.parse(two.stdout);
    expect(result).toMatchObject({ backend: 'wasm', batchSize: 32, threads: 2, workers: 2 });
    expect(result.msPerBatch).toBeGreaterThan(0);
  }, 180_000);

  it('falls back to one thread, with a note, where the batch does not divide', () => {
    const result = xp(['bench', SPEC, ...quick, '--workers', '3']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ threads: 1, workers: 1 });
    expect(result.stderr).toMatch(/note: train\.workers: 3: one thread, since batch size 32 does not divide into 3 workers/);
  }, 120_000);

  it('refuses a worker count that is not one', () => {
    const result = xp(['bench', SPEC, '--workers', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected 'auto' or an integer from 1 to 64/);
  });
});
