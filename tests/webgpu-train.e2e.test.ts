/**
 * The WebGPU backend through the real `xp` binary, where asked (XP_WEBGPU_TESTS=1, or CI's WebGPU step
 * with XP_REQUIRE_WEBGPU=1, after `xp setup webgpu`): on lavapipe, a CPU emulation, so on small slices.
 * One epoch of the seed network on webgpu, `xp bench --backend webgpu`, and the GPU pack's dry run
 * staying under the 64 MiB a GPU machine takes along.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir, xp } from './helpers.ts';

const ASKED = process.env.XP_WEBGPU_TESTS === '1' || process.env.XP_REQUIRE_WEBGPU === '1';
if (!ASKED) process.stderr.write('tests/webgpu-train.e2e.test.ts skipped: set XP_WEBGPU_TESTS=1 to run it (minutes on a CPU emulation)\n');
const title = (t: string) => (ASKED ? t : `${t} (skipped: set XP_WEBGPU_TESTS=1)`);
const SPEC = join(REPO, 'experiments/cnn-19816.yaml');

describe.runIf(ASKED)(title('xp on the webgpu backend'), () => {
  it('trains the seed network one epoch on a slice of MNIST: a finite loss, a passed run, backend webgpu', () => {
    const dir = tempDir('xp-webgpu-run-');
    const result = xp([
      'run', SPEC, '--backend', 'webgpu', '--json', '--tracking-uri', join(dir, 'mlruns'),
      '--set', 'train.epochs=1', '--set', 'data.trainLimit=512', '--set', 'data.testLimit=200', '--set', 'constraints.minTestAccuracy=0',
    ], { cwd: dir, timeoutMs: 900_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('backend webgpu');
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as { runs: { status: string; metrics: Record<string, number> }[] };
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0].status).toBe('passed');
    expect(Number.isFinite(report.runs[0].metrics.test_loss)).toBe(true);
    expect(report.runs[0].metrics.test_loss).toBeLessThan(3);
    expect(report.runs[0].metrics.test_accuracy).toBeGreaterThanOrEqual(0);
  }, 920_000);

  it('xp bench --backend webgpu --json times the seed network on it', () => {
    const result = xp(['bench', SPEC, '--backend', 'webgpu', '--json', '--batches', '1', '--warmup', '1'], { timeoutMs: 600_000 });
    expect(result.code, result.stderr).toBe(0);
    const bench = JSON.parse(result.stdout.trim().split('\n').pop()!) as { backend: string; batchSize: number; msPerBatch: number; workers: number };
    expect(bench).toMatchObject({ backend: 'webgpu', batchSize: 128, workers: 1 });
    expect(bench.msPerBatch).toBeGreaterThan(0);
  }, 620_000);
});

describe.runIf(ASKED)(title('auto and a CPU emulation'), () => {
  it('xp bench --backend all does not time or take a CPU-emulated adapter (lavapipe), and says why', () => {
    const env = { XP_NATIVE_CACHE: tempDir('xp-webgpu-cache-') };
    const result = xp(['bench', SPEC, '--backend', 'all', '--json', '--batches', '1', '--warmup', '1'], { timeoutMs: 300_000, env });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as { results: { backend: string }[]; unavailable: { backend: string; reason: string }[]; auto: { backend: string } };
    // On a machine with a real GPU adapter webgpu is timed instead; CI's adapter is lavapipe.
    if (report.results.some((r) => r.backend === 'webgpu')) return;
    const webgpu = report.unavailable.find((u) => u.backend === 'webgpu');
    expect(webgpu?.reason).toMatch(/CPU emulation, not a GPU\): auto never takes it/);
    expect(report.auto.backend).not.toBe('webgpu');
  }, 320_000);
});

describe.runIf(ASKED)(title('bench/gpu/pack.sh'), () => {
  it('packs Node, the project without dev dependencies, dawn.node, the Vulkan loader and MNIST into at most 64 MiB', () => {
    const result = spawnSync('bash', [join(REPO, 'bench/gpu/pack.sh'), '--dry-run'], { encoding: 'utf8', timeout: 900_000 });
    expect(result.status, result.stderr).toBe(0);
    const pack = JSON.parse(result.stdout.trim().split('\n').pop()!) as { bytes: number; limit: number; uncompressed: Record<string, number> };
    expect(pack.limit).toBe(64 * 1024 * 1024);
    expect(pack.bytes).toBeLessThanOrEqual(pack.limit);
    // Each part is really in it: Node's binary, dawn.node, MNIST's 55 MB of IDX files, the loader's .deb.
    expect(pack.uncompressed.node).toBeGreaterThan(50e6);
    expect(pack.uncompressed.dawn).toBeGreaterThan(15e6);
    expect(pack.uncompressed.mnist).toBeGreaterThan(50e6);
    expect(pack.uncompressed.deb).toBeGreaterThan(50e3);
  }, 920_000);
});
