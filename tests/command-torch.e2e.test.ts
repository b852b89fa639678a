/**
 * experiments/torch-seed-net.yaml: the seed's network in PyTorch (Debian's python3-torch), run by xp as
 * a `command` on two seeds on a slice of MNIST, its budget counted before training by the script itself.
 */
import { describe, expect, it } from 'vitest';
import { openTrackingStore } from '@xp/tracking';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { tempDir, xp } from './helpers.ts';

const SPEC = 'experiments/torch-seed-net.yaml';

describe('the PyTorch seed network as a command', () => {
  it('refuses a wider, over-budget variant at validate before it trains, as for a CNN variant', () => {
    const result = xp(['validate', SPEC, 'params.width=1.1'], { timeoutMs: 180_000 });
    expect(result.code).toBe(1);
    const said = result.stdout + result.stderr;
    expect(said).toMatch(/OVER BUDGET: 2\d,\d{3} params > 20,000/);
    expect(said).toMatch(/constraints\.maxParams 20,000, set at .*torch-seed-net\.yaml:\d+:\d+/);
    const within = xp(['validate', SPEC], { timeoutMs: 180_000 });
    expect(within.code, within.stderr).toBe(0);
    expect(within.stdout + within.stderr).toContain('19,816 params (budget 20,000)');
  }, 400_000);

  it('refuses a misspelt param at its line, by the spec’s params schema', () => {
    const result = xp(['validate', SPEC, '+params.lrate=0.1'], { timeoutMs: 180_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown param 'lrate'");
    expect(result.stderr).toContain("did you mean 'lr'?");
  }, 200_000);

  it('trains on two seeds, judges test_accuracy over both, and keeps the weights', async () => {
    const tracking = join(tempDir('xp-torch-'), 'mlruns');
    const result = xp(['run', SPEC, '--json', '--tracking-uri', tracking], { timeoutMs: 400_000 });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(report.runs.map((r: { status: string }) => r.status)).toEqual(['passed', 'passed']);
    expect(report.variants[0].verdict).toBe('passed');
    const store = openTrackingStore({ uri: tracking, cwd: process.cwd(), env: {} });
    for (const run of report.runs) {
      expect((await store.metricHistory(run.runId, 'test_accuracy')).map((p) => p.step)).toEqual([1, 2, 3]);
      expect((await store.metricHistory(run.runId, 'params'))[0].value).toBe(19816);
      expect(existsSync(join((await store.localArtifactDir(run.runId))!, 'outputs/model.pt'))).toBe(true);
    }
    const compared = xp(['compare', '--experiment', 'torch-seed-net', '--tracking-uri', tracking]);
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.stdout).toMatch(/torch-seed-net.*passed.*19816/);
  }, 500_000);

  it("xp compare shows the PyTorch runs next to xp's own runs of the same network, by kind", () => {
    const tracking = join(tempDir('xp-torch-beside-'), 'mlruns');
    const experiment = ['--set', 'tracking.experiment=seed-net', '--tracking-uri', tracking];
    const torch = xp(['run', SPEC, ...experiment, '--set', 'params.epochs=1', '--set', 'constraints.metrics.test_accuracy.min=0'], { timeoutMs: 300_000 });
    expect(torch.code, torch.stderr).toBe(0);
    const cnn = xp(['run', 'experiments/cnn-19816.yaml', ...experiment, '--set', 'data.trainLimit=500', '--set', 'data.testLimit=200', '--set', 'train.epochs=1', '--set', 'constraints.minTestAccuracy=0'], { timeoutMs: 300_000 });
    expect(cnn.code, cnn.stderr).toBe(0);
    const compared = xp(['compare', '--experiment', 'seed-net', '--all', '--format', 'json', '--tracking-uri', tracking]);
    expect(compared.code, compared.stderr).toBe(0);
    const report = JSON.parse(compared.stdout) as { varied: string[]; groups: Array<{ variant: string }>; runs: Array<{ variant: string; paramCount: number | null }> };
    expect(report.groups.map((g) => g.variant).sort()).toEqual(['cnn-19816', 'torch-seed-net']);
    // Each kind's own configuration is not a column: the kind is, and what a sweep varied within one.
    expect(report.varied).toEqual(['kind']);
    expect(new Set(report.runs.map((r) => r.paramCount))).toEqual(new Set([19816]));
    const table = xp(['compare', '--experiment', 'seed-net', '--all', '--tracking-uri', tracking]);
    expect(table.stdout).toMatch(/torch-seed-net.*command/);
    expect(table.stdout).toMatch(/cnn-19816.*cnn-classifier/);
  }, 600_000);
});
