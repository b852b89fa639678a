/**
 * FileStore writes what MLflow's own Python client reads; and concurrent writers corrupt nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason } from '../../../tests/fixtures/mlflow-server.ts';
import { ParamConflictError, InvalidKeyError } from './errors.ts';
import { FileStore } from './file-store.ts';
import { openTrackingStore } from './index.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xp-file-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileStore', () => {
  it('creates an experiment once even when many callers race', async () => {
    const store = new FileStore(path.join(dir, 'race'));
    const ids = await Promise.all(Array.from({ length: 8 }, () => store.getOrCreateExperiment('raced')));
    expect(new Set(ids).size).toBe(1);
    expect((await store.listExperiments()).map((e) => e.name)).toEqual(['Default', 'raced']);
  });

  it('keeps every metric line whole when runs write at once', async () => {
    const store = new FileStore(path.join(dir, 'concurrent'));
    const experimentId = await store.getOrCreateExperiment('concurrent');
    const runs = await Promise.all([0, 1, 2].map((i) => store.createRun(experimentId, { name: `r${i}` })));
    await Promise.all(
      runs.flatMap((run) => Array.from({ length: 50 }, (_, step) => run.logMetrics([{ key: 'E', value: step / 7, step }, { key: 'acc', value: 1 - step / 100, step }]))),
    );
    for (const run of runs) {
      const history = await store.metricHistory(run.runId, 'E');
      expect(history.map((p) => p.step)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      const lines = readFileSync(path.join(dir, 'concurrent', experimentId, run.runId, 'metrics', 'E'), 'utf8').trim().split('\n');
      for (const line of lines) expect(line).toMatch(/^\d+ [-\d.e+]+ \d+$/);
    }
  });

  it('refuses to change a param and rejects keys that would escape the run directory', async () => {
    const store = new FileStore(path.join(dir, 'rules'));
    const run = await store.createRun(await store.getOrCreateExperiment('rules'), { name: 'r' });
    await run.logParams({ lr: '0.1' });
    await run.logParams({ lr: '0.1' });
    await expect(run.logParams({ lr: '0.2' })).rejects.toBeInstanceOf(ParamConflictError);
    await expect(run.setTags({ '../evil': 'x' })).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it("marks each experiment it creates or writes to as model training for MLflow's UI, keeping a kind already chosen", async () => {
    const root = path.join(dir, 'kind');
    const store = new FileStore(root);
    const kindFile = (id: string) => path.join(root, id, 'tags', 'mlflow.experimentKind');
    const created = await store.getOrCreateExperiment('created');
    expect(readFileSync(kindFile(created), 'utf8')).toBe('custom_model_development');
    // An experiment from before (no tag) gets it when xp writes to it; one a user set to another kind keeps it.
    const older = await store.getOrCreateExperiment('older');
    const chosen = await store.getOrCreateExperiment('chosen');
    rmSync(kindFile(older));
    writeFileSync(kindFile(chosen), 'genai_development');
    expect(await store.getOrCreateExperiment('older')).toBe(older);
    expect(readFileSync(kindFile(older), 'utf8')).toBe('custom_model_development');
    await store.getOrCreateExperiment('chosen');
    expect(readFileSync(kindFile(chosen), 'utf8')).toBe('genai_development');
    // The tags folder is not taken for a run.
    expect(await store.listRuns(created)).toEqual([]);
  });

  it('resolves ./mlruns, plain paths and file:// URIs', () => {
    const cwd = path.join(dir, 'cwd');
    const byDefault = openTrackingStore({ cwd, env: {} }) as FileStore;
    expect(byDefault.root).toBe(path.join(cwd, 'mlruns'));
    expect((openTrackingStore({ cwd, env: { MLFLOW_TRACKING_URI: 'elsewhere' } }) as FileStore).root).toBe(path.join(cwd, 'elsewhere'));
    expect((openTrackingStore({ uri: pathToFileURL('/tmp/x y').href, cwd, env: { MLFLOW_TRACKING_URI: 'elsewhere' } }) as FileStore).root).toBe('/tmp/x y');
    expect(openTrackingStore({ uri: 'http://127.0.0.1:1/', cwd, env: {} }).description).toBe('MLflow server http://127.0.0.1:1');
    expect(() => openTrackingStore({ uri: 'sqlite:///db', cwd, env: {} })).toThrow(/unsupported tracking URI/);
  });
});

const skip = mlflowSkipReason();
describe.skipIf(skip !== null)(`FileStore read by MLflow's Python client${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('search_runs sees params, latest metrics, tags, status and the parent link', async () => {
    const root = path.join(dir, 'python');
    const store = new FileStore(root);
    const experimentId = await store.getOrCreateExperiment('python reads "this"');
    const parent = await store.createRun(experimentId, { name: 'sweep' });
    const child = await store.createRun(experimentId, { name: 'eta=0.5', parentRunId: parent.runId, tags: { 'xp.primaryMetric': 'E' } });
    await child.logParams({ kind: 'toy-mlp', 'train.eta': '0.5' });
    await child.logMetrics([
      { key: 'E', value: 0.3, step: 0 },
      { key: 'E', value: 0.1, step: 1 },
      { key: 'params', value: 12, step: 0 },
    ]);
    await child.setTags({ 'xp.status': 'failed' });
    writeFileSync(path.join(child.artifactDir, 'weights.json'), '{}');
    await child.end('FAILED');
    await parent.end('FINISHED');

    const script = [
      'import json, mlflow',
      `mlflow.set_tracking_uri(${JSON.stringify(pathToFileURL(root).href)})`,
      `df = mlflow.search_runs(experiment_names=[${JSON.stringify('python reads "this"')}])`,
      'client = mlflow.MlflowClient()',
      `hist = [(m.step, m.value) for m in client.get_metric_history(${JSON.stringify(child.runId)}, "E")]`,
      `arts = [a.path for a in client.list_artifacts(${JSON.stringify(child.runId)})]`,
      `kind = client.get_experiment(${JSON.stringify(experimentId)}).tags.get("mlflow.experimentKind")`,
      'print(json.dumps({"runs": json.loads(df.to_json(orient="records")), "hist": hist, "arts": arts, "kind": kind}))',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    expect(result.status, result.stderr).toBe(0);
    const { runs, hist, arts, kind } = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      kind: string;
      runs: Record<string, unknown>[];
      hist: [number, number][];
      arts: string[];
    };
    expect(runs).toHaveLength(2);
    expect(kind).toBe('custom_model_development');
    const row = runs.find((r) => r.run_id === child.runId)!;
    expect(row).toMatchObject({
      status: 'FAILED',
      'params.kind': 'toy-mlp',
      'params.train.eta': '0.5',
      'metrics.E': 0.1,
      'metrics.params': 12,
      'tags.mlflow.runName': 'eta=0.5',
      'tags.mlflow.parentRunId': parent.runId,
      'tags.xp.status': 'failed',
      'tags.xp.primaryMetric': 'E',
      experiment_id: experimentId,
    });
    expect(runs.find((r) => r.run_id === parent.runId)).toMatchObject({ status: 'FINISHED', 'tags.mlflow.runName': 'sweep' });
    expect(hist).toEqual([[0, 0.3], [1, 0.1]]);
    expect(arts).toEqual(['weights.json']);
  }, 60_000);
});
