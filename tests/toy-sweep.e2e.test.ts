/**
 * Part I end to end, through the real `xp` binary: the η sweep runs, every run passes with its table,
 * step 0 matches the reference values, `xp compare` orders the runs by final loss, and MLflow itself
 * (Python client and a real server) reads what xp wrote.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium, mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { tempDir, xp } from './helpers.ts';

interface RunJson {
  name: string;
  runId: string;
  status: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  artifacts: Record<string, string>;
}

const ETAS = [0.1, 0.2, 0.5, 0.8, 1, 2];

function lastJsonLine(stdout: string): { experiment: string; runs: RunJson[] } {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describe('toy-eta-sweep on the default file store', () => {
  const dir = tempDir();
  let runs: RunJson[];

  beforeAll(() => {
    const result = xp(['run', join(import.meta.dirname, '../experiments/toy-eta-sweep.yaml'), '--json'], { cwd: dir });
    expect(result.stderr).not.toMatch(/crashed/);
    expect(result.code).toBe(0);
    const report = lastJsonLine(result.stdout);
    expect(report.experiment).toBe('toy-eta-sweep');
    runs = report.runs;
  });

  it('reports six passed runs, one per η, each with its backprop table', () => {
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('passed'));
    expect(runs.map((r) => r.params['train.lr'])).toEqual(ETAS);
    for (const run of runs) {
      const csv = readFileSync(run.artifacts['backprop-table.csv'], 'utf8').trim().split('\n');
      expect(csv[0]).toBe('step,eta,t1,t2,i1,i2,w1,w2,w3,w4,h1,out_h1,h2,out_h2,w5,w6,w7,w8,o1,out_o1,o2,out_o2,E1,E2,E,dE_dw1,dE_dw2,dE_dw3,dE_dw4,dE_dw5,dE_dw6,dE_dw7,dE_dw8');
      expect(csv).toHaveLength(159);
      // The run's final E is the table's last row.
      expect(Number(csv[158].split(',')[24])).toBe(run.metrics.E);
    }
  });

  it('step 0 matches the reference values to 1e-15 relative', () => {
    const header = readFileSync(runs[0].artifacts['backprop-table.csv'], 'utf8').split('\n')[0].split(',');
    const row0 = readFileSync(runs[0].artifacts['backprop-table.csv'], 'utf8').split('\n')[1].split(',').map(Number);
    const value = (column: string) => row0[header.indexOf(column)];
    const expected: Record<string, number> = {
      E: 0.24251985734837728,
      dE_dw1: 1.882556669401121e-4, dE_dw2: 3.765113338802242e-4, dE_dw3: 2.248134625761188e-4, dE_dw4: 4.496269251522376e-4,
      dE_dw5: 0.07215707291213626, dE_dw6: 0.07269074519194478, dE_dw7: -0.04245525009260471, dE_dw8: -0.04276924828006376,
    };
    for (const [column, reference] of Object.entries(expected)) {
      expect(Math.abs(value(column) - reference) / Math.abs(reference), column).toBeLessThanOrEqual(1e-15);
    }
  });

  it('xp compare lists the six runs in order of final loss', () => {
    const result = xp(['compare', '--experiment', 'toy-eta-sweep', '--format', 'json'], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { metric: string; runs: Array<{ name: string; metrics: Record<string, number> }> };
    expect(report.metric).toBe('E');
    expect(report.runs.map((r) => r.name)).toEqual(['lr=2', 'lr=1', 'lr=0.8', 'lr=0.5', 'lr=0.2', 'lr=0.1']);
    const table = xp(['compare', '--experiment', 'toy-eta-sweep'], { cwd: dir });
    expect(table.stdout.split('\n').filter((line) => /^│ lr=/.test(line))).toHaveLength(6);
  });

  it('xp compare --format html opens in Chromium with six curves, sortable by final loss', async (ctx) => {
    const reason = chromiumSkipReason();
    if (reason) return ctx.skip(reason);
    const out = join(dir, 'report.html');
    expect(xp(['compare', '--experiment', 'toy-eta-sweep', '--format', 'html', '--out', out], { cwd: dir }).code).toBe(0);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${out}`);
      expect(await page.$$eval('#curves svg path[aria-roledescription="line mark"], #curves svg .mark-line path', (p) => p.length)).toBe(6);
      const names = () => page.$$eval('#runs tbody tr', (rows) => rows.map((row) => (row as HTMLTableRowElement).cells[0].textContent));
      expect(await names()).toEqual(['lr=2', 'lr=1', 'lr=0.8', 'lr=0.5', 'lr=0.2', 'lr=0.1']);
      // The first click sorts ascending (already the order, lowest loss first), the second descending.
      await page.click('#runs th:has-text("E (lower is better)")');
      expect(await names()).toEqual(['lr=2', 'lr=1', 'lr=0.8', 'lr=0.5', 'lr=0.2', 'lr=0.1']);
      await page.click('#runs th:has-text("E (lower is better)")');
      expect(await names()).toEqual(['lr=0.1', 'lr=0.2', 'lr=0.5', 'lr=0.8', 'lr=1', 'lr=2']);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('MLflow\'s own Python client reads the runs xp wrote', (ctx) => {
    const reason = mlflowSkipReason();
    if (reason) return ctx.skip(reason);
    const script = [
      'import json, mlflow',
      `mlflow.set_tracking_uri(${JSON.stringify(`file://${join(dir, 'mlruns')}`)})`,
      "df = mlflow.search_runs(experiment_names=['toy-eta-sweep'])",
      "children = df[df['tags.mlflow.parentRunId'].notna()]",
      "print(json.dumps({'total': len(df), 'children': len(children), 'status': sorted(set(children['status'])), 'lrs': sorted(float(v) for v in children['params.train.lr']), 'E': {r['params.train.lr']: r['metrics.E'] for _, r in children.iterrows()}}))",
    ].join('\n');
    const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    expect(result.stderr).not.toMatch(/Traceback/);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(seen).toMatchObject({ total: 7, children: 6, status: ['FINISHED'], lrs: ETAS });
    for (const run of runs) expect(seen.E[String(run.params['train.lr'])]).toBeCloseTo(run.metrics.E, 12);
  });
});

describe('toy-eta-sweep against a real MLflow server', () => {
  let server: MlflowServer | undefined;
  const dir = tempDir();

  beforeAll(async () => {
    if (mlflowSkipReason()) return;
    server = await startMlflowServer(dir);
  });
  afterAll(async () => server?.kill());

  it('shows six child runs under one parent, with per-step metrics and artifacts', async (ctx) => {
    const reason = mlflowSkipReason();
    if (reason || !server) return ctx.skip(reason ?? 'no server');
    const result = xp(['run', join(import.meta.dirname, '../experiments/toy-eta-sweep.yaml'), '--tracking-uri', server.url, '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const api = async (path: string, body?: unknown) => {
      const response = await fetch(`${server!.url}/api/2.0/mlflow/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.ok).toBe(true);
      return response.json() as Promise<Record<string, any>>;
    };
    const { experiment } = await api('experiments/get-by-name?experiment_name=toy-eta-sweep');
    const { runs } = await api('runs/search', { experiment_ids: [experiment.experiment_id], max_results: 100 });
    const tag = (run: any, key: string) => run.data.tags?.find((t: any) => t.key === key)?.value;
    const parents = runs.filter((run: any) => tag(run, 'mlflow.parentRunId') === undefined);
    const children = runs.filter((run: any) => tag(run, 'mlflow.parentRunId') !== undefined);
    expect(parents).toHaveLength(1);
    expect(children).toHaveLength(6);
    expect(new Set(children.map((run: any) => tag(run, 'mlflow.parentRunId')))).toEqual(new Set([parents[0].info.run_id]));
    const child = children[0];
    const history = await api(`metrics/get-history?run_id=${child.info.run_id}&metric_key=E&max_results=1000`);
    expect(history.metrics).toHaveLength(158);
    expect(history.metrics.map((m: any) => m.step).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 158 }, (_, i) => i));
    const artifacts = await fetch(`${server.url}/api/2.0/mlflow/artifacts/list?run_id=${child.info.run_id}`).then((r) => r.json() as Promise<any>);
    expect(artifacts.files.map((f: any) => f.path)).toEqual(expect.arrayContaining(['backprop-table.csv', 'backprop.xlsx', 'spec.yaml']));

    const script = [
      'import json, mlflow',
      `mlflow.set_tracking_uri(${JSON.stringify(server.url)})`,
      "df = mlflow.search_runs(experiment_names=['toy-eta-sweep'])",
      "print(json.dumps({'total': len(df), 'children': int(df['tags.mlflow.parentRunId'].notna().sum())}))",
    ].join('\n');
    const python = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    expect(JSON.parse(python.stdout.trim().split('\n').pop() as string)).toEqual({ total: 7, children: 6 });
  });
});
