/**
 * `xp run --resume`: run ids by unique prefix (as git's), and the resumed variant continuing the same
 * run on a file store (reopened: RUNNING again, then ended), or a new run tagged with the link where
 * the store cannot reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from './file-store.ts';
import { RunLookupError, findRunToResume, resumingStore } from './resume.ts';
import type { RunRecord, TrackingReader, TrackingStore } from './types.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(runId: string, name: string, extra: Partial<RunRecord> = {}): RunRecord {
  return { runId, experimentId: '1', name, status: 'KILLED', startTime: 1_700_000_000_000, endTime: 1_700_000_001_000, params: {}, tags: { 'xp.variant': name }, metrics: {}, ...extra };
}

/** A reader holding the given runs in one experiment. */
function readerOf(runs: RunRecord[]): TrackingReader {
  return {
    listExperiments: async () => [{ experimentId: '1', name: 'exp' }],
    findExperiment: async () => ({ experimentId: '1', name: 'exp' }),
    listRuns: async () => runs,
    metricHistory: async () => [],
    localArtifactDir: async () => null,
  };
}

describe('findRunToResume', () => {
  const runs = [
    record('3f2a9c0e11112222333344445555aaaa', 'lr=0.1'),
    record('3f2a9c0e99998888777766665555bbbb', 'lr=0.2'),
    record('7c00ffee00000000000000000000cccc', 'lr=0.5'),
    record('9999aaaa00000000000000000000dddd', 'offline', { tags: { 'xp.variant': 'offline', 'xp.localRunId': '51de0f00000000000000000000001111' } }),
  ];

  it('takes a full id, a unique prefix (the 8 characters the summary prints), upper case too', async () => {
    expect((await findRunToResume(readerOf(runs), '7c00ffee00000000000000000000cccc')).name).toBe('lr=0.5');
    expect((await findRunToResume(readerOf(runs), '7c00ffee')).name).toBe('lr=0.5');
    expect((await findRunToResume(readerOf(runs), '7C00')).name).toBe('lr=0.5');
    expect((await findRunToResume(readerOf(runs), '3f2a9c0e9')).name).toBe('lr=0.2');
  });

  it('finds a run created while the server was down by the local id it was created under', async () => {
    const found = await findRunToResume(readerOf(runs), '51de0f00');
    expect(found.runId).toBe('9999aaaa00000000000000000000dddd');
  });

  it('refuses an ambiguous prefix, listing the candidates, and an unknown one', async () => {
    const ambiguous = await findRunToResume(readerOf(runs), '3f2a9c0e').catch((error: unknown) => error);
    expect(ambiguous).toBeInstanceOf(RunLookupError);
    expect((ambiguous as RunLookupError).message).toMatch(/prefix "3f2a9c0e" is ambiguous: 2 runs start with it/);
    expect((ambiguous as RunLookupError).message).toContain('3f2a9c0e11112222333344445555aaaa  lr=0.1 (exp, killed');
    expect((ambiguous as RunLookupError).message).toContain('3f2a9c0e99998888777766665555bbbb  lr=0.2 (exp, killed');
    expect((ambiguous as RunLookupError).candidates).toHaveLength(2);
    await expect(findRunToResume(readerOf(runs), 'abcdef12')).rejects.toThrow(/no run id starts with "abcdef12"/);
    await expect(findRunToResume(readerOf(runs), '../x')).rejects.toThrow(/is not a run id/);
  });
});

describe('resumingStore on a file store', () => {
  it('reopens the earlier run: same id, RUNNING while resumed, new points added, one run in the listing', async () => {
    const store = new FileStore(path.join(dir, 'reopen'));
    const experimentId = await store.getOrCreateExperiment('resume');
    const killed = await store.createRun(experimentId, { name: 'lr=0.1', tags: { 'xp.variant': 'lr=0.1' } });
    await killed.logParams({ 'train.lr': '0.1' });
    await killed.logMetrics([{ key: 'train_loss', value: 0.9, step: 1 }]);
    await killed.end('KILLED');
    const other = await store.createRun(experimentId, { name: 'lr=0.2', tags: { 'xp.variant': 'lr=0.2' } });
    await other.end('FINISHED');

    const earlier = await findRunToResume(store, killed.runId.slice(0, 8));
    expect(earlier.runId).toBe(killed.runId);
    const log: string[] = [];
    const resumed = resumingStore(store, earlier, (line) => log.push(line));
    const run = await resumed.createRun(experimentId, { name: 'lr=0.1', tags: { 'xp.variant': 'lr=0.1', 'xp.backend': 'wasm' } });
    expect(run.runId).toBe(killed.runId);
    expect(run.artifactDir).toBe(await store.localArtifactDir(killed.runId));
    let listed = (await store.listRuns(experimentId)).find((r) => r.runId === killed.runId)!;
    expect(listed.status).toBe('RUNNING');
    expect(listed.endTime).toBeNull();
    expect(listed.tags['xp.resumedAt']).toMatch(/^\d{4}-/);

    await run.logParams({ 'train.lr': '0.1', 'train.epochs': '2' });
    await run.logParams({ 'train.lr': '0.5' });
    expect(log).toEqual([expect.stringMatching(/keeps the params it was started with; changed since, not recorded: train\.lr \(0\.1 → 0\.5\)/)]);
    await run.logMetrics([{ key: 'train_loss', value: 0.5, step: 2 }]);
    await run.end('FINISHED');

    const runs = await store.listRuns(experimentId);
    expect(runs).toHaveLength(2);
    listed = runs.find((r) => r.runId === killed.runId)!;
    expect(listed.status).toBe('FINISHED');
    expect(listed.endTime).not.toBeNull();
    expect(listed.params).toEqual({ 'train.lr': '0.1', 'train.epochs': '2' });
    expect((await store.metricHistory(killed.runId, 'train_loss')).map((p) => [p.step, p.value])).toEqual([[1, 0.9], [2, 0.5]]);

    // Only the first run of that variant is the reopened one; anything else is created as usual.
    const fresh = await resumed.createRun(experimentId, { name: 'lr=0.1' });
    expect(fresh.runId).not.toBe(killed.runId);
  });

  it("reopens a seed's run (named variant_seed=N) and leaves out the points the run already has (#26 item 9)", async () => {
    const store = new FileStore(path.join(dir, 'seeded'));
    const experimentId = await store.getOrCreateExperiment('resume');
    const killed = await store.createRun(experimentId, { name: 'v_seed=2', tags: { 'xp.variant': 'v', 'xp.seed': '2' } });
    await killed.logMetrics([{ key: 'params', value: 19816, step: 0 }, { key: 'train_loss', value: 0.9, step: 1 }]);
    await killed.end('KILLED');
    const earlier = await findRunToResume(store, killed.runId);
    const run = await resumingStore(store, earlier, () => {}, store).createRun(experimentId, { name: 'v_seed=2', tags: { 'xp.variant': 'v', 'xp.seed': '2' } });
    expect(run.runId).toBe(killed.runId);
    await run.logMetrics([{ key: 'params', value: 19816, step: 0 }]);
    await run.logMetrics([{ key: 'train_loss', value: 0.9, step: 1 }, { key: 'train_loss', value: 0.5, step: 2 }, { key: 'lr', value: 0.1, step: 2 }]);
    await run.end('FINISHED');
    expect((await store.metricHistory(killed.runId, 'params')).map((p) => [p.step, p.value])).toEqual([[0, 19816]]);
    expect((await store.metricHistory(killed.runId, 'train_loss')).map((p) => [p.step, p.value])).toEqual([[1, 0.9], [2, 0.5]]);
    expect((await store.metricHistory(killed.runId, 'lr')).map((p) => [p.step, p.value])).toEqual([[2, 0.1]]);
  });

  it('logs an epoch trained again after a kill mid-checkpoint once: the first point at a step is kept, whatever the value (#22)', async () => {
    const store = new FileStore(path.join(dir, 'redone'));
    const experimentId = await store.getOrCreateExperiment('resume');
    const killed = await store.createRun(experimentId, { name: 'v', tags: { 'xp.variant': 'v' } });
    // Epoch 2's points were logged, then the process died while its checkpoint was written.
    await killed.logMetrics([{ key: 'epoch_seconds', value: 3.1, step: 1 }, { key: 'epoch_seconds', value: 2.9, step: 2 }]);
    const earlier = await findRunToResume(store, killed.runId);
    const run = await resumingStore(store, earlier, () => {}, store).createRun(experimentId, { name: 'v', tags: { 'xp.variant': 'v' } });
    // Resumed from epoch 1's checkpoint, epoch 2 is trained again and takes another time.
    await run.logMetrics([{ key: 'epoch_seconds', value: 3.4, step: 2 }]);
    await run.logMetrics([{ key: 'epoch_seconds', value: 3.0, step: 3 }]);
    await run.end('FINISHED');
    expect((await store.metricHistory(killed.runId, 'epoch_seconds')).map((p) => [p.step, p.value])).toEqual([[1, 3.1], [2, 2.9], [3, 3.0]]);
  });

  it('where the store cannot reopen, creates a new run tagged xp.resumedFrom', async () => {
    const files = new FileStore(path.join(dir, 'no-reopen'));
    const experimentId = await files.getOrCreateExperiment('resume');
    const killed = await files.createRun(experimentId, { name: 'v', tags: { 'xp.variant': 'v' } });
    await killed.end('KILLED');
    const earlier = await findRunToResume(files, killed.runId);
    const log: string[] = [];
    const failing: TrackingStore = {
      description: files.description,
      getOrCreateExperiment: (name) => files.getOrCreateExperiment(name),
      createRun: (id, options) => files.createRun(id, options),
      reopenRun: async () => {
        throw new Error('server says no');
      },
    };
    const run = await resumingStore(failing, earlier, (line) => log.push(line)).createRun(experimentId, { name: 'v' });
    expect(run.runId).not.toBe(killed.runId);
    await run.end('FINISHED');
    const listed = (await files.listRuns(experimentId)).find((r) => r.runId === run.runId)!;
    expect(listed.tags['xp.resumedFrom']).toBe(killed.runId);
    expect(log.join('\n')).toMatch(/could not reopen run .*server says no.*xp\.resumedFrom/);
  });
});
