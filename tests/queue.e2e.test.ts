/**
 * Sweeps across machines, with real parts: a Redis (Debian's redis-server), an MLflow server that
 * proxies artifacts, and `xp worker` processes, each in a directory of its own (they share no disk).
 *
 * - The toy η sweep goes through the queue to two workers; one is killed with SIGKILL in the middle of
 *   a job. The job is taken again by the other (BullMQ's stalled-job check) and continues the same
 *   MLflow run: six runs, each finished once, each loss point logged once, the values and the backprop
 *   table those of a local run.
 * - Run again, the finished sweep is answered by the run cache: seconds, nothing trained, `xp plan`
 *   says so; `--force --detach` enqueues it again, `xp status` follows it, and a worker trains it anew.
 * - A job that fails by itself is tried three times, then ends as an error with its message.
 * - Redis restarted mid-sweep: workers and follower reconnect and the sweep completes.
 * - A job the follower's scheduler stops (median stopping) ends as pruned on its worker, its run KILLED.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowSkipReason, startMlflowServer, type MlflowServer } from './fixtures/mlflow-server.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from './fixtures/redis-server.ts';
import { REPO, tempDir, xp, XP_BIN } from './helpers.ts';

const TOY_SWEEP = join(REPO, 'experiments/toy-eta-sweep.yaml');
const ETAS = ['lr=0.1', 'lr=0.2', 'lr=0.5', 'lr=0.8', 'lr=1', 'lr=2'];
/** The toy trains 157 steps: 158 points of each loss. */
const LOSS_POINTS = 158;
/** Minutes on a loaded 2-core machine. */
const LONG = 900_000;

interface RunJson {
  name: string;
  runId: string;
  status: string;
  cached?: boolean;
  metrics: Record<string, number>;
  artifacts: Record<string, string>;
  message?: string;
}
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop()!) as T;

/** A long-running `xp` process: its output so far, and its exit. */
interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<number>;
}

function startXp(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Running {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : -1))));
  return { child, output: () => `${stderr}\n--- stdout ---\n${stdout}`, exited: exited.then((code) => code) };
}

const stdoutOf = (running: Running): string => running.output().split('\n--- stdout ---\n')[1];

/**
 * The exit codes of processes that are expected to end by themselves, waited for together and for at
 * most `timeoutMs`: where one hangs (a follower waiting for a worker that left, a worker that no longer
 * takes jobs), the failure shows which ones had exited and what each printed, instead of a silent
 * test timeout.
 */
async function exitCodes(processes: Record<string, Running>, timeoutMs = 300_000): Promise<Record<string, number>> {
  const codes: Record<string, number> = {};
  const all = Promise.all(Object.entries(processes).map(async ([name, running]) => (codes[name] = await running.exited)));
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), timeoutMs)));
  try {
    if ((await Promise.race([all, hung])) !== 'hung') return codes;
  } finally {
    clearTimeout(timer);
  }
  const states = Object.entries(processes).map(([name, running]) => `=== ${name}: ${name in codes ? `exited with ${codes[name]}` : 'still running'}\n${running.output().slice(-6_000)}`);
  throw new Error(`not every process ended within ${timeoutMs / 1000} s:\n${states.join('\n')}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 300_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined && found !== false) return found;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface WireRun {
  info: { run_id: string; status: string; artifact_uri: string; run_name?: string };
  data: { metrics?: Array<{ key: string; value: number; step: number }>; tags?: Array<{ key: string; value: string }> };
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

/** Every run of the experiment (parents and children), with its tags as a record. */
async function runsOf(url: string, experiment: string): Promise<Array<WireRun & { tags: Record<string, string> }>> {
  const found = await mlflow<{ experiment?: { experiment_id: string } }>(url, 'GET', 'experiments/get-by-name', { experiment_name: experiment }).catch(() => ({ experiment: undefined }));
  if (!found.experiment) return [];
  const { runs = [] } = await mlflow<{ runs?: WireRun[] }>(url, 'POST', 'runs/search', { experiment_ids: [found.experiment.experiment_id], max_results: 1000 });
  return runs.map((run) => ({ ...run, tags: Object.fromEntries((run.data.tags ?? []).map(({ key, value }) => [key, value])) }));
}

/** The job runs (not the sweep's parent), as the run cache and the queue see them: those tagged with a job hash. */
async function jobRunsOf(url: string, experiment: string) {
  return (await runsOf(url, experiment)).filter((run) => run.tags['xp.jobHash'] !== undefined);
}

async function history(url: string, runId: string, key: string): Promise<Array<{ step: number; value: number }>> {
  const { metrics = [] } = await mlflow<{ metrics?: Array<{ step: number; value: number }> }>(url, 'GET', 'metrics/get-history', { run_id: runId, metric_key: key, max_results: 25000 });
  return metrics.map(({ step, value }) => ({ step: Number(step), value: Number(value) }));
}

/** A run's artifact, fetched through the server's artifact proxy, or null where it is not there. */
async function artifact(url: string, run: WireRun, path: string): Promise<string | null> {
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const response = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, { headers: { Connection: 'close' } });
  return response.ok ? response.text() : null;
}

const workerArgs = (queue: string, mlflowUrl: string): string[] => ['worker', '--queue', queue, '--tracking-uri', mlflowUrl, '--exit-when-idle', '--lock-seconds', '5'];

const skip = redisSkipReason() ?? mlflowSkipReason();
describe.skipIf(skip !== null)(`sweeps through a queue${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = tempDir('xp-queue-e2e-');
  let redis: RedisServer;
  let server: MlflowServer;
  /** The toy sweep run locally, in this process: what the queued runs must equal. */
  let reference: RunJson[];
  let firstRuns: RunJson[];
  const started: Running[] = [];
  const start = (args: string[], cwd: string): Running => {
    const running = startXp(args, cwd);
    started.push(running);
    return running;
  };

  beforeAll(async () => {
    mkdirSync(join(dir, 'redis'));
    mkdirSync(join(dir, 'mlflow'));
    [redis, server] = await Promise.all([startRedisServer(join(dir, 'redis')), startMlflowServer(join(dir, 'mlflow'))]);
    const local = xp(['run', TOY_SWEEP, '--json', '--tracking-uri', join(dir, 'local-mlruns')], { cwd: dir, timeoutMs: LONG });
    expect(local.code, local.stderr).toBe(0);
    reference = lastJson<{ runs: RunJson[] }>(local.stdout).runs;
  }, LONG);

  afterAll(async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    await Promise.allSettled([redis?.kill(), server?.kill()]);
  });

  it(
    'runs the η sweep on two workers, one killed with SIGKILL mid-job: six runs finished once, values unchanged',
    async () => {
      const queue = `${redis.url}/0`;
      const follower = start(['run', TOY_SWEEP, '--queue', queue, '--tracking-uri', server.url, '--json'], join(dir, 'follower'));
      await waitFor('the sweep to be enqueued', () => /sweep [0-9a-f]{12}: 6 job\(s\) enqueued/.test(follower.output()) || undefined, 300_000);
      const workers = [start(workerArgs(queue, server.url), join(dir, 'worker-a')), start(workerArgs(queue, server.url), join(dir, 'worker-b'))];

      // The moment to kill: a job whose run is open and already has its losses logged (its checks,
      // chart and workbook still to come), so that the job is truly half done.
      const victim = await waitFor(
        'a job half done',
        async () => {
          for (const run of await jobRunsOf(server.url, 'toy-eta-sweep')) {
            if (run.info.status !== 'RUNNING' || !(run.data.metrics ?? []).some((m) => m.key === 'E')) continue;
            const pid = Number(run.tags['xp.worker']?.split(':').pop());
            const worker = workers.find((w) => w.child.pid === pid);
            if (worker) return { run, worker };
          }
          return undefined;
        },
        600_000,
        100,
      );
      victim.worker.child.kill('SIGKILL');
      const survivor = workers.find((w) => w !== victim.worker)!;
      const killedJob = victim.run.tags['mlflow.runName'];

      const codes = await exitCodes({ follower, survivor }, 420_000);
      expect(codes.follower, follower.output()).toBe(0);
      expect(codes.survivor, survivor.output()).toBe(0);
      const report = lastJson<{ runs: RunJson[] }>(stdoutOf(follower));
      firstRuns = report.runs;
      expect(report.runs.map((r) => [r.name, r.status])).toEqual(ETAS.map((name) => [name, 'passed']));

      // One run per job, each finished, whatever happened to the workers.
      const runs = await jobRunsOf(server.url, 'toy-eta-sweep');
      expect(runs.map((r) => r.tags['mlflow.runName']).sort()).toEqual([...ETAS].sort());
      expect(runs.every((r) => r.info.status === 'FINISHED')).toBe(true);
      expect(new Set(report.runs.map((r) => r.runId))).toEqual(new Set(runs.map((r) => r.info.run_id)));

      // The killed job was taken again by the survivor and continued in the same run.
      const continued = runs.find((r) => r.tags['mlflow.runName'] === killedJob)!;
      expect(continued.info.run_id).toBe(victim.run.info.run_id);
      expect(continued.tags['xp.resumedAt'], 'the killed job was continued by a later attempt').toBeDefined();
      expect(continued.tags['xp.worker']).toBe(`${continued.tags['xp.worker'].split(':')[0]}:${survivor.child.pid}`);
      expect(survivor.output()).toMatch(new RegExp(`\\[${killedJob.replace(/[.=]/g, '\\$&')}\\] continuing run ${victim.run.info.run_id}`));

      // Each loss point exactly once, and the values of a local run.
      for (const run of runs) {
        const name = run.tags['mlflow.runName'];
        for (const key of ['E', 'E1', 'E2']) {
          const points = await history(server.url, run.info.run_id, key);
          expect(points.map((p) => p.step).sort((a, b) => a - b), `${name} ${key}`).toEqual(Array.from({ length: LOSS_POINTS }, (_, step) => step));
        }
        const local = reference.find((r) => r.name === name)!;
        const queued = report.runs.find((r) => r.name === name)!;
        for (const key of ['E', 'E1', 'E2', 'max_fd_rel_error']) expect(queued.metrics[key], `${name} ${key}`).toBe(local.metrics[key]);
        expect((await history(server.url, run.info.run_id, 'max_fd_rel_error')).length, `${name} max_fd_rel_error`).toBe(1);
      }
      // The killed job's backprop table, from the artifact store, is the local run's to the byte.
      const table = await artifact(server.url, continued, 'backprop-table.csv');
      expect(table).toBe(readFileSync(reference.find((r) => r.name === killedJob)!.artifacts['backprop-table.csv'], 'utf8'));

      expect(follower.output()).toMatch(/queue overhead over 6 job\(s\): a free worker → start median [\d.]+ s/);
    },
    LONG,
  );

  it(
    'answers a finished sweep from the run cache in seconds; xp plan shows it; --force --detach enqueues it again for a worker',
    async () => {
      expect(firstRuns, 'the sweep above ran').toBeDefined();
      const queue = `${redis.url}/1`;
      const began = Date.now();
      const again = xp(['run', TOY_SWEEP, '--queue', queue, '--tracking-uri', server.url, '--json'], { cwd: join(dir, 'follower'), timeoutMs: LONG });
      const seconds = (Date.now() - began) / 1000;
      expect(again.code, again.stderr).toBe(0);
      const cached = lastJson<{ runs: RunJson[] }>(again.stdout).runs;
      expect(cached.map((r) => [r.name, r.status, r.cached, r.runId])).toEqual(firstRuns.map((r) => [r.name, 'passed', true, r.runId]));
      expect(cached.find((r) => r.name === 'lr=0.5')!.metrics.E).toBe(firstRuns.find((r) => r.name === 'lr=0.5')!.metrics.E);
      expect(again.stderr).toMatch(/CACHED lr=0\.1/);
      // Nothing was enqueued, so nothing could have trained; the wall time is start-up and lookups.
      expect(again.stderr).not.toMatch(/enqueued/);
      expect(seconds).toBeLessThan(120);
      expect((await jobRunsOf(server.url, 'toy-eta-sweep')).length).toBe(6);

      const plan = xp(['plan', TOY_SWEEP, '--tracking-uri', server.url, '--json'], { cwd: dir });
      expect(plan.code, plan.stderr).toBe(0);
      const planned = JSON.parse(plan.stdout) as { runs: Array<{ name: string; cached: string | null }> };
      expect(planned.runs.map((r) => [r.name, r.cached])).toEqual(firstRuns.map((r) => [r.name, r.runId]));
      const planText = xp(['plan', TOY_SWEEP, '--tracking-uri', server.url], { cwd: dir });
      expect(planText.stdout).toMatch(/cached: 6 of 6 run\(s\)/);

      const detached = xp(['run', TOY_SWEEP, '--queue', queue, '--tracking-uri', server.url, '--force', '--detach', '--json'], { cwd: join(dir, 'follower'), timeoutMs: LONG });
      expect(detached.code, detached.stderr).toBe(0);
      const { sweep } = lastJson<{ sweep: string }>(detached.stdout);
      expect(sweep).toMatch(/^[0-9a-f]{12}$/);
      expect(detached.stderr).toMatch(new RegExp(`sweep ${sweep}: 6 job\\(s\\) enqueued`));
      const waiting = xp(['status', '--queue', queue, sweep, '--json'], { cwd: dir });
      expect(waiting.code, waiting.stderr).toBe(0);
      expect(JSON.parse(waiting.stdout).counts).toMatchObject({ waiting: 6, running: 0, done: 0, failed: 0 });
      // Enqueued twice, held once.
      const twice = xp(['run', TOY_SWEEP, '--queue', queue, '--tracking-uri', server.url, '--force', '--detach'], { cwd: join(dir, 'follower'), timeoutMs: LONG });
      expect(twice.stderr).toMatch(new RegExp(`sweep ${sweep}: 0 job\\(s\\) enqueued on \\S+, 6 already in the queue`));

      const worker = start(workerArgs(queue, server.url), join(dir, 'worker-c'));
      expect((await exitCodes({ worker })).worker, worker.output()).toBe(0);
      const done = xp(['status', '--queue', queue, sweep, '--json'], { cwd: dir });
      const status = JSON.parse(done.stdout) as { counts: Record<string, number>; jobs: Array<{ name: string; runId: string; result: { status: string; cached?: boolean } }> };
      expect(status.counts).toMatchObject({ waiting: 0, running: 0, done: 6, failed: 0 });
      expect(status.jobs.every((job) => job.result.status === 'passed' && !job.result.cached)).toBe(true);
      // Trained again: six new runs beside the six first ones.
      const runs = await jobRunsOf(server.url, 'toy-eta-sweep');
      expect(runs.length).toBe(12);
      expect(status.jobs.every((job) => !firstRuns.some((r) => r.runId === job.runId))).toBe(true);
      const listed = xp(['status', '--queue', queue], { cwd: dir });
      expect(listed.stdout).toMatch(new RegExp(`${sweep}  toy-eta-sweep  .*done 6`));
    },
    LONG,
  );

  it(
    'ends a job that fails by itself as an error with its message after three attempts, without looping',
    async () => {
      const queue = `${redis.url}/2`;
      const specDir = join(dir, 'bad');
      mkdirSync(specDir, { recursive: true });
      writeFileSync(
        join(specDir, 'bad-data.yaml'),
        `name: cnn-bad-data
kind: cnn-classifier
seed: 1
backend: wasm
data: {path: ./no-such-mnist, trainLimit: 100, testLimit: 50}
model:
  blocks:
    features: [{conv2d: {filters: 4, kernel: 3}}, relu, batchnorm, {maxpool: {size: 2}}]
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: 1, batchSize: 32, optimizer: adam, lr: 0.01}
constraints:
  requireLayers: [batchnorm, dropout, dense]
`,
      );
      const follower = start(['run', 'bad-data.yaml', '--queue', queue, '--tracking-uri', server.url, '--json'], specDir);
      await waitFor('the job to be enqueued', () => /enqueued/.test(follower.output()) || undefined, 300_000);
      const worker = start(workerArgs(queue, server.url), join(dir, 'worker-d'));
      const codes = await exitCodes({ follower, worker });
      expect(codes.follower, follower.output()).toBe(1);
      expect(codes.worker, worker.output()).toBe(0);
      const [run] = lastJson<{ runs: RunJson[] }>(stdoutOf(follower)).runs;
      expect(run.status).toBe('error');
      expect(run.message).toMatch(/failed on its last attempt: .*no-such-mnist/s);
      expect(worker.output().match(/attempt \d of 3 failed/g)).toEqual(['attempt 1 of 3 failed', 'attempt 2 of 3 failed', 'attempt 3 of 3 failed']);
      expect(worker.output()).toMatch(/attempt 3 of 3 failed; no attempt left/);
      // One run for the job over its three attempts, ended as failed, with the message.
      const runs = await jobRunsOf(server.url, 'cnn-bad-data');
      expect(runs.map((r) => r.info.status)).toEqual(['FAILED']);
      expect(runs[0].info.run_id).toBe(run.runId);
      expect(runs[0].tags['xp.message']).toMatch(/no-such-mnist/);
    },
    LONG,
  );

  it(
    "stops a queued job when the follower's scheduler says so: pruned, its run KILLED, its history cut",
    async () => {
      const queue = `${redis.url}/4`;
      const specDir = join(dir, 'median');
      mkdirSync(specDir, { recursive: true });
      // Two learning rates, one worker: the good one runs first and alone; the hopeless one (lr 1e-6)
      // is below its epoch-1 accuracy at once, so median stopping asks for a stop, which the worker
      // sees at the job's next report.
      writeFileSync(
        join(specDir, 'median.yaml'),
        `name: cnn-queue-median
kind: cnn-classifier
seed: 1
backend: wasm
data: {trainLimit: 4000, testLimit: 500}
model:
  blocks:
    features: [{conv2d: {filters: 4, kernel: 3}}, relu, batchnorm, {maxpool: {size: 2}}]
    head: [flatten, {dropout: 0.1}, {dense: {units: 10}}, log-softmax]
train: {epochs: 4, batchSize: 32, optimizer: sgd, lr: 0.05, workers: 1}
constraints:
  requireLayers: [batchnorm, dropout, dense]
sweep:
  grid:
    train.lr: [0.05, 0.000001]
  scheduler:
    median: {metric: test_accuracy, mode: max, grace: 1, minJobs: 1}
`,
      );
      const follower = start(['run', 'median.yaml', '--queue', queue, '--tracking-uri', server.url, '--json'], specDir);
      await waitFor('the sweep to be enqueued', () => /2 job\(s\) enqueued/.test(follower.output()) || undefined, 300_000);
      const worker = start(workerArgs(queue, server.url), join(dir, 'worker-f'));
      const codes = await exitCodes({ follower, worker });
      expect(codes.follower, follower.output()).toBe(0);
      expect(codes.worker, worker.output()).toBe(0);
      expect(follower.output()).toMatch(/lr=0\.000001: asking its worker to stop it/);
      const report = lastJson<{ runs: RunJson[] }>(stdoutOf(follower));
      expect(report.runs.map((r) => [r.name, r.status])).toEqual([
        ['lr=0.05', 'passed'],
        ['lr=0.000001', 'pruned'],
      ]);
      const runs = await jobRunsOf(server.url, 'cnn-queue-median');
      const byName = Object.fromEntries(runs.map((r) => [r.tags['mlflow.runName'], r]));
      expect(byName['lr=0.05'].info.status).toBe('FINISHED');
      expect(byName['lr=0.000001'].info.status).toBe('KILLED');
      expect(byName['lr=0.000001'].tags['xp.status']).toBe('pruned');
      expect(await history(server.url, byName['lr=0.05'].info.run_id, 'test_accuracy')).toHaveLength(4);
      const cut = await history(server.url, byName['lr=0.000001'].info.run_id, 'test_accuracy');
      expect(cut.length).toBeGreaterThanOrEqual(1);
      expect(cut.length).toBeLessThan(4);
    },
    LONG,
  );

  it(
    'completes a sweep through a Redis restart: workers and follower reconnect',
    async () => {
      const queue = `${redis.url}/3`;
      const specDir = join(dir, 'restart');
      mkdirSync(specDir, { recursive: true });
      const spec = readFileSync(TOY_SWEEP, 'utf8').replace('name: toy-eta-sweep', 'name: toy-redis-restart').replace('experiment: toy-eta-sweep', 'experiment: toy-redis-restart').replace('[0.1, 0.2, 0.5, 0.8, 1.0, 2.0]', '[0.5, 1.0, 2.0]');
      writeFileSync(join(specDir, 'toy.yaml'), spec);
      const follower = start(['run', 'toy.yaml', '--queue', queue, '--tracking-uri', server.url, '--json'], specDir);
      await waitFor('the sweep to be enqueued', () => /3 job\(s\) enqueued/.test(follower.output()) || undefined, 300_000);
      const worker = start(workerArgs(queue, server.url), join(dir, 'worker-e'));
      await waitFor('the first job to end', () => /lr=0\.5: done/.test(follower.output()) || undefined, 600_000);
      await redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await redis.restart();
      const codes = await exitCodes({ follower, worker });
      expect(codes.follower, follower.output()).toBe(0);
      expect(codes.worker, worker.output()).toBe(0);
      expect(follower.output()).toMatch(/lost Redis/);
      const report = lastJson<{ runs: RunJson[] }>(stdoutOf(follower));
      expect(report.runs.map((r) => [r.name, r.status])).toEqual([
        ['lr=0.5', 'passed'],
        ['lr=1', 'passed'],
        ['lr=2', 'passed'],
      ]);
      const runs = await jobRunsOf(server.url, 'toy-redis-restart');
      expect(runs.map((r) => r.tags['mlflow.runName']).sort()).toEqual(['lr=0.5', 'lr=1', 'lr=2']);
      expect(runs.every((r) => r.info.status === 'FINISHED')).toBe(true);
    },
    LONG,
  );
});
