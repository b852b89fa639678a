/**
 * RestStore through a blip: a real `mlflow server` behind a small proxy that answers 503 to everything
 * for a while (what a loaded or restarting server looks like from outside). The blip costs the runs
 * open at that moment their spool, not every later run of the process; the experiment asked for
 * during the blip is found by name afterwards; and a run whose spool is delivered at its end leaves
 * the store's description without "unreachable".
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason, startMlflowServer, type MlflowServer } from '../../../tests/fixtures/mlflow-server.ts';
import { isPendingExperiment, RestStore } from './rest-store.ts';

const skip = mlflowSkipReason();
const FAST_RETRY = { retries: 1, minTimeout: 20 };

/** Forwards to `target`, or answers 503 to every request while `down` is set. */
function blipProxy(target: string): Promise<{ url: string; setDown(down: boolean): void; close(): Promise<void> }> {
  let down = false;
  const server = http.createServer((req, res) => {
    if (down) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('blip');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        setDown: (value) => (down = value),
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

describe.skipIf(skip !== null)(`RestStore through a blip of its server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let server: MlflowServer;
  let proxy: Awaited<ReturnType<typeof blipProxy>>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xp-rest-blip-'));
    server = await startMlflowServer(dir);
    proxy = await blipProxy(server.url);
  }, 600_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('spools only what was open during the blip, finds the experiment by name afterwards, and delivers the spool at the run end', async () => {
    const lines: string[] = [];
    const store = new RestStore(proxy.url, { cwd: path.join(dir, 'cwd'), retry: FAST_RETRY, log: (line) => lines.push(line) });

    proxy.setDown(true);
    const pending = await store.getOrCreateExperiment('blip');
    expect(isPendingExperiment(pending)).toBe(true);
    const during = await store.createRun(pending, { name: 'during' });
    await during.logMetrics([{ key: 'E', value: 0.5, step: 0 }]);
    expect(store.description).toMatch(/unreachable: 1 run spooled/);
    expect(lines.filter((line) => line.startsWith('warning:'))).toHaveLength(1);

    proxy.setDown(false);
    // Past the recheck pause the store asks /health again and sends to the server.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(await store.listRuns(pending)).toEqual([]);
    const experimentId = await store.getOrCreateExperiment('blip');
    expect(isPendingExperiment(experimentId)).toBe(false);
    const after = await store.createRun(experimentId, { name: 'after' });
    await after.logMetrics([{ key: 'E', value: 0.25, step: 0 }]);
    await after.end('FINISHED');
    // The run made during the blip is delivered at its end: one spooled run less, none left.
    await during.end('FINISHED');
    expect(store.description).toBe(`MLflow server ${proxy.url}`);

    const runs = await store.listRuns(pending);
    expect(runs.map((run) => [run.name, run.status, run.metrics.E]).sort()).toEqual([
      ['after', 'FINISHED', 0.25],
      ['during', 'FINISHED', 0.5],
    ]);
    // The run made after the blip went to the server at once: its id is the server's, not a local one.
    expect(runs.find((run) => run.name === 'after')!.runId).toBe(after.runId);
    const experiment = await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).json();
    expect(experiment.experiment.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.experimentKind', value: 'custom_model_development' }]));
  }, 120_000);
});
