/**
 * Every metric point carries when it was measured: a caller's timestamp is kept as given, and a point
 * without one gets the time of the logMetrics call that carries it (not one time for a whole run).
 * The file store here; the server store, live and through the spool, in rest-offline.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from './file-store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-timestamps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('metric timestamps on the file store', () => {
  it('keeps given timestamps and stamps the others with the time of their own call', async () => {
    const store = new FileStore(path.join(dir, 'mlruns'));
    const experimentId = await store.getOrCreateExperiment('timestamps');
    const run = await store.createRun(experimentId, { name: 'r' });

    await run.logMetrics([
      { key: 'E', value: 0.5, step: 0, timestamp: 1_700_000_000_000 },
      { key: 'E', value: 0.4, step: 1, timestamp: 1_700_000_000_250.4 },
    ]);
    const calls: [number, number][] = [];
    for (let step = 2; step < 5; step++) {
      const before = Date.now();
      await run.logMetrics([{ key: 'E', value: 1 / step, step }]);
      calls.push([before, Date.now()]);
      await pause(15);
    }
    await run.end('FINISHED');

    const history = await store.metricHistory(run.runId, 'E');
    expect(history.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    expect(history[0].timestamp).toBe(1_700_000_000_000);
    expect(history[1].timestamp).toBe(1_700_000_000_250); // MLflow stores whole milliseconds
    for (const [i, [before, after]] of calls.entries()) {
      expect(history[i + 2].timestamp).toBeGreaterThanOrEqual(before);
      expect(history[i + 2].timestamp).toBeLessThanOrEqual(after);
    }
    // Three calls 15 ms apart: three distinct times on the wall-time axis.
    expect(new Set(history.slice(2).map((p) => p.timestamp)).size).toBe(3);
    // As MLflow's file store writes them: "timestamp value step".
    const lines = readFileSync(path.join(dir, 'mlruns', experimentId, run.runId, 'metrics', 'E'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('1700000000000 0.5 0');
  });
});
