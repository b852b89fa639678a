/** `xp bench --json` says how many threads the timed steps kept busy; `--workers` sets them, train.parallelism how they share the step. */
import { describe, expect, it } from 'vitest';
import { xp } from './helpers.ts';

const SPEC = 'experiments/cnn-19816.yaml';
const quick = ['--backend', 'wasm', '--batches', '2', '--warmup', '1', '--json', '--set', 'train.batchSize=32'];

describe('xp bench --json', () => {
  const dataParallel = ['--set', 'train.parallelism=data-parallel'];
  it('reports one thread with --workers 1, and two with --workers 2: kernel threads by default, workers when data-parallel', () => {
    const one = xp(['bench', SPEC, ...quick, '--workers', '1']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ backend: 'wasm', batchSize: 32, threads: 1, workers: 1 });

    const kernelThreads = xp(['bench', SPEC, ...quick, '--workers', '2']);
    expect(kernelThreads.code, kernelThreads.stderr).toBe(0);
    expect(JSON.parse(kernelThreads.stdout)).toMatchObject({ backend: 'wasm', batchSize: 32, threads: 2, workers: 1 });

    const two = xp(['bench', SPEC, ...quick, ...dataParallel, '--workers', '2']);
    expect(two.code, two.stderr).toBe(0);
    const result = JSON.parse(two.stdout);
    expect(result).toMatchObject({ backend: 'wasm', batchSize: 32, threads: 2, workers: 2 });
    expect(result.msPerBatch).toBeGreaterThan(0);
  }, 180_000);

  it('data-parallel falls back to one thread, with a note, where the batch does not divide; kernel threads take it', () => {
    const result = xp(['bench', SPEC, ...quick, ...dataParallel, '--workers', '3']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ threads: 1, workers: 1 });
    expect(result.stderr).toMatch(/note: train\.workers: 3: one thread, since batch size 32 does not divide into 3 workers/);
    const threads = xp(['bench', SPEC, ...quick, '--workers', '3']);
    expect(threads.code, threads.stderr).toBe(0);
    expect(JSON.parse(threads.stdout)).toMatchObject({ threads: 3, workers: 1 });
    expect(threads.stderr).not.toMatch(/note:/);
  }, 180_000);

  it('refuses a worker count that is not one', () => {
    const result = xp(['bench', SPEC, '--workers', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected 'auto' or an integer from 1 to 64/);
  });
});

describe('xp bench --kernel-threads', () => {
  it('times the step at each count of kernel threads, in the order given', () => {
    const result = xp(['bench', SPEC, ...quick, '--kernel-threads', '1,2'], { env: { XP_WASM_THREADS: '' } });
    expect(result.code, result.stderr).toBe(0);
    const { timings } = JSON.parse(result.stdout) as { timings: { threads: number; msPerBatch: number }[] };
    expect(timings.map((t) => t.threads)).toEqual([1, 2]);
    for (const t of timings) expect(t.msPerBatch).toBeGreaterThan(0);
  }, 180_000);

  it('refuses a count outside 1 to 64, and a backend other than wasm', () => {
    const zero = xp(['bench', SPEC, '--kernel-threads', '1,0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/expected thread counts from 1 to 64, separated by commas/);
    const cpu = xp(['bench', SPEC, '--backend', 'cpu', '--kernel-threads', '1,2']);
    expect(cpu.code).toBe(2);
    expect(cpu.stderr).toMatch(/--kernel-threads splits the wasm kernels; this bench runs on cpu \(add --backend wasm\)/);
  }, 120_000);
});

describe('xp bench --profile', () => {
  it("lists a step's kernels by time, the convolutions' three kernels among them, scopes not counted twice", () => {
    const result = xp(['bench', SPEC, '--backend', 'wasm', '--warmup', '1', '--json', '--profile', '--set', 'train.batchSize=32']);
    expect(result.code, result.stderr).toBe(0);
    const profile = JSON.parse(result.stdout) as { backend: string; batchSize: number; totalMs: number; byKernel: { kernel: string; ms: number; calls: number }[]; byShape: { kernel: string; shapes: string; ms: number }[] };
    expect(profile).toMatchObject({ backend: 'wasm', batchSize: 32 });
    const names = profile.byKernel.map((k) => k.kernel);
    for (const kernel of ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) expect(names).toContain(kernel);
    expect(names.some((n) => n.endsWith('__op') || n === 'unnamed scope')).toBe(false);
    // Largest first, and the rows add up to the total.
    const ms = profile.byKernel.map((k) => k.ms);
    expect(ms).toEqual([...ms].sort((a, b) => b - a));
    expect(ms.reduce((a, b) => a + b, 0)).toBeCloseTo(profile.totalMs, 3);
    expect(profile.byShape.find((k) => k.kernel === 'Conv2DBackpropFilter')?.shapes).toMatch(/^\[32,\d+,\d+,\d+\] \[32,\d+,\d+,\d+\]$/);

    const text = xp(['bench', SPEC, '--backend', 'wasm', '--warmup', '1', '--profile', '--set', 'train.batchSize=32']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/one step on this thread: [\d.]+ ms in kernels\nby kernel:\n/);
    expect(text.stdout).toMatch(/by kernel and input shapes:\n/);
  }, 180_000);
});
