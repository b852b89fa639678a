/**
 * A finished sweep rerun through the queue is answered by the run cache, and MLflow's own UI shows
 * xp's experiments on their runs. Real parts: Debian's redis-server, `mlflow server` (sqlite, and a
 * file store read as the README says), two `xp worker`s left running between the sweeps, Chromium.
 *
 * - The README's commands exactly: workers with $MLFLOW_TRACKING_URI set, then
 *   `xp run experiments/toy-eta-sweep.yaml --queue redis://… --json` twice. The second is cached for
 *   every job (the first's run ids), ends in seconds, and says nothing of an unreachable server or a
 *   spool, since the server was up.
 * - Both sweeps' parent runs carry best_E and mean_E; the experiment is tagged
 *   mlflow.experimentKind=custom_model_development.
 * - The link xp prints opens MLflow's UI on the runs table (not on GenAI's "Traces"), and the sweep's
 *   runs are in it, for a server and for a file store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium, mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from './fixtures/redis-server.ts';
import { REPO, tempDir, xp, XP_BIN } from './helpers.ts';

const TOY_SWEEP = join(REPO, 'experiments/toy-eta-sweep.yaml');
const ETAS = ['lr=0.1', 'lr=0.2', 'lr=0.5', 'lr=0.8', 'lr=1', 'lr=2'];
/** Minutes on a loaded 2-core machine. */
const LONG = 900_000;

interface RunJson {
  name: string;
  runId: string;
  status: string;
  cached?: boolean;
  metrics: Record<string, number>;
}
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop()!) as T;

interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number>;
}

function startXp(args: string[], cwd: string, env: NodeJS.ProcessEnv): Running {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function mlflow<T>(url: string, method: 'GET' | 'POST', endpoint: string, body: Record<string, unknown>): Promise<T> {
  const query = method === 'GET' ? `?${new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)]))}` : '';
  const response = await fetch(`${url}/api/2.0/mlflow/${endpoint}${query}`, {
    method,
    headers: { 'Content-Type': 'application/json', Connection: 'close' },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${endpoint}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface WireKv {
  key: string;
  value: string;
}
async function experimentOf(url: string, name: string) {
  const { experiment } = await mlflow<{ experiment: { experiment_id: string; tags?: WireKv[] } }>(url, 'GET', 'experiments/get-by-name', { experiment_name: name });
  return { id: experiment.experiment_id, tags: Object.fromEntries((experiment.tags ?? []).map(({ key, value }) => [key, value])) };
}

async function runsOf(url: string, experimentId: string) {
  const { runs = [] } = await mlflow<{ runs?: Array<{ info: { run_id: string }; data: { metrics?: Array<{ key: string; value: number }>; tags?: WireKv[] } }> }>(url, 'POST', 'runs/search', {
    experiment_ids: [experimentId],
    max_results: 1000,
  });
  return runs.map((run) => ({
    runId: run.info.run_id,
    tags: Object.fromEntries((run.data.tags ?? []).map(({ key, value }) => [key, value])),
    metrics: Object.fromEntries((run.data.metrics ?? []).map(({ key, value }) => [key, Number(value)])),
  }));
}

/**
 * Opens `link` in Chromium and returns the page's path and the ids of the runs its runs table shows,
 * every parent run expanded to show its children.
 */
async function runsTableAt(link: string): Promise<{ url: string; runIds: string[]; text: string }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(link);
    // ag-grid's rows carry the run id.
    await page.waitForSelector('[role="row"][row-id]', { timeout: 120_000 });
    // A parent run's name cell has the button that shows its children.
    const expanders = page.locator('[role="row"][row-id] [col-id="attributes.`Run Name`"] button[data-component-id*="runnamecellrenderer"]');
    for (let i = (await expanders.count()) - 1; i >= 0; i--) await expanders.nth(i).click();
    await page.waitForFunction(() => document.querySelectorAll('[role="row"][row-id]').length > 2, undefined, { timeout: 60_000 }).catch(() => undefined);
    const runIds = await page.$$eval('[role="row"][row-id]', (rows) => [...new Set(rows.map((row) => row.getAttribute('row-id')!))]);
    return { url: page.url(), runIds, text: await page.evaluate(() => document.body.innerText) };
  } finally {
    await browser.close();
  }
}

const skip = redisSkipReason() ?? mlflowSkipReason() ?? chromiumSkipReason();
describe.skipIf(skip !== null)(`a queue rerun from the cache, and MLflow's UI on xp's runs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = tempDir('xp-queue-cache-e2e-');
  let redis: RedisServer;
  let server: MlflowServer;
  const workers: Running[] = [];
  let first: Running;

  beforeAll(async () => {
    mkdirSync(join(dir, 'redis'));
    mkdirSync(join(dir, 'mlflow'));
    [redis, server] = await Promise.all([startRedisServer(join(dir, 'redis')), startMlflowServer(join(dir, 'mlflow'))]);
    // As the README has them: the server named by $MLFLOW_TRACKING_URI, no --tracking-uri; left running.
    for (const name of ['worker-a', 'worker-b']) workers.push(startXp(['worker', '--queue', redis.url], join(dir, name), { MLFLOW_TRACKING_URI: server.url }));
    // "takes jobs" is said once the worker's job process is warm.
    await waitFor('both workers to take jobs', () => workers.every((w) => /takes jobs from/.test(w.stderr())), 300_000);
  }, LONG);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.allSettled([redis?.kill(), server?.kill()]);
  });

  it(
    'runs the η sweep on two workers, then answers the same command from the cache in seconds, with no word of a spool',
    async () => {
      const follower = join(dir, 'follower');
      const command = ['run', TOY_SWEEP, '--queue', redis.url, '--json'];
      first = startXp(command, follower, { MLFLOW_TRACKING_URI: server.url });
      expect(await first.exited, first.stderr()).toBe(0);
      const firstRuns = lastJson<{ runs: RunJson[] }>(first.stdout()).runs;
      expect(firstRuns.map((r) => [r.name, r.status, r.cached ?? false])).toEqual(ETAS.map((name) => [name, 'passed', false]));

      const began = Date.now();
      const again = startXp(command, follower, { MLFLOW_TRACKING_URI: server.url });
      expect(await again.exited, again.stderr()).toBe(0);
      const seconds = (Date.now() - began) / 1000;
      const cached = lastJson<{ runs: RunJson[] }>(again.stdout()).runs;
      expect(cached.map((r) => [r.name, r.status, r.cached, r.runId])).toEqual(firstRuns.map((r) => [r.name, 'passed', true, r.runId]));
      expect(again.stderr()).not.toMatch(/enqueued/);
      expect(again.stderr()).not.toMatch(/unreachable|spool/i);
      expect(first.stderr()).not.toMatch(/unreachable|spool/i);
      for (const run of [first, again]) expect(run.stderr()).toMatch(new RegExp(`tracked in MLflow server ${server.url.replace(/[.]/g, '\\.')}\\n`));
      const spool = join(follower, '.xp', 'spool');
      expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
      // Start-up (Node, tsx, the spec) and a few lookups; a loaded 2-core machine takes seconds for that.
      console.log(`queue rerun answered from the cache in ${seconds.toFixed(1)} s`);
      expect(seconds).toBeLessThan(30);

      // On the server: six job runs, one parent per sweep, each parent with the sweep's summary.
      const experiment = await experimentOf(server.url, 'toy-eta-sweep');
      expect(experiment.tags['mlflow.experimentKind']).toBe('custom_model_development');
      const runs = await runsOf(server.url, experiment.id);
      expect(runs.filter((r) => r.tags['xp.jobHash'] !== undefined).length).toBe(6);
      const parents = runs.filter((r) => r.tags['xp.sweep'] === 'parent');
      expect(parents.length).toBe(2);
      const losses = firstRuns.map((r) => r.metrics.E);
      for (const parent of parents) {
        expect(parent.metrics.best_E).toBe(Math.min(...losses));
        expect(parent.metrics.mean_E).toBeCloseTo(losses.reduce((a, b) => a + b, 0) / losses.length, 12);
        expect(parent.metrics.runs_counted).toBe(6);
      }
    },
    LONG,
  );

  it(
    "opens the link xp prints on MLflow's runs table, with the sweep's runs in it (server)",
    async () => {
      expect(first, 'the sweep above ran').toBeDefined();
      const link = /MLflow UI: (\S+)/.exec(first.stderr())?.[1];
      expect(link).toMatch(/\/#\/experiments\/\d+\/runs\?workflowType=machine_learning$/);
      const firstRuns = lastJson<{ runs: RunJson[] }>(first.stdout()).runs;
      const table = await runsTableAt(link!);
      expect(table.url).toMatch(/\/#\/experiments\/\d+\/runs/);
      expect(table.text).not.toMatch(/Start tracing/);
      expect(table.runIds).toEqual(expect.arrayContaining(firstRuns.map((r) => r.runId)));
    },
    LONG,
  );

  it(
    "opens a file store's sweep on its runs in MLflow's UI, as the README says to open it",
    async () => {
      const here = join(dir, 'file-store');
      mkdirSync(here, { recursive: true });
      const local = xp(['run', TOY_SWEEP, '--json', '--tracking-uri', './mlruns'], { cwd: here, timeoutMs: LONG });
      expect(local.code, local.stderr).toBe(0);
      const runs = lastJson<{ runs: RunJson[] }>(local.stdout).runs;
      const link = /MLflow UI: MLFLOW_ALLOW_FILE_STORE=true mlflow server --backend-store-uri \S+, then (\S+)/.exec(local.stderr)?.[1];
      expect(link).toBeDefined();
      const fileServer = await startMlflowServer(here, { fileStore: join(here, 'mlruns') });
      try {
        const experiment = await experimentOf(fileServer.url, 'toy-eta-sweep');
        expect(experiment.tags['mlflow.experimentKind']).toBe('custom_model_development');
        const parent = (await runsOf(fileServer.url, experiment.id)).find((r) => r.tags['xp.sweep'] === 'parent')!;
        expect(parent.metrics.best_E).toBe(Math.min(...runs.map((r) => r.metrics.E)));
        const table = await runsTableAt(link!.replace('http://127.0.0.1:5000', fileServer.url));
        expect(table.url).toMatch(/\/#\/experiments\/\d+\/runs/);
        expect(table.text).not.toMatch(/Start tracing/);
        expect(table.runIds).toEqual(expect.arrayContaining(runs.map((r) => r.runId)));
      } finally {
        await fileServer.kill();
      }
    },
    LONG,
  );
});
