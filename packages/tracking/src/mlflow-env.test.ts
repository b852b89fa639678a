/**
 * MLflow's environment: credentials reach a server behind auth (checked on the wire, against a tiny
 * local HTTP server that records what it is sent and answers like MLflow), and MLFLOW_EXPERIMENT_NAME
 * names the experiment when the spec does not.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore } from './index.ts';
import { experimentNameFrom, mlflowAuthHeaders } from './mlflow-env.ts';
import { syncSpool } from './spool-sync.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

describe('MLflow credentials from the environment', () => {
  const seen: Seen[] = [];
  let server: http.Server;
  let url: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-auth-'));
  /** Accepted Authorization header; anything else gets MLflow's 401. */
  let accepted: string | undefined;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization });
      request.resume();
      request.on('end', () => {
        if (accepted !== undefined && request.headers.authorization !== accepted) {
          response.writeHead(401, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: 'You are not authenticated.' }));
          return;
        }
        const route = (request.url ?? '').split('?')[0];
        response.writeHead(200, { 'Content-Type': 'application/json' });
        if (route.endsWith('/experiments/get-by-name')) {
          response.end(JSON.stringify({ experiment: { experiment_id: '7', name: 'auth', lifecycle_stage: 'active' } }));
        } else if (route.endsWith('/runs/create')) {
          response.end(
            JSON.stringify({ run: { info: { run_id: 'r'.repeat(32), experiment_id: '7', status: 'RUNNING', artifact_uri: 'mlflow-artifacts:/7/rrr/artifacts', lifecycle_stage: 'active' }, data: {} } }),
          );
        } else {
          response.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Creates an experiment and a run, logs a point and ends the run; returns the Authorization headers the server saw. */
  async function roundTrip(env: NodeJS.ProcessEnv, uri = url): Promise<(string | undefined)[]> {
    seen.length = 0;
    const store = openTrackingStore({ uri, cwd: path.join(dir, 'cwd'), env, retry: { retries: 0 }, log: () => {} });
    const run = await store.createRun(await store.getOrCreateExperiment('auth'), { name: 'r' });
    await run.logMetrics([{ key: 'E', value: 1, step: 0 }]);
    await run.end('FINISHED');
    expect(seen.map((s) => s.url.split('?')[0].replace('/api/2.0/mlflow/', ''))).toEqual(['experiments/get-by-name', 'experiments/set-experiment-tag', 'runs/create', 'runs/log-batch', 'runs/update']);
    return seen.map((s) => s.authorization);
  }

  it('MLFLOW_TRACKING_TOKEN: a Bearer token on every request', async () => {
    accepted = 'Bearer s3cret-token';
    expect(new Set(await roundTrip({ MLFLOW_TRACKING_TOKEN: 's3cret-token' }))).toEqual(new Set(['Bearer s3cret-token']));
  });

  it('MLFLOW_TRACKING_USERNAME/PASSWORD: Basic auth, which wins over a token as in MLflow', async () => {
    accepted = `Basic ${Buffer.from('ada:pa:ss wörd').toString('base64')}`;
    expect(new Set(await roundTrip({ MLFLOW_TRACKING_USERNAME: 'ada', MLFLOW_TRACKING_PASSWORD: 'pa:ss wörd' }))).toEqual(new Set([accepted]));
    expect(new Set(await roundTrip({ MLFLOW_TRACKING_USERNAME: 'ada', MLFLOW_TRACKING_PASSWORD: 'pa:ss wörd', MLFLOW_TRACKING_TOKEN: 't' }))).toEqual(new Set([accepted]));
  });

  it('no credentials: no Authorization header, and a 401 says which variables to set', async () => {
    accepted = undefined;
    expect(new Set(await roundTrip({}))).toEqual(new Set([undefined]));
    accepted = 'Bearer right';
    const store = openTrackingStore({ uri: url, cwd: path.join(dir, 'cwd'), env: {}, retry: { retries: 0 }, log: () => {} });
    await expect(store.getOrCreateExperiment('auth')).rejects.toThrow(/^authentication failed for MLflow server http:\/\/127\.0\.0\.1:\d+ \(401 UNAUTHENTICATED\): .*set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/);
    const wrong = openTrackingStore({ uri: url, cwd: path.join(dir, 'cwd'), env: { MLFLOW_TRACKING_TOKEN: 'wrong' }, retry: { retries: 0 }, log: () => {} });
    await expect(wrong.getOrCreateExperiment('auth')).rejects.toThrow(/refused the credentials in MLFLOW_TRACKING_TOKEN$/);
  });

  it("a URI's user:password: Basic auth, never in the store's URL or messages; refused, it is neither retried nor spooled", async () => {
    accepted = `Basic ${Buffer.from('ada:pa:ss@wörd').toString('base64')}`;
    const withUser = url.replace('http://', `http://ada:${encodeURIComponent('pa:ss@wörd')}@`);
    expect(new Set(await roundTrip({}, withUser))).toEqual(new Set([accepted]));
    // MLflow's variables win over the URI's userinfo, as requests' explicit auth wins in MLflow's client.
    accepted = `Basic ${Buffer.from('env:user-pw').toString('base64')}`;
    expect(new Set(await roundTrip({ MLFLOW_TRACKING_USERNAME: 'env', MLFLOW_TRACKING_PASSWORD: 'user-pw' }, withUser))).toEqual(new Set([accepted]));

    const cwd = path.join(dir, 'refused');
    const logged: string[] = [];
    const store = openTrackingStore({ uri: withUser, cwd, env: {}, log: (line) => logged.push(line) });
    expect(store.description).toBe(`MLflow server ${url.replace('http://', 'http://***@')}`);
    seen.length = 0;
    const error = await store.getOrCreateExperiment('auth').catch((e: Error) => e);
    expect((error as Error).message).toBe(`authentication failed for MLflow server ${url.replace('http://', 'http://***@')} (401 UNAUTHENTICATED): the server refused the credentials in the tracking URI's user:password`);
    expect(seen).toHaveLength(1); // not retried
    expect(logged).toEqual([]); // not "unreachable, spooling"
    const { existsSync } = await import('node:fs');
    expect(existsSync(path.join(cwd, '.xp', 'spool'))).toBe(false);
  });

  it('xp sync sends the credentials too', async () => {
    accepted = 'Bearer sync-token';
    const cwd = path.join(dir, 'sync');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(cwd, '.xp', 'spool'), { recursive: true });
    const runId = 's'.repeat(32);
    writeFileSync(
      path.join(cwd, '.xp', 'spool', `${runId}.jsonl`),
      JSON.stringify({ seq: 0, uri: url, runId, op: { op: 'updateRun', status: 'FINISHED', endTime: 1 } }) + '\n',
    );
    seen.length = 0;
    const report = await syncSpool(undefined, { cwd, retry: { retries: 0 }, env: { MLFLOW_TRACKING_TOKEN: 'sync-token' } });
    expect(report.failed).toEqual([]);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer sync-token']);
  });

  it('mlflowAuthHeaders ignores a username without a password', () => {
    expect(mlflowAuthHeaders({ MLFLOW_TRACKING_USERNAME: 'ada' })).toEqual({});
  });
});

describe('experimentNameFrom', () => {
  it("the spec's tracking.experiment, else MLFLOW_EXPERIMENT_NAME, else the spec's name", () => {
    expect(experimentNameFrom({ name: 'spec', tracking: { experiment: 'chosen' } }, { MLFLOW_EXPERIMENT_NAME: 'env' })).toBe('chosen');
    expect(experimentNameFrom({ name: 'spec', tracking: {} }, { MLFLOW_EXPERIMENT_NAME: 'env' })).toBe('env');
    expect(experimentNameFrom({ name: 'spec' }, {})).toBe('spec');
    expect(experimentNameFrom({ name: 'spec' }, { MLFLOW_EXPERIMENT_NAME: '' })).toBe('spec');
  });
});
