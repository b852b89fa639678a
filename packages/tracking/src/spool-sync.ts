/**
 * Replays spooled writes to the server they were meant for (`xp sync`, and RestRun.end() when the
 * server is back). Safe to run again after an interruption: replayed records are listed in the
 * spool's .done file, and metric points the server already holds (a write that reached it although
 * its answer did not reach us) are filtered out, since MLflow appends metric points unconditionally.
 * Params, tags, run status and artifact uploads are idempotent on the server; a run created from the
 * spool is tagged with its local id and looked up by it before it is created again.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NoArtifactProxyError } from './errors.ts';
import { mlflowAuth } from './mlflow-env.ts';
import type { UriCredentials } from './uri.ts';
import { MlflowRestClient, fromWireValue, type WireKeyValue } from './mlflow-rest-client.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.ts';
import { TAG_PARENT_RUN_ID } from './mlflow-conventions.ts';
import {
  TAG_LOCAL_RUN_ID,
  createServerRun,
  fetchMetricHistory,
  findRunByLocalId,
  findRunByTag,
  getOrCreateExperimentOn,
  TAG_RUN_KEY,
  sendOp,
  type ServerOp,
} from './server-ops.ts';
import { mappedRunId, markReplayed, progressFile, readProgress, readSpool, recordMappedRunId, spoolDir, spoolFile, type SpoolRecord } from './spool.ts';

/** Tags whose value is a run id, which for a run created offline is its local id until replay maps it. */
export const RUN_ID_TAGS = [TAG_PARENT_RUN_ID, 'xp.resumedFrom'];

export interface SyncReport {
  /** Spool files fully delivered (and removed). */
  delivered: string[];
  /** Spool files left for another attempt, with why. */
  failed: { file: string; error: string }[];
  /** Spool files for other servers than the one asked for. */
  skipped: string[];
  /** Records sent. */
  sent: number;
  /**
   * Per delivered run, the files its server could not take (it proxies no artifacts): the run's params,
   * metrics and status were delivered all the same; the files stay where they were staged.
   */
  artifactsLeft: ArtifactsLeft[];
}

export interface ArtifactsLeft {
  file: string;
  /** The local files not uploaded. */
  paths: string[];
  reason: string;
}

/** What one spool's replay did. */
export interface Replayed {
  sent: number;
  /** Files the server could not take, with why (empty when every upload went). */
  artifactsLeft: { paths: string[]; reason: string };
}

export interface SyncOptions {
  cwd: string;
  retry?: RetryPolicy;
  /** For the server's credentials (MLFLOW_TRACKING_TOKEN, ...). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** The user:password of the URI `xp sync --tracking-uri` was given (spool files never hold credentials). */
  credentials?: UriCredentials | null;
}

/** Where replay keeps the local → server run-id map, and the parents' spools it may have to create first. */
export interface ReplayContext {
  cwd: string;
  retry: RetryPolicy;
}

/**
 * Replays every spool under <cwd>/.xp/spool/ whose records are for `uri` (all of them, each to its own
 * server, when uri is undefined).
 */
export async function syncSpool(uri: string | undefined, options: SyncOptions): Promise<SyncReport> {
  const report: SyncReport = { delivered: [], failed: [], skipped: [], sent: 0, artifactsLeft: [] };
  const dir = spoolDir(options.cwd);
  const retry = options.retry ?? DEFAULT_RETRY;
  const auth = mlflowAuth(options.env ?? process.env, options.credentials ?? null);
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw error;
  }
  const wanted = uri?.replace(/\/+$/, '');
  for (const name of names) {
    const file = path.join(dir, name);
    let records: SpoolRecord[];
    try {
      records = await readSpool(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // delivered meanwhile (a parent run, or another process)
      throw error;
    }
    const target = records[0]?.uri;
    if (target === undefined) {
      await removeSpool(file);
      continue;
    }
    if (wanted !== undefined && target !== wanted) {
      report.skipped.push(file);
      continue;
    }
    try {
      const replayed = await replaySpoolFile(new MlflowRestClient(target, { headers: auth.headers, credentialSource: auth.source }), file, { cwd: options.cwd, retry });
      report.sent += replayed.sent;
      report.delivered.push(file);
      if (replayed.artifactsLeft.paths.length) report.artifactsLeft.push({ file, ...replayed.artifactsLeft });
    } catch (error) {
      report.failed.push({ file, error: (error as Error).message });
    }
  }
  return report;
}

/**
 * Sends the records of one spool not yet replayed, in order; removes the spool once all are delivered.
 * A server without an artifact proxy takes everything but the files: those are left out (and listed),
 * so the run still gets its params, metrics and final status rather than staying RUNNING.
 */
export async function replaySpoolFile(client: MlflowRestClient, file: string, context: ReplayContext): Promise<Replayed> {
  const records = await readSpool(file);
  const done = await readProgress(file);
  const known = new KnownMetricPoints(client, context.retry);
  const artifactsLeft: Replayed['artifactsLeft'] = { paths: [], reason: '' };
  let sent = 0;
  for (const record of records) {
    if (done.has(record.seq)) continue;
    if (record.op.op === 'createRun') {
      await createFromRecord(client, record, context, 0);
    } else {
      const runId = (await mappedRunId(context.cwd, record.runId)) ?? record.runId;
      let op: ServerOp = record.op;
      if (op.op === 'logBatch') op = await known.withoutKnown(runId, { ...op, tags: await translateRunIdTags(client, op.tags, context, 0) });
      try {
        await sendOp(client, runId, op, context.retry);
      } catch (error) {
        if (!(error instanceof NoArtifactProxyError) || op.op !== 'uploadArtifact') throw error;
        artifactsLeft.paths.push(op.localPath);
        artifactsLeft.reason = `${client.baseUrl} does not proxy artifacts (start it with --serve-artifacts)`;
        await markReplayed(file, record.seq);
        continue;
      }
      known.remember(runId, op);
    }
    await markReplayed(file, record.seq);
    sent++;
  }
  await removeSpool(file);
  return { sent, artifactsLeft };
}

/** Creates the run a createRun record stands for (or finds the one an interrupted replay created) and maps its local id. */
async function createFromRecord(client: MlflowRestClient, record: SpoolRecord, context: ReplayContext, depth: number): Promise<string> {
  const op = record.op as Extract<ServerOp, { op: 'createRun' }>;
  const experimentId = op.experimentId ?? (await getOrCreateExperimentOn(client, op.experimentName ?? 'Default', context.retry));
  // A run the server made although its answer was lost carries the key of its creation; one an
  // interrupted replay made, its local id.
  const runKey = op.tags.find((tag) => tag.key === TAG_RUN_KEY)?.value;
  const byKey = runKey === undefined ? null : await withRetry(() => findRunByTag(client, experimentId, TAG_RUN_KEY, runKey), context.retry);
  let runId = byKey?.info.run_id ?? (await findRunByLocalId(client, experimentId, record.runId, context.retry));
  if (byKey && !byKey.data.tags?.some((tag) => tag.key === TAG_LOCAL_RUN_ID)) {
    await sendOp(client, byKey.info.run_id, { op: 'logBatch', metrics: [], params: [], tags: [{ key: TAG_LOCAL_RUN_ID, value: record.runId }] }, context.retry);
  }
  if (runId === null) {
    const tags = await translateRunIdTags(client, op.tags, context, depth);
    tags.push({ key: TAG_LOCAL_RUN_ID, value: record.runId });
    runId = (await createServerRun(client, { experimentId, runName: op.runName, startTime: op.startTime, userId: op.userId, tags }, context.retry)).info.run_id;
  }
  await recordMappedRunId(context.cwd, record.runId, record.uri, runId);
  return runId;
}

/** Tag values naming a run created offline become its server id; such a run not yet created (a parent still running, say) is created first. */
async function translateRunIdTags(client: MlflowRestClient, tags: WireKeyValue[], context: ReplayContext, depth: number): Promise<WireKeyValue[]> {
  const out: WireKeyValue[] = [];
  for (const tag of tags) {
    out.push(RUN_ID_TAGS.includes(tag.key) ? { key: tag.key, value: await serverIdFor(client, tag.value, context, depth) } : tag);
  }
  return out;
}

async function serverIdFor(client: MlflowRestClient, runId: string, context: ReplayContext, depth: number): Promise<string> {
  const mapped = await mappedRunId(context.cwd, runId);
  if (mapped !== null || depth > 16) return mapped ?? runId;
  const file = spoolFile(context.cwd, runId);
  const first = (await readSpool(file).catch(() => []))[0];
  if (!first || first.op.op !== 'createRun' || (await readProgress(file)).has(first.seq)) return runId;
  const created = await createFromRecord(client, first, context, depth + 1);
  await markReplayed(file, first.seq);
  return created;
}

/** The metric points a run already has on the server, fetched once per (run, key). */
class KnownMetricPoints {
  private readonly points = new Map<string, Set<string>>();

  constructor(
    private readonly client: MlflowRestClient,
    private readonly retry: RetryPolicy,
  ) {}

  async withoutKnown(runId: string, op: Extract<ServerOp, { op: 'logBatch' }>): Promise<ServerOp> {
    const metrics = [];
    for (const metric of op.metrics) {
      const known = await this.forKey(runId, metric.key);
      if (!known.has(pointId(metric.step, metric.timestamp, fromWireValue(metric.value)))) metrics.push(metric);
    }
    return { ...op, metrics };
  }

  remember(runId: string, op: ServerOp): void {
    if (op.op !== 'logBatch') return;
    for (const metric of op.metrics) {
      this.points.get(`${runId}\u0000${metric.key}`)?.add(pointId(metric.step, metric.timestamp, fromWireValue(metric.value)));
    }
  }

  private async forKey(runId: string, key: string): Promise<Set<string>> {
    const id = `${runId}\u0000${key}`;
    let known = this.points.get(id);
    if (!known) {
      const history = await fetchMetricHistory(this.client, runId, key, this.retry);
      known = new Set(history.map((point) => pointId(point.step, point.timestamp, point.value)));
      this.points.set(id, known);
    }
    return known;
  }
}

function pointId(step: number, timestamp: number, value: number): string {
  return `${step}|${timestamp}|${value}`;
}

async function removeSpool(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  await fs.rm(progressFile(file), { force: true });
}
