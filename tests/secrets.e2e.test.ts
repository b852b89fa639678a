/**
 * Secrets, with real parts (#26.4, #22.3): an MLflow server behind its basic-auth app, a Bearer-token
 * proxy in front of it, a Redis with --requirepass and an `xp worker`. With the right secrets a tiny
 * toy sweep runs through each (credentials in the URI, in MLflow's variables, as a token, through the
 * queue, spooled while the server is away and delivered by `xp sync`); with a wrong one each command
 * fails in one line that says "authentication failed", nothing spooled. Last, a grep over everything:
 * the output of every command, every file under each working directory (.xp/: spool files, staged
 * artifacts, run-id maps), the server's store and artifacts, Redis's data and the params and tags of
 * every run as MLflow's Python client reads them back finds none of the secrets.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './fixtures/mlflow-server.ts';
import { redisSkipReason } from './fixtures/redis-server.ts';
import { mlflowAuthSkipReason, startAuthProxy, startMlflowWithBasicAuth, startRedisWithPassword, type AuthProxy, type Started } from './fixtures/secured-servers.ts';
import { tempDir, XP_BIN, type XpResult } from './helpers.ts';

const ADMIN_PASSWORD = 'adm1n-Pw-7f3a9c';
const REDIS_PASSWORD = 'r3dis-Pw-51e0b2';
const TOKEN = 'tok3n-Bearer-c8d4e6';
const WRONG = { mlflow: 'wr0ng-Mlflow-Pw-99', redis: 'wr0ng-Redis-Pw-88', token: 'wr0ng-Token-77' };
const SECRETS = [ADMIN_PASSWORD, REDIS_PASSWORD, TOKEN, ...Object.values(WRONG), Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')];
const LONG = 600_000;

/** A two-variant toy sweep of 20 steps: seconds per run. */
function toySpec(dir: string, experiment: string, trackingUri?: string): string {
  const file = join(dir, `${experiment}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${experiment}`,
      'kind: toy-mlp',
      'data: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}',
      'model: {weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}}',
      'train: {steps: 20, lr: 0.5}',
      'sweep: {grid: {train.lr: [0.5, 1.0]}}',
      `tracking: {experiment: ${experiment}${trackingUri ? `, uri: "${trackingUri}"` : ''}}`,
      '',
    ].join('\n'),
  );
  return file;
}

const withUser = (url: string, password: string): string => url.replace('http://', `http://admin:${password}@`);
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop()!) as T;

/** Every file under `dir`, as text. */
function filesUnder(dir: string): Array<{ file: string; text: string }> {
  if (!existsSync(dir)) return [];
  const out: Array<{ file: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push({ file, text: readFileSync(file).toString('latin1') });
  }
  return out;
}

/** Every run's params and tags in every experiment, as MLflow's own Python client reads them. */
function mlflowParamsAndTags(url: string): Record<string, { params: Record<string, string>; tags: Record<string, string>; status: string }> {
  const script = [
    'import json, mlflow',
    'from mlflow.tracking import MlflowClient',
    `client = MlflowClient(${JSON.stringify(url)})`,
    'out = {}',
    'for e in client.search_experiments():',
    '    for r in client.search_runs([e.experiment_id], max_results=1000):',
    '        out[e.name + "/" + r.info.run_id] = {"params": r.data.params, "tags": r.data.tags, "status": r.info.status}',
    'print(json.dumps(out))',
  ].join('\n');
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD }, timeout: 120_000 });
  if (result.status !== 0) throw new Error(`MLflow's client failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

function xpAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<XpResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [XP_BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A failure told in one line: "xp: authentication failed …", no stack. */
function expectOneLineAuthFailure(result: XpResult, pattern: RegExp): void {
  const lines = result.stderr.split('\n').filter((line) => line.trim() && !/^\s*(warning|note):/.test(line));
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const skip = redisSkipReason() ?? mlflowAuthSkipReason();
describe.skipIf(skip !== null)(`secrets: credentials work, wrong ones say so, none is printed or recorded${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = tempDir('xp-secrets-e2e-');
  let redis: Started;
  let mlflow: Started;
  let tokenProxy: AuthProxy;
  /** The output of every command of this file: what the final grep reads. */
  const outputs: string[] = [];
  // Asynchronous: the proxies live in this process, and a synchronous spawn would keep them from answering.
  const run = async (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<XpResult> => {
    mkdirSync(cwd, { recursive: true });
    const result = await xpAsync(args, cwd, env);
    // Labelled by the command's name only: its arguments hold the secrets this test gives it.
    outputs.push(`$ xp ${args[0]} (#${outputs.length})\n${result.stdout}\n${result.stderr}`);
    return result;
  };

  beforeAll(async () => {
    mkdirSync(join(dir, 'redis'));
    mkdirSync(join(dir, 'mlflow'));
    [redis, mlflow] = await Promise.all([startRedisWithPassword(join(dir, 'redis'), REDIS_PASSWORD), startMlflowWithBasicAuth(join(dir, 'mlflow'), ADMIN_PASSWORD)]);
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    tokenProxy = await startAuthProxy(await freePort(), mlflow.url, (authorization) => (authorization === `Bearer ${TOKEN}` ? basic : null));
  }, LONG);

  afterAll(async () => {
    await Promise.allSettled([redis?.kill(), mlflow?.kill(), tokenProxy?.close()]);
  });

  it("basic auth from the spec's tracking.uri (user:password in the URI): the sweep runs, the URI is recorded as http://***@…", async () => {
    const cwd = join(dir, 'uri');
    mkdirSync(cwd, { recursive: true });
    const result = await run(['run', toySpec(cwd, 'in-uri', withUser(mlflow.url, ADMIN_PASSWORD)), '--json'], cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`tracked in MLflow server ${mlflow.url.replace('http://', 'http://***@')}`);
    const runs = Object.entries(mlflowParamsAndTags(mlflow.url)).filter(([key]) => key.startsWith('in-uri/'));
    expect(runs.filter(([, r]) => r.tags['xp.jobHash'])).toHaveLength(2);
    for (const [, r] of runs.filter(([, r]) => r.tags['xp.jobHash'])) {
      expect(r.status).toBe('FINISHED');
      expect(r.params['tracking.uri']).toBe(mlflow.url.replace('http://', 'http://***@'));
    }
  }, LONG);

  it('basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD, in child processes too (--jobs 2)', async () => {
    const cwd = join(dir, 'env');
    mkdirSync(cwd, { recursive: true });
    const result = await run(['run', toySpec(cwd, 'in-env'), '--tracking-uri', mlflow.url, '--jobs', '2', '--json'], cwd, { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD });
    expect(result.code, result.stderr).toBe(0);
    expect(lastJson<{ runs: Array<{ status: string }> }>(result.stdout).runs.map((r) => r.status)).toEqual(['passed', 'passed']);
  }, LONG);

  it('a Bearer token from MLFLOW_TRACKING_TOKEN, on every request (a proxy checks it)', async () => {
    const cwd = join(dir, 'token');
    mkdirSync(cwd, { recursive: true });
    tokenProxy.seen.length = 0;
    const result = await run(['run', toySpec(cwd, 'by-token'), '--tracking-uri', tokenProxy.url, '--json'], cwd, { MLFLOW_TRACKING_TOKEN: TOKEN });
    expect(result.code, result.stderr).toBe(0);
    expect(tokenProxy.seen.length).toBeGreaterThan(5);
    expect(new Set(tokenProxy.seen)).toEqual(new Set([`Bearer ${TOKEN}`]));
    const runs = Object.entries(mlflowParamsAndTags(mlflow.url)).filter(([key, r]) => key.startsWith('by-token/') && r.tags['xp.jobHash']);
    expect(runs.map(([, r]) => r.status)).toEqual(['FINISHED', 'FINISHED']);
  }, LONG);

  it('a wrong MLflow password or token: one line, "authentication failed", exit 1, nothing spooled, not retried for ever', async () => {
    const cwd = join(dir, 'wrong-mlflow');
    mkdirSync(cwd, { recursive: true });
    const spec = toySpec(cwd, 'refused');
    const started = Date.now();
    const inUri = await run(['run', spec, '--tracking-uri', withUser(mlflow.url, WRONG.mlflow)], cwd);
    expect(inUri.code).toBe(1);
    expectOneLineAuthFailure(inUri, new RegExp(`^xp: authentication failed for MLflow server http://\\*\\*\\*@127\\.0\\.0\\.1:${mlflow.port} \\(401[^)]*\\): the server refused the credentials in the tracking URI's user:password$`));
    const inEnv = await run(['run', spec, '--tracking-uri', mlflow.url], cwd, { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: WRONG.mlflow });
    expect(inEnv.code).toBe(1);
    expectOneLineAuthFailure(inEnv, /^xp: authentication failed for MLflow server http:\/\/127\.0\.0\.1:\d+ \(401[^)]*\): the server refused the credentials in MLFLOW_TRACKING_USERNAME\/MLFLOW_TRACKING_PASSWORD$/);
    const token = await run(['run', spec, '--tracking-uri', tokenProxy.url], cwd, { MLFLOW_TRACKING_TOKEN: WRONG.token });
    expect(token.code).toBe(1);
    expectOneLineAuthFailure(token, /^xp: authentication failed for MLflow server http:\/\/127\.0\.0\.1:\d+ \(401 UNAUTHENTICATED\): the server refused the credentials in MLFLOW_TRACKING_TOKEN$/);
    const none = await run(['run', spec, '--tracking-uri', mlflow.url], cwd);
    expect(none.code).toBe(1);
    expectOneLineAuthFailure(none, /^xp: authentication failed for MLflow server .*: the server wants credentials: set MLFLOW_TRACKING_TOKEN/);
    // Refused is not unreachable: nothing waits in a spool, and no back-off was sat through (4 commands).
    expect(existsSync(join(cwd, '.xp', 'spool')) ? readdirSync(join(cwd, '.xp', 'spool')) : []).toEqual([]);
    expect(Date.now() - started).toBeLessThan(120_000);
  }, LONG);

  it('spooled while the server is away, delivered by xp sync with the credentials of its --tracking-uri; the spool holds none', async () => {
    const cwd = join(dir, 'spool');
    mkdirSync(cwd, { recursive: true });
    const port = await freePort();
    const away = await run(['run', toySpec(cwd, 'spooled'), '--tracking-uri', withUser(`http://127.0.0.1:${port}`, ADMIN_PASSWORD), '--json'], cwd);
    expect(away.code, away.stderr).toBe(0);
    const spooled = filesUnder(join(cwd, '.xp', 'spool'));
    expect(spooled.length).toBeGreaterThan(0);
    for (const { file, text } of spooled) for (const secret of SECRETS) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    // The server comes up at the address the spool names (a proxy that passes the credentials on).
    const gate = await startAuthProxy(port, mlflow.url, (authorization) => authorization ?? null);
    try {
      const sync = await run(['sync', '--tracking-uri', withUser(gate.url, ADMIN_PASSWORD)], cwd);
      expect(sync.code, sync.stderr).toBe(0);
      expect(new Set(gate.seen)).toEqual(new Set([`Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`]));
    } finally {
      await gate.close();
    }
    const runs = Object.entries(mlflowParamsAndTags(mlflow.url)).filter(([key, r]) => key.startsWith('spooled/') && r.tags['xp.jobHash']);
    expect(runs.map(([, r]) => r.status)).toEqual(['FINISHED', 'FINISHED']);
  }, LONG);

  it('Redis with --requirepass: a sweep through the queue and one worker; a wrong or missing password is "authentication failed", exit 2', async () => {
    const cwd = join(dir, 'queue');
    const workerCwd = join(dir, 'worker');
    mkdirSync(cwd, { recursive: true });
    mkdirSync(workerCwd, { recursive: true });
    const queue = redis.url.replace('redis://', `redis://:${REDIS_PASSWORD}@`);
    const shown = redis.url.replace('redis://', 'redis://***@');

    const wrong = await run(['run', toySpec(cwd, 'queued'), '--queue', redis.url.replace('redis://', `redis://:${WRONG.redis}@`), '--tracking-uri', withUser(mlflow.url, ADMIN_PASSWORD)], cwd);
    expect(wrong.code).toBe(2);
    expectOneLineAuthFailure(wrong, new RegExp(`^xp: authentication failed for Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${redis.port} \\(WRONGPASS[^)]*\\): fix the password in --queue`));
    const missing = await run(['worker', '--queue', redis.url, '--exit-when-idle'], workerCwd);
    expect(missing.code).toBe(2);
    expectOneLineAuthFailure(missing, new RegExp(`^xp: authentication failed for Redis at redis://127\\.0\\.0\\.1:${redis.port} \\(NOAUTH[^)]*\\): this Redis wants a password`));

    // The worker has its own MLflow credentials (the jobs in Redis carry the server's address alone).
    const worker = spawn(process.execPath, [XP_BIN, 'worker', '--queue', queue, '--lock-seconds', '5'], {
      cwd: workerCwd,
      env: { ...process.env, MLFLOW_TRACKING_URI: '', MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerOutput = '';
    worker.stdout!.on('data', (chunk) => (workerOutput += chunk));
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
    const workerExit = new Promise((resolve) => worker.on('exit', resolve));
    try {
      const result = await run(['run', join(cwd, 'queued.yaml'), '--queue', queue, '--tracking-uri', withUser(mlflow.url, ADMIN_PASSWORD), '--json'], cwd);
      expect(result.code, `${result.stderr}\n--- worker ---\n${workerOutput}`).toBe(0);
      expect(result.stderr).toContain(`job(s) enqueued on ${shown}`);
      expect(lastJson<{ runs: Array<{ status: string }> }>(result.stdout).runs.map((r) => r.status)).toEqual(['passed', 'passed']);
      expect(workerOutput).toContain(`takes jobs from ${shown}`);
    } finally {
      worker.kill('SIGINT');
      await Promise.race([workerExit, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (worker.exitCode === null) worker.kill('SIGKILL');
      outputs.push(`$ xp worker --queue …\n${workerOutput}`);
    }
  }, LONG);

  it('no secret anywhere: command output, .xp/ of every working directory, the server store and artifacts, Redis data, MLflow params and tags', async () => {
    const haystack: Array<{ where: string; text: string }> = outputs.map((text, i) => ({ where: `command output #${i}`, text }));
    for (const sub of ['uri', 'env', 'token', 'wrong-mlflow', 'spool', 'queue', 'worker']) {
      // All but the spec files this test wrote (one holds a tracking.uri with the password, as a user's may).
      for (const { file, text } of filesUnder(join(dir, sub)).filter(({ file }) => file !== join(dir, sub, file.split('/').pop()!) || !file.endsWith('.yaml'))) haystack.push({ where: file, text });
    }
    // The store's database and the proxied artifacts (the auth app's user database holds a hash, not the password: leave it out).
    for (const { file, text } of filesUnder(join(dir, 'mlflow')).filter(({ file }) => !file.endsWith('basic_auth.db'))) haystack.push({ where: file, text });
    for (const { file, text } of filesUnder(join(dir, 'redis'))) for (const secret of SECRETS.filter((s) => s !== REDIS_PASSWORD)) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    const recorded = mlflowParamsAndTags(mlflow.url);
    expect(Object.keys(recorded).length).toBeGreaterThanOrEqual(12);
    haystack.push({ where: "MLflow's client: params and tags", text: JSON.stringify(recorded) });
    expect(haystack.filter(({ where }) => where.includes('/artifacts/')).length).toBeGreaterThan(0);
    const found = haystack.flatMap(({ where, text }) => SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${secret} in ${where}`));
    expect(found).toEqual([]);
  }, LONG);
});
