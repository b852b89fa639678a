/**
 * Replays spooled writes to the server they were meant for (`xp sync`, and RestRun.end() when the
 * server is back). Safe to run again after an interruption: replayed records are listed in the
 * spool's .done file, and metric points the server already holds (a write that reached it although
 * its answer did not reach us) are filtered out, since MLflow appends metric points unconditionally.
 * Params, tags, run status and artifact uploads are idempotent on the server.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MlflowRestClient, fromWireValue } from './mlflow-rest-client.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import { fetchMetricHistory, sendOp, type ServerOp } from './server-ops.ts';
import { markReplayed, progressFile, readProgress, readSpool, spoolDir } from './spool.ts';

export interface SyncReport {
  /** Spool files fully delivered (and removed). */
  delivered: string[];
  /** Spool files left for another attempt, with why. */
  failed: { file: string; error: string }[];
  /** Spool files for other servers than the one asked for. */
  skipped: string[];
  /** Records sent. */
  sent: number;
}

export interface SyncOptions {
  cwd: string;
  retry?: RetryPolicy;
}

/**
 * Replays every spool under <cwd>/.xp/spool/ whose records are for `uri` (all of them, each to its own
 * server, when uri is undefined).
 */
export async function syncSpool(uri: string | undefined, options: SyncOptions): Promise<SyncReport> {
  const report: SyncReport = { delivered: [], failed: [], skipped: [], sent: 0 };
  const dir = spoolDir(options.cwd);
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
    const records = await readSpool(file);
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
      report.sent += await replaySpoolFile(new MlflowRestClient(target), file, options.retry ?? DEFAULT_RETRY);
      report.delivered.push(file);
    } catch (error) {
      report.failed.push({ file, error: (error as Error).message });
    }
  }
  return report;
}

/** Sends the records of one spool not yet replayed, in order; removes the spool once all are delivered. */
export async function replaySpoolFile(client: MlflowRestClient, file: string, retry: RetryPolicy): Promise<number> {
  const records = await readSpool(file);
  const done = await readProgress(file);
  const known = new KnownMetricPoints(client, retry);
  let sent = 0;
  for (const record of records) {
    if (done.has(record.seq)) continue;
    const op = record.op.op === 'logBatch' ? await known.withoutKnown(record.runId, record.op) : record.op;
    await sendOp(client, record.runId, op, retry);
    known.remember(record.runId, op);
    await markReplayed(file, record.seq);
    sent++;
  }
  await removeSpool(file);
  return sent;
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
