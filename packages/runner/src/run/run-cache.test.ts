import { describe, expect, it } from 'vitest';
import type { RunRecord, TrackingReader } from '@xp/tracking';
import { XP_VERSION } from '../version.ts';
import { canonicalJson, jobContentHash, TAG_JOB_HASH } from './job-hash.ts';
import type { Job, JobResult } from './job.ts';
import type { Launcher, LaunchHooks } from './launcher.ts';
import { findCachedRuns, withRunCache } from './run-cache.ts';

const spec = (lr: number) => ({ name: 'toy', kind: 'toy-mlp', seed: 1, train: { steps: 3, lr } }) as unknown as Job['spec'];

function job(lr: number, extra: Partial<Job> = {}): Job {
  return {
    name: `lr=${lr}`,
    variant: `lr=${lr}`,
    seed: 1,
    spec: spec(lr),
    specText: 'text',
    specFile: '/a/spec.yaml',
    check: { params: 8, withinBudget: true },
    experimentId: '7',
    trackingUri: 'http://a:5000',
    backend: 'auto',
    tags: {},
    ...extra,
  };
}

function run(runId: string, lr: number, overrides: Partial<RunRecord> = {}, tags: Record<string, string> = {}): RunRecord {
  return {
    runId,
    experimentId: '7',
    name: `lr=${lr}`,
    status: 'FINISHED',
    startTime: 1000,
    endTime: 2000,
    params: { 'train.lr': String(lr) },
    tags: { [TAG_JOB_HASH]: jobContentHash(job(lr)), 'xp.version': XP_VERSION, ...tags },
    metrics: { E: lr / 10 },
    ...overrides,
  };
}

const reader = (runs: RunRecord[]): TrackingReader => ({
  listExperiments: async () => [],
  findExperiment: async () => null,
  listRuns: async () => runs,
  metricHistory: async () => [],
  localArtifactDir: async () => null,
});

describe("a job's content hash", () => {
  it('is the same wherever and whenever the job runs, and differs when what it computes differs', () => {
    const here = job(0.5);
    const there = job(0.5, { experimentId: '9', parentRunId: 'p', trackingUri: 'http://b:1', specFile: '/b/s.yaml', specText: '# comment', tags: { x: 'y' }, cpuShare: 4, backend: 'wasm' });
    expect(jobContentHash(there)).toBe(jobContentHash(here));
    expect(jobContentHash(job(0.2))).not.toBe(jobContentHash(here));
    expect(jobContentHash({ ...here, spec: { ...here.spec, seed: 2 } as Job['spec'] })).not.toBe(jobContentHash(here));
  });

  it('does not depend on the order of keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: 2 } })).toBe(canonicalJson({ a: { c: 2, d: [1, { y: 1, z: 0 }] }, b: 1 }));
  });
});

describe('the run cache', () => {
  it('finds the latest FINISHED run of the same job and xp version only', async () => {
    const runs = [
      run('old', 0.5, { endTime: 1500 }),
      run('new', 0.5, { endTime: 2500 }),
      run('failed', 0.5, { status: 'FAILED', endTime: 9000 }),
      run('running', 0.5, { status: 'RUNNING', endTime: null }),
      run('other-version', 0.5, { endTime: 9000 }, { 'xp.version': '0.0.1' }),
      run('other-job', 0.2),
    ];
    const found = await findCachedRuns(reader(runs), '7', [jobContentHash(job(0.5))]);
    expect([...found.values()].map((r) => r.runId)).toEqual(['new']);
    expect(await findCachedRuns(reader(runs.slice(2, 5)), '7', [jobContentHash(job(0.5))])).toEqual(new Map());
  });

  it('answers cached jobs itself and launches only the others, results in the jobs order', async () => {
    const launched: string[] = [];
    const inner: Launcher = {
      async launch(jobs, hooks) {
        launched.push(...jobs.map((j) => j.name));
        return jobs.map((j) => {
          const result: JobResult = { name: j.name, variant: j.variant, seed: j.seed, runId: `fresh-${j.name}`, status: 'passed', params: {}, metrics: {}, artifacts: {} };
          hooks.onResult(result);
          return result;
        });
      },
    };
    const heard: string[] = [];
    const hooks: LaunchHooks = { log: () => undefined, onReport: () => 'continue', onResult: (r) => heard.push(`${r.name}:${r.cached ? 'cached' : 'ran'}`) };
    const results = await withRunCache(inner, reader([run('done', 0.2)])).launch([job(0.1), job(0.2), job(0.5)], hooks, new AbortController().signal);
    expect(launched).toEqual(['lr=0.1', 'lr=0.5']);
    expect(results.map((r) => [r?.name, r?.runId, r?.cached ?? false, r?.status])).toEqual([
      ['lr=0.1', 'fresh-lr=0.1', false, 'passed'],
      ['lr=0.2', 'done', true, 'passed'],
      ['lr=0.5', 'fresh-lr=0.5', false, 'passed'],
    ]);
    expect(results[1]?.metrics).toEqual({ E: 0.02 });
    expect(heard.sort()).toEqual(['lr=0.1:ran', 'lr=0.2:cached', 'lr=0.5:ran']);
  });

  it('runs everything when the store cannot be searched', async () => {
    const broken: TrackingReader = { ...reader([]), listRuns: async () => Promise.reject(new Error('server down')) };
    const logs: string[] = [];
    const inner: Launcher = { launch: async (jobs) => jobs.map((j) => ({ name: j.name, variant: j.variant, seed: 1, runId: 'x', status: 'passed', params: {}, metrics: {}, artifacts: {} })) };
    const results = await withRunCache(inner, broken).launch([job(0.1)], { log: (l) => logs.push(l), onReport: () => 'continue', onResult: () => undefined }, new AbortController().signal);
    expect(results[0]?.cached).toBeUndefined();
    expect(logs.join('\n')).toMatch(/server down/);
  });
});
