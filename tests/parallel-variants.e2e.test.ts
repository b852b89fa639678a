/**
 * `xp run --jobs 2` through the real binary: the η sweep's variants run in child processes (the
 * processes launcher, Jobs over IPC), yet the report, the store and the sweep outputs are those of a
 * sequential run, down to the last bit of E, even when the children print to stdout.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore } from '@xp/tracking';
import { tempDir, xp } from './helpers.ts';

interface Report {
  experiment: string;
  runs: Array<{ name: string; runId: string; status: string; metrics: Record<string, number> }>;
  sweepArtifacts: Record<string, string>;
}

const SPEC = join(import.meta.dirname, '../experiments/toy-eta-sweep.yaml');

const NOISY_CHILD = join(import.meta.dirname, 'fixtures/noisy-child.mjs');

function runSweep(jobs: number, trackingDir: string, env: NodeJS.ProcessEnv = {}): Report & { stderr: string } {
  const result = xp(['run', SPEC, '--jobs', String(jobs), '--json', '--tracking-uri', trackingDir], { cwd: tempDir(), timeoutMs: 400_000, env });
  expect(result.stderr).not.toMatch(/crashed|without a report/);
  expect(result.code).toBe(0);
  return { ...JSON.parse(result.stdout.trim().split('\n').pop() as string), stderr: result.stderr };
}

describe('xp run --jobs 2 on the toy η sweep', () => {
  const parallelDir = join(tempDir(), 'mlruns');
  let parallel: Report;
  let sequential: Report;

  beforeAll(() => {
    // Every job's process prints stray lines, some of them report-like JSON, to its stdout.
    parallel = runSweep(2, parallelDir, { NODE_OPTIONS: `--import ${NOISY_CHILD}` });
    sequential = runSweep(1, join(tempDir(), 'mlruns'));
  }, 900_000);

  it('reports six passed runs in variant order, with the final E of a sequential run', () => {
    expect(parallel.runs.map((r) => r.name)).toEqual(['lr=0.1', 'lr=0.2', 'lr=0.5', 'lr=0.8', 'lr=1', 'lr=2']);
    expect(parallel.runs.map((r) => r.status)).toEqual(Array(6).fill('passed'));
    expect(parallel.runs.map((r) => r.metrics.E)).toEqual(sequential.runs.map((r) => r.metrics.E));
  });

  it('records one parent with the six children in the store', async () => {
    const store = openTrackingStore({ uri: parallelDir, cwd: process.cwd(), env: {} });
    const experiment = await store.findExperiment('toy-eta-sweep');
    const records = await store.listRuns(experiment!.experimentId);
    const parents = records.filter((r) => r.tags['mlflow.parentRunId'] === undefined);
    const children = records.filter((r) => r.tags['mlflow.parentRunId'] !== undefined);
    expect(parents).toHaveLength(1);
    expect(parents[0].status).toBe('FINISHED');
    expect(children.map((r) => r.tags['mlflow.parentRunId'])).toEqual(Array(6).fill(parents[0].runId));
    expect(children.map((r) => r.runId).sort()).toEqual(parallel.runs.map((r) => r.runId).sort());
    expect(children.every((r) => r.status === 'FINISHED')).toBe(true);
  });

  it('shows the children\'s stray prints to the user, prefixed, and reads nothing from them', () => {
    expect(parallel.stderr).toMatch(/\[lr=0\.1\] \{"runs": \[\], "note": "a stray print/);
    expect(parallel.runs.some((r) => r.name === 'bogus')).toBe(false);
  });

  it('writes the sweep outputs (loss curves of every η)', () => {
    expect(existsSync(parallel.sweepArtifacts['loss-curves.png'])).toBe(true);
  });
});
