/**
 * RestStore against a real `mlflow server` that is down when the runs start: the experiment lookup,
 * the runs' creation and every write are spooled; when the server comes up, a run's end() and
 * `syncSpool` deliver each run exactly once, child runs under the parent the replay created. Then
 * `--resume` (by an id prefix) reopens one of those runs on the server.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, mlflowSkipReason, startMlflowServer, type MlflowServer } from '../../../tests/fixtures/mlflow-server.ts';
import { RestStore } from './rest-store.ts';
import { findRunToResume, resumingStore } from './resume.ts';
import { syncSpool } from './spool-sync.ts';
import { mappedRunId } from './spool.ts';

const skip = mlflowSkipReason();
const FAST_RETRY = { retries: 2, minTimeout: 20 };

interface WireRun {
  info: { run_id: string; status: string; run_name: string; lifecycle_stage: string };
  data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}
const asRecord = (list: { key: string; value: string }[] | undefined) => Object.fromEntries((list ?? []).map((e) => [e.key, e.value]));

describe.skipIf(skip !== null)(`RestStore with the MLflow server down from the start${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let url: string;
  let port: number;
  let server: MlflowServer | undefined;
  const cwd = () => path.join(dir, 'cwd');
  /** Local ids the runs were created under, by name. */
  const localIds: Record<string, string> = {};

  async function api<T>(method: 'GET' | 'POST', endpoint: string, body: Record<string, unknown> = {}): Promise<T> {
    const target = new URL(`${url}/api/2.0/mlflow/${endpoint}`);
    if (method === 'GET') for (const [k, v] of Object.entries(body)) target.searchParams.set(k, String(v));
    const response = await fetch(target, method === 'POST' ? { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {});
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as T;
  }

  async function experimentRuns(): Promise<WireRun[]> {
    const { experiment } = await api<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', { experiment_name: 'offline-start' });
    const { runs } = await api<{ runs?: WireRun[] }>('POST', 'runs/search', { experiment_ids: [experiment.experiment_id], max_results: 100 });
    return runs ?? [];
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xp-rest-offline-'));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('spools run creation and every write with one warning, then delivers each run once with its parent link and measured timestamps', async () => {
    const warnings: string[] = [];
    const store = new RestStore(url, { cwd: cwd(), retry: FAST_RETRY, log: (line) => warnings.push(line) });

    // Server down: nothing below may throw.
    const experimentId = await store.getOrCreateExperiment('offline-start');
    const parent = await store.createRun(experimentId, { name: 'sweep', tags: { 'xp.sweep': 'parent' } });
    await parent.logParams({ variants: '3' });
    const c1 = await store.createRun(experimentId, { name: 'c1', parentRunId: parent.runId, tags: { 'xp.variant': 'c1' } });
    await c1.logParams({ lr: '0.1' });
    await c1.logMetrics([
      { key: 'E', value: 0.5, step: 0, timestamp: 1_700_000_000_000 },
      { key: 'E', value: 0.4, step: 1, timestamp: 1_700_000_000_500 },
    ]);
    const before = Date.now();
    await c1.logMetrics([{ key: 'E', value: 0.3, step: 2 }]);
    const after = Date.now();
    writeFileSync(path.join(c1.artifactDir, 'table.csv'), 'a,b\n1,2\n');
    await c1.end('KILLED');
    Object.assign(localIds, { sweep: parent.runId, c1: c1.runId });

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/unreachable at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*Training goes on; tracking writes are spooled to .*xp sync/);
    expect(store.description).toMatch(/unreachable: 2 runs spooled in \.xp\/spool; 'xp sync' delivers them/);
    const spoolDir = path.join(cwd(), '.xp', 'spool');
    expect(readdirSync(spoolDir).sort()).toEqual([`${c1.runId}.jsonl`, `${parent.runId}.jsonl`].sort());
    // Local ids look like MLflow's, so the 8-character prefix the summary prints is as good as for any run.
    expect(c1.runId).toMatch(/^[0-9a-f]{32}$/);

    server = await startMlflowServer(dir, { port, timeoutMs: 600_000 });

    // c2 is created while the store still thinks the server is down; its end() finds it back and
    // delivers it, creating its parent first.
    const c2 = await store.createRun(experimentId, { name: 'c2', parentRunId: parent.runId, tags: { 'xp.variant': 'c2' } });
    await c2.logMetrics([{ key: 'E', value: 0.2, step: 0 }]);
    await c2.end('FINISHED');
    expect(store.offline).toBe(false);
    const parentServerId = await mappedRunId(cwd(), parent.runId);
    expect(parentServerId).toMatch(/^[0-9a-f]{32}$/);
    // c3 is created on the server directly, under the parent's server id.
    const c3 = await store.createRun(experimentId, { name: 'c3', parentRunId: parent.runId, tags: { 'xp.variant': 'c3' } });
    expect(existsSync(path.join(spoolDir, `${c3.runId}.jsonl`))).toBe(false);
    await c3.logMetrics([{ key: 'E', value: 0.1, step: 0, timestamp: 1_700_000_001_000 }]);
    await c3.end('FINISHED');
    await parent.end('FINISHED');
    expect(store.description).toMatch(/unreachable: 1 run spooled/); // c1 waits for xp sync

    const report = await syncSpool(url, { cwd: cwd(), retry: FAST_RETRY });
    expect(report.failed).toEqual([]);
    expect(report.delivered).toEqual([path.join(spoolDir, `${c1.runId}.jsonl`)]);
    expect(readdirSync(spoolDir)).toEqual([]);
    expect((await syncSpool(url, { cwd: cwd(), retry: FAST_RETRY })).sent).toBe(0);
    expect(warnings).toHaveLength(1);

    const runs = await experimentRuns();
    expect(runs.map((run) => run.info.run_name).sort()).toEqual(['c1', 'c2', 'c3', 'sweep']);
    const byName = Object.fromEntries(runs.map((run) => [run.info.run_name, run]));
    expect(byName.sweep.info.run_id).toBe(parentServerId);
    expect(byName.c3.info.run_id).toBe(c3.runId);
    for (const name of ['c1', 'c2', 'c3']) expect(asRecord(byName[name].data.tags)['mlflow.parentRunId']).toBe(parentServerId);
    expect(byName.sweep.info.status).toBe('FINISHED');
    expect(byName.c1.info.status).toBe('KILLED');
    expect(asRecord(byName.c1.data.params)).toEqual({ lr: '0.1' });
    expect(asRecord(byName.sweep.data.params)).toEqual({ variants: '3' });
    expect(asRecord(byName.c1.data.tags)['xp.localRunId']).toBe(c1.runId);

    const c1Id = byName.c1.info.run_id;
    const history = await api<{ metrics: { step: number; value: number; timestamp: number }[] }>('GET', 'metrics/get-history', { run_id: c1Id, metric_key: 'E' });
    const points = history.metrics.sort((a, b) => a.step - b.step);
    expect(points.map((m) => [m.step, m.value])).toEqual([[0, 0.5], [1, 0.4], [2, 0.3]]);
    // Each point carries when it was measured, not when it was delivered.
    expect(points[0].timestamp).toBe(1_700_000_000_000);
    expect(points[1].timestamp).toBe(1_700_000_000_500);
    expect(points[2].timestamp).toBeGreaterThanOrEqual(before);
    expect(points[2].timestamp).toBeLessThanOrEqual(after);
    const c3History = await api<{ metrics: { timestamp: number }[] }>('GET', 'metrics/get-history', { run_id: c3.runId, metric_key: 'E' });
    expect(c3History.metrics.map((m) => m.timestamp)).toEqual([1_700_000_001_000]);
    const listing = await api<{ files?: { path: string }[] }>('GET', 'artifacts/list', { run_id: c1Id });
    expect(listing.files?.map((f) => f.path)).toEqual(['table.csv']);
  }, 900_000);

  it('--resume: an 8-character prefix of the local id finds the run; it is reopened (RUNNING), continued and ended in place', async (ctx) => {
    if (!server) return ctx.skip('the server did not start in the test before');
    const log: string[] = [];
    const store = new RestStore(url, { cwd: cwd(), retry: FAST_RETRY, log: (line) => log.push(line) });
    const record = await findRunToResume(store, localIds.c1.slice(0, 8));
    expect(record.name).toBe('c1');
    expect(record.status).toBe('KILLED');
    expect(await store.localArtifactDir(record.runId)).toBe(path.join(cwd(), '.xp', 'runs', localIds.c1));

    const resumed = resumingStore(store, record, (line) => log.push(line));
    const experimentId = await resumed.getOrCreateExperiment('offline-start');
    const run = await resumed.createRun(experimentId, { name: 'c1', tags: { 'xp.variant': 'c1' } });
    expect(run.runId).toBe(record.runId);
    expect((await api<{ run: WireRun }>('GET', 'runs/get', { run_id: record.runId })).run.info.status).toBe('RUNNING');
    await run.logParams({ lr: '0.1' });
    await run.logParams({ lr: '0.2' }); // a changed param is reported, not sent (MLflow would refuse it)
    expect(log.join('\n')).toMatch(/keeps the params it was started with.*lr \(0\.1 → 0\.2\)/);
    await run.logMetrics([{ key: 'E', value: 0.25, step: 3 }]);
    await run.end('FINISHED');

    const runs = await experimentRuns();
    expect(runs).toHaveLength(4);
    const { run: wire } = await api<{ run: WireRun }>('GET', 'runs/get', { run_id: record.runId });
    expect(wire.info.status).toBe('FINISHED');
    expect(asRecord(wire.data.params)).toEqual({ lr: '0.1' });
    expect(asRecord(wire.data.tags)['xp.resumedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    const history = await api<{ metrics: { step: number }[] }>('GET', 'metrics/get-history', { run_id: record.runId, metric_key: 'E' });
    expect(history.metrics.map((m) => m.step).sort()).toEqual([0, 1, 2, 3]);
  }, 300_000);

  it('a replay cut short after creating a run (its id not yet noted) finds that run instead of creating a second', async (ctx) => {
    if (!server) return ctx.skip('the server did not start in the first test');
    const localId = localIds.c1;
    const serverId = await mappedRunId(cwd(), localId);
    expect(serverId).not.toBeNull();
    // As if the process died between runs/create and noting the id: no mapping, the creation not marked done.
    rmSync(path.join(cwd(), '.xp', 'run-ids', localId));
    const spool = path.join(cwd(), '.xp', 'spool', `${localId}.jsonl`);
    const records = [
      { op: 'createRun', experimentName: 'offline-start', runName: 'c1', startTime: 1_700_000_000_000, tags: [{ key: 'mlflow.runName', value: 'c1' }] },
      { op: 'logBatch', metrics: [], params: [], tags: [{ key: 'xp.replayed', value: 'twice' }] },
    ];
    writeFileSync(spool, records.map((op, seq) => JSON.stringify({ seq, uri: url, runId: localId, op }) + '\n').join(''));
    const report = await syncSpool(url, { cwd: cwd(), retry: FAST_RETRY });
    expect(report.failed).toEqual([]);
    expect(await mappedRunId(cwd(), localId)).toBe(serverId);
    const runs = await experimentRuns();
    expect(runs.filter((run) => run.info.run_name === 'c1')).toHaveLength(1);
    expect(asRecord(runs.find((run) => run.info.run_id === serverId)!.data.tags)['xp.replayed']).toBe('twice');
  }, 300_000);
});
