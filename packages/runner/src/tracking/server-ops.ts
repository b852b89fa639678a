/**
 * The writes a server run makes, as plain data: sent directly while the server answers, written to
 * the spool while it does not, and replayed from there by `xp sync`.
 */
import { promises as fs } from 'node:fs';
import { fromWireValue, type MlflowRestClient, type WireKeyValue, type WireMetric } from './mlflow-rest-client.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import type { MetricPoint, RunStatus } from './types.ts';

export type ServerOp =
  | { op: 'logBatch'; metrics: WireMetric[]; params: WireKeyValue[]; tags: WireKeyValue[] }
  /** proxyPath: where the file goes under the server's artifact proxy, e.g. "1/<runId>/artifacts/model.json". */
  | { op: 'uploadArtifact'; localPath: string; proxyPath: string }
  | { op: 'updateRun'; status: Exclude<RunStatus, 'RUNNING'>; endTime: number };

/** MLflow's log-batch limits per request. */
const MAX_METRICS = 1000;
const MAX_PARAMS = 100;
const MAX_TAGS = 100;

export async function sendOp(client: MlflowRestClient, runId: string, op: ServerOp, retry: RetryPolicy): Promise<void> {
  switch (op.op) {
    case 'logBatch':
      for (const batch of chunkBatch(op)) {
        await withRetry(() => client.call('POST', 'runs/log-batch', { run_id: runId, ...batch }), retry);
      }
      return;
    case 'uploadArtifact': {
      const content = await fs.readFile(op.localPath);
      await withRetry(() => client.putArtifact(op.proxyPath, content), retry);
      return;
    }
    case 'updateRun':
      await withRetry(() => client.call('POST', 'runs/update', { run_id: runId, status: op.status, end_time: op.endTime }), retry);
      return;
  }
}

function* chunkBatch(op: Extract<ServerOp, { op: 'logBatch' }>) {
  const { metrics, params, tags } = op;
  for (let i = 0; i === 0 || i < Math.max(metrics.length / MAX_METRICS, params.length / MAX_PARAMS, tags.length / MAX_TAGS); i++) {
    yield {
      metrics: metrics.slice(i * MAX_METRICS, (i + 1) * MAX_METRICS),
      params: params.slice(i * MAX_PARAMS, (i + 1) * MAX_PARAMS),
      tags: tags.slice(i * MAX_TAGS, (i + 1) * MAX_TAGS),
    };
  }
}

/** The artifact proxy path of a run's artifact root, from its artifact_uri "mlflow-artifacts:/1/<runId>/artifacts". */
export function proxyRoot(artifactUri: string): string | null {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*)$/.exec(artifactUri);
  return match ? match[1].replace(/\/+$/, '') : null;
}

/** Every point of one metric of one run, across result pages. */
export async function fetchMetricHistory(
  client: MlflowRestClient,
  runId: string,
  key: string,
  retry: RetryPolicy,
): Promise<(MetricPoint & { timestamp: number })[]> {
  const out: (MetricPoint & { timestamp: number })[] = [];
  let pageToken: string | undefined;
  do {
    const page = await withRetry(
      () =>
        client.call<{ metrics?: WireMetric[]; next_page_token?: string }>('GET', 'metrics/get-history', {
          run_id: runId,
          metric_key: key,
          max_results: 25_000,
          page_token: pageToken,
        }),
      retry,
    );
    for (const metric of page.metrics ?? []) {
      out.push({ key, value: fromWireValue(metric.value), step: Number(metric.step ?? 0), timestamp: Number(metric.timestamp) });
    }
    pageToken = page.next_page_token || undefined;
  } while (pageToken);
  return out;
}
