/**
 * A random search with early stopping, through the real binary: 20 trials of the toy network's η,
 * drawn log-uniformly, judged by ASHA on the loss every 10 steps. Weak trials end as pruned (MLflow
 * KILLED, tag xp.status=pruned) with their history cut where they were stopped; every trial is tracked;
 * pruned trials fail nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore, type RunRecord } from '@xp/tracking';
import { tempDir, xp } from './helpers.ts';

const SPEC = `name: toy-asha
kind: toy-mlp
data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }
model: { weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } }
train: { steps: 157, lr: 0.1, reportEvery: 10 }
sweep:
  random:
    trials: 20
    seed: 3
    space:
      train.lr: { loguniform: [0.01, 5] }
  scheduler:
    asha: { metric: E, mode: min, grace: 10, reduction: 3, max: 157 }
`;

interface Report {
  runs: Array<{ name: string; runId: string; status: string; metrics: Record<string, number>; message?: string }>;
  variants: Array<{ variant: string; verdict: string }>;
}

describe('xp run: random search with ASHA on the toy network', () => {
  const dir = tempDir('xp-asha-');
  const trackingDir = join(dir, 'mlruns');
  let report: Report;
  let stderr: string;
  let records: RunRecord[];

  beforeAll(async () => {
    writeFileSync(join(dir, 'search.yaml'), SPEC);
    const result = xp(['run', 'search.yaml', '--json', '--tracking-uri', trackingDir], { cwd: dir, timeoutMs: 300_000 });
    stderr = result.stderr;
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    const store = openTrackingStore({ uri: trackingDir, cwd: dir, env: {} });
    const experiment = await store.findExperiment('toy-asha');
    records = await store.listRuns(experiment!.experimentId);
  }, 360_000);

  it('tracks every trial, and stops some of them early', () => {
    expect(report.runs).toHaveLength(20);
    const pruned = report.runs.filter((r) => r.status === 'pruned');
    const finished = report.runs.filter((r) => r.status === 'passed');
    expect(pruned.length).toBeGreaterThan(0);
    expect(finished.length).toBeGreaterThan(0);
    expect(pruned.length + finished.length).toBe(20);
    expect(stderr).toMatch(/stopped by the scheduler at step \d+/);
    expect(report.variants.filter((v) => v.verdict === 'pruned')).toHaveLength(pruned.length);
    const children = records.filter((r) => r.tags['mlflow.parentRunId'] !== undefined);
    expect(children).toHaveLength(20);
  });

  it('ends a pruned trial as KILLED with xp.status=pruned and its history cut where it stopped', async () => {
    const store = openTrackingStore({ uri: trackingDir, cwd: dir, env: {} });
    for (const run of report.runs) {
      const record = records.find((r) => r.runId === run.runId)!;
      const steps = (await store.metricHistory(run.runId, 'E')).map((p) => p.step);
      if (run.status === 'pruned') {
        expect(record.status).toBe('KILLED');
        expect(record.tags['xp.status']).toBe('pruned');
        // Judged at a rung (10, 30 or 90), stopped after the report of 10 steps that carried it.
        expect([19, 39, 99]).toContain(Math.max(...steps));
        expect(run.message).toMatch(/stopped early by the sweep's scheduler after step \d+/);
      } else {
        expect(record.status).toBe('FINISHED');
        expect(Math.max(...steps)).toBe(157);
      }
      // Each step once, pruned or not.
      expect(new Set(steps).size).toBe(steps.length);
    }
  });

  it('stops the trials with the higher loss: every pruned trial lost to a finished one at its rung', () => {
    const finalE = (r: Report['runs'][number]) => r.metrics.E;
    const bestFinished = Math.min(...report.runs.filter((r) => r.status === 'passed').map(finalE));
    for (const run of report.runs.filter((r) => r.status === 'pruned')) expect(finalE(run)).toBeGreaterThan(bestFinished);
  });

  it('passes the sweep: pruned trials are neither passed nor failed', () => {
    const parent = records.find((r) => r.tags['mlflow.parentRunId'] === undefined)!;
    expect(parent.tags['xp.status']).toBe('passed');
  });
});
