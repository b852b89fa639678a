/**
 * Seeds as an axis, through the real binary: `--seeds` multiplies the runs, each run records its seed,
 * the plan lists one entry per run, and `xp compare` groups the seeds of a variant.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore } from '@xp/tracking';
import { tempDir, xp } from './helpers.ts';

const SPEC = join(import.meta.dirname, '../experiments/toy-eta-sweep.yaml');

interface Report {
  runs: Array<{ name: string; variant: string; seed: number; runId: string; status: string }>;
  variants: Array<{ variant: string; seeds: number[]; passing: number; required: number; verdict: string }>;
}

describe('xp plan --seeds', () => {
  it('lists one entry per variant and seed, each with its seed', () => {
    const result = xp(['plan', SPEC, '--seeds', '3,7', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { seeds: number[]; runs: Array<{ name: string; variant: string; seed: number }> };
    expect(plan.seeds).toEqual([3, 7]);
    expect(plan.runs).toHaveLength(12);
    expect(plan.runs.slice(0, 2)).toEqual([
      { name: 'lr=0.1_seed=3', variant: 'lr=0.1', seed: 3, cached: null },
      { name: 'lr=0.1_seed=7', variant: 'lr=0.1', seed: 7, cached: null },
    ]);
  });

  it('refuses a malformed --seeds with exit 2 and says what it expects', () => {
    const result = xp(['plan', SPEC, '--seeds', '2,2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/seed is listed twice.*--seeds 5/s);
  });
});

describe('xp run --seeds 2 --jobs 2 on the toy η sweep', () => {
  const trackingDir = join(tempDir(), 'mlruns');
  let report: Report;

  beforeAll(() => {
    const result = xp(['run', SPEC, '--seeds', '2', '--jobs', '2', '--set', 'train.steps=20', '--json', '--tracking-uri', trackingDir], { cwd: tempDir(), timeoutMs: 240_000 });
    expect(result.stderr).not.toMatch(/crashed|without a report/);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/over seeds:[\s\S]*PASSED lr=0\.1: 2\/2 seeds passed \(2 required\)/);
    report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
  }, 300_000);

  it('runs every variant once per seed and reports a verdict per variant', () => {
    expect(report.runs).toHaveLength(12);
    expect(report.runs.map((r) => `${r.variant}/${r.seed}`).slice(0, 4)).toEqual(['lr=0.1/1', 'lr=0.1/2', 'lr=0.2/1', 'lr=0.2/2']);
    expect(report.variants.map((v) => [v.variant, v.seeds, v.passing, v.verdict])).toContainEqual(['lr=2', [1, 2], 2, 'passed']);
    expect(report.variants).toHaveLength(6);
  });

  it('records each run\'s seed as a tag and in its resolved spec, under one parent', async () => {
    const store = openTrackingStore({ uri: trackingDir, cwd: process.cwd(), env: {} });
    const experiment = await store.findExperiment('toy-eta-sweep');
    const records = await store.listRuns(experiment!.experimentId);
    const children = records.filter((r) => r.tags['mlflow.parentRunId'] !== undefined);
    expect(children).toHaveLength(12);
    expect(children.map((r) => r.tags['xp.seed']).sort()).toEqual([...Array(6).fill('1'), ...Array(6).fill('2')]);
    expect(children.every((r) => r.params.seed === r.tags['xp.seed'])).toBe(true);
    const parent = records.find((r) => r.tags['mlflow.parentRunId'] === undefined)!;
    expect(parent.tags['xp.status']).toBe('passed');
  });

  it('is grouped by variant in xp compare --format json', () => {
    const result = xp(['compare', '--experiment', 'toy-eta-sweep', '--format', 'json', '--tracking-uri', trackingDir]);
    expect(result.code).toBe(0);
    const compared = JSON.parse(result.stdout) as { groups: Array<{ variant: string; seeds: number[]; passing: number; mean: number; std: number; min: number; max: number }> };
    expect(compared.groups).toHaveLength(6);
    for (const group of compared.groups) {
      expect(group.seeds.sort()).toEqual([1, 2]);
      expect(group.passing).toBe(2);
      // The toy network's weights are given, not drawn: both seeds train the same, so no spread.
      expect(group.min).toBe(group.max);
      expect(group.std).toBe(0);
    }
  });
});
