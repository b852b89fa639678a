/**
 * RestStore against a real `mlflow server` (one per file: it takes seconds to start), read back
 * through MLflow's REST API directly rather than through our own reader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason, startMlflowServer, type MlflowServer } from '../../../tests/fixtures/mlflow-server.ts';
import { RestStore } from './rest-store.ts';
import type { TrackedRun } from './types.ts';
import { syncSpool } from './spool-sync.ts';
import { existsSync, readdirSync } from 'node:fs';

const skip = mlflowSkipReason();
const FAST_RETRY = { retries: 3, minTimeout: 50 };

async function api<T>(server: MlflowServer, method: 'GET' | 'POST', endpoint: string, body: Record<string, unknown> = {}): Promise<T> {
  const url = new URL(`${server.url}/api/2.0/mlflow/${endpoint}`);
  if (method === 'GET') for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
  const response = await fetch(url, method === 'POST' ? { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {});
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

interface WireRun {
  info: { run_id: string; status: string; run_name: string };
  data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[]; metrics?: { key: string; value: number; step: number }[] };
}
const asRecord = (list: { key: string; value: string }[] | undefined) => Object.fromEntries((list ?? []).map((e) => [e.key, e.value]));

describe.skipIf(skip !== null)(`RestStore on a real MLflow server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let server: MlflowServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xp-rest-'));
    server = await startMlflowServer(dir);
  }, 360_000);

  afterAll(async () => {
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records a sweep: parent, three children with per-step metrics, params, tags and an artifact', async () => {
    const cwd = path.join(dir, 'sweep-cwd');
    const store = new RestStore(server.url, { cwd, retry: FAST_RETRY });
    const experimentId = await store.getOrCreateExperiment('rest-sweep');
    expect(await store.getOrCreateExperiment('rest-sweep')).toBe(experimentId);
    const parent = await store.createRun(experimentId, { name: 'sweep', tags: { 'xp.sweep': 'eta' } });
    const children: TrackedRun[] = [];
    for (const eta of [0.1, 0.5, 1]) {
      const child = await store.createRun(experimentId, { name: `eta=${eta}`, parentRunId: parent.runId });
      await child.logParams({ kind: 'toy-mlp', 'train.eta': String(eta) });
      await child.logMetrics(Array.from({ length: 5 }, (_, step) => ({ key: 'E', value: 1 / (1 + eta * step), step })));
      await child.setTags({ 'xp.status': 'passed' });
      writeFileSync(path.join(child.artifactDir, 'weights.json'), JSON.stringify({ eta }));
      await child.end('FINISHED');
      children.push(child);
    }
    await parent.end('FINISHED');

    const { runs } = await api<{ runs: WireRun[] }>(server, 'POST', 'runs/search', { experiment_ids: [experimentId] });
    expect(runs).toHaveLength(4);
    const byId = new Map(runs.map((run) => [run.info.run_id, run]));
    expect(byId.get(parent.runId)?.info.status).toBe('FINISHED');
    for (const [i, child] of children.entries()) {
      const run = byId.get(child.runId)!;
      const tags = asRecord(run.data.tags);
      expect(tags['mlflow.parentRunId']).toBe(parent.runId);
      expect(tags['mlflow.runName']).toBe(`eta=${[0.1, 0.5, 1][i]}`);
      expect(tags['xp.status']).toBe('passed');
      expect(asRecord(run.data.params)).toEqual({ kind: 'toy-mlp', 'train.eta': String([0.1, 0.5, 1][i]) });
      expect(run.info.status).toBe('FINISHED');

      const history = await api<{ metrics: { step: number; value: number }[] }>(server, 'GET', 'metrics/get-history', { run_id: child.runId, metric_key: 'E' });
      expect(history.metrics.map((m) => m.step).sort()).toEqual([0, 1, 2, 3, 4]);

      const listing = await api<{ files?: { path: string }[] }>(server, 'GET', 'artifacts/list', { run_id: child.runId });
      expect(listing.files?.map((f) => f.path)).toEqual(['weights.json']);
    }

    // Our reader sees the same.
    const records = await store.listRuns(experimentId);
    expect(records.map((r) => r.runId).sort()).toEqual(runs.map((r) => r.info.run_id).sort());
    const child0 = records.find((r) => r.runId === children[0].runId)!;
    expect(child0.metrics.E).toBeCloseTo(1 / (1 + 0.1 * 4));
    expect((await store.metricHistory(children[0].runId, 'E')).map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    expect(await store.findExperiment('no-such-experiment')).toBeNull();
    expect((await store.listExperiments()).map((e) => e.name)).toContain('rest-sweep');
  });

  it('rides out a server crash: retries, spools, and `syncSpool` delivers every metric exactly once', async () => {
    const cwd = path.join(dir, 'fault-cwd');
    const warnings: string[] = [];
    const store = new RestStore(server.url, { cwd, retry: FAST_RETRY, log: (line) => warnings.push(line) });
    const experimentId = await store.getOrCreateExperiment('rest-fault');
    const run = await store.createRun(experimentId, { name: 'crashy' });
    await run.logParams({ kind: 'toy-mlp' });
    for (let step = 0; step < 10; step++) await run.logMetrics([{ key: 'E', value: 1 / (step + 1), step }]);

    await server.kill();
    // Training goes on while the server is down.
    for (let step = 10; step < 20; step++) await run.logMetrics([{ key: 'E', value: 1 / (step + 1), step }]);
    await run.setTags({ 'xp.status': 'passed' });
    writeFileSync(path.join(run.artifactDir, 'model.json'), '{}');
    await run.end('FINISHED');
    expect(warnings.join('\n')).toMatch(/spooled to/);
    expect(warnings).toHaveLength(1);
    const spool = path.join(cwd, '.xp', 'spool', `${run.runId}.jsonl`);
    expect(existsSync(spool)).toBe(true);

    await server.restart();
    const report = await syncSpool(server.url, { cwd, retry: FAST_RETRY });
    expect(report.failed).toEqual([]);
    expect(report.delivered).toEqual([spool]);
    expect(readdirSync(path.join(cwd, '.xp', 'spool'))).toEqual([]);
    // Replaying again (nothing left) and replaying a spool whose points already arrived both add nothing.
    expect((await syncSpool(server.url, { cwd, retry: FAST_RETRY })).sent).toBe(0);

    const history = await api<{ metrics: { step: number }[] }>(server, 'GET', 'metrics/get-history', { run_id: run.runId, metric_key: 'E' });
    expect(history.metrics.map((m) => m.step).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const { run: wire } = await api<{ run: WireRun }>(server, 'GET', 'runs/get', { run_id: run.runId });
    expect(wire.info.status).toBe('FINISHED');
    expect(asRecord(wire.data.tags)['xp.status']).toBe('passed');
    const listing = await api<{ files?: { path: string }[] }>(server, 'GET', 'artifacts/list', { run_id: run.runId });
    expect(listing.files?.map((f) => f.path)).toEqual(['model.json']);
  }, 600_000);

  it('does not duplicate metric points a replay already delivered', async () => {
    const cwd = path.join(dir, 'dup-cwd');
    const store = new RestStore(server.url, { cwd, retry: FAST_RETRY, log: () => {} });
    const experimentId = await store.getOrCreateExperiment('rest-dup');
    const run = await store.createRun(experimentId, { name: 'dup' });
    // Simulate "the write reached the server but its answer was lost": the point is both on the server and in the spool.
    const point = { key: 'E', value: 0.5, step: 3, timestamp: 1_700_000_000_000 };
    await run.logMetrics([point]);
    const spoolDir = path.join(cwd, '.xp', 'spool');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(spoolDir, { recursive: true });
    writeFileSync(
      path.join(spoolDir, `${run.runId}.jsonl`),
      JSON.stringify({ seq: 0, uri: server.url, runId: run.runId, op: { op: 'logBatch', metrics: [point], params: [], tags: [] } }) + '\n',
    );
    await syncSpool(undefined, { cwd, retry: FAST_RETRY });
    const history = await api<{ metrics: unknown[] }>(server, 'GET', 'metrics/get-history', { run_id: run.runId, metric_key: 'E' });
    expect(history.metrics).toHaveLength(1);
    await run.end('FINISHED');
  });
});
