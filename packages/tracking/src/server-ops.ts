/**
 * The writes a server run makes, as plain data: sent directly while the server answers, written to
 * the spool while it does not, and replayed from there by `xp sync`.
 */
import { promises as fs } from 'node:fs';
import { MlflowApiError, NoArtifactProxyError, TrackingError } from './errors.ts';
import { fromWireValue, type MlflowRestClient, type WireExperiment, type WireKeyValue, type WireMetric, type WireRun } from './mlflow-rest-client.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import { EXPERIMENT_KIND_TRAINING, TAG_EXPERIMENT_KIND } from './mlflow-conventions.ts';
import type { MetricPoint, RunStatus } from './types.ts';

export type ServerOp =
  /**
   * Creating a run the server could not be asked to create: the run got a local id (the spool's
   * runId), which replay maps to the id the server gives it (see spool.ts, RunIdMap). The experiment
   * is named when it could not be looked up either.
   */
  | { op: 'createRun'; experimentId?: string; experimentName?: string; runName: string; startTime: number; userId?: string; tags: WireKeyValue[] }
  | { op: 'logBatch'; metrics: WireMetric[]; params: WireKeyValue[]; tags: WireKeyValue[] }
  /**
   * proxyPath: where the file goes under the server's artifact proxy, e.g. "1/<runId>/artifacts/model.json";
   * for a run created offline, artifactPath (relative to the run's artifact root) instead, resolved at replay.
   */
  | { op: 'uploadArtifact'; localPath: string; proxyPath?: string; artifactPath?: string }
  /** RUNNING (no endTime) reopens a run, as MLflow's start_run(run_id=...) does. */
  | { op: 'updateRun'; status: RunStatus; endTime?: number };

/** Tag on a run created from the spool: its local id, so a replay cut short finds it instead of creating it twice. */
export const TAG_LOCAL_RUN_ID = 'xp.localRunId';

/** MLflow's log-batch limits per request. */
const MAX_METRICS = 1000;
const MAX_PARAMS = 100;
const MAX_TAGS = 100;

/** Sends one write of run `runId` (a server id). createRun is not sent here: replay handles it (spool-sync.ts). */
export async function sendOp(client: MlflowRestClient, runId: string, op: ServerOp, retry: RetryPolicy): Promise<void> {
  switch (op.op) {
    case 'createRun':
      throw new TrackingError('internal: a createRun record is replayed by spool-sync, not sent by sendOp');
    case 'logBatch':
      for (const batch of chunkBatch(op)) {
        await withRetry(() => client.call('POST', 'runs/log-batch', { run_id: runId, ...batch }), retry);
      }
      return;
    case 'uploadArtifact': {
      let proxyPath = op.proxyPath;
      if (proxyPath === undefined) {
        const root = proxyRoot((await getRun(client, runId, retry)).info.artifact_uri);
        if (root === null) throw new NoArtifactProxyError(client.baseUrl, op.localPath);
        proxyPath = `${root}/${op.artifactPath ?? ''}`;
      }
      const content = await fs.readFile(op.localPath);
      await withRetry(() => client.putArtifact(proxyPath, content), retry);
      return;
    }
    case 'updateRun':
      await withRetry(() => client.call('POST', 'runs/update', { run_id: runId, status: op.status, end_time: op.endTime }), retry);
      return;
  }
}

export async function getRun(client: MlflowRestClient, runId: string, retry: RetryPolicy): Promise<WireRun> {
  const { run } = await withRetry(() => client.call<{ run: WireRun }>('GET', 'runs/get', { run_id: runId }), retry);
  return run;
}

export async function getExperimentByName(client: MlflowRestClient, name: string, retry: RetryPolicy): Promise<WireExperiment | null> {
  try {
    const { experiment } = await withRetry(() => client.call<{ experiment: WireExperiment }>('GET', 'experiments/get-by-name', { experiment_name: name }), retry);
    return experiment;
  } catch (error) {
    if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
    throw error;
  }
}

/**
 * The id of the active experiment `name` on the server, created if need be; a deleted one is refused.
 * Created or found, it is marked as model training for MLflow's UI (TAG_EXPERIMENT_KIND), unless it
 * already has a kind (one a user chose in the UI is kept).
 */
export async function getOrCreateExperimentOn(client: MlflowRestClient, name: string, retry: RetryPolicy): Promise<string> {
  const existing = await getExperimentByName(client, name, retry);
  if (existing) {
    if (existing.lifecycle_stage !== 'active') {
      throw new TrackingError(`experiment ${JSON.stringify(name)} is deleted on ${client.baseUrl}; restore it in MLflow or choose another tracking.experiment`);
    }
    if (!(existing.tags ?? []).some((tag) => tag.key === TAG_EXPERIMENT_KIND)) {
      await withRetry(
        () => client.call('POST', 'experiments/set-experiment-tag', { experiment_id: existing.experiment_id, key: TAG_EXPERIMENT_KIND, value: EXPERIMENT_KIND_TRAINING }),
        retry,
      );
    }
    return existing.experiment_id;
  }
  try {
    const created = await withRetry(
      () => client.call<{ experiment_id: string }>('POST', 'experiments/create', { name, tags: [{ key: TAG_EXPERIMENT_KIND, value: EXPERIMENT_KIND_TRAINING }] }),
      retry,
    );
    return created.experiment_id;
  } catch (error) {
    // Another process created it between our lookup and our create.
    if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') {
      const winner = await getExperimentByName(client, name, retry);
      if (winner) return winner.experiment_id;
    }
    throw error;
  }
}

export interface NewServerRun {
  experimentId: string;
  runName: string;
  startTime: number;
  userId?: string;
  tags: WireKeyValue[];
}

/**
 * Tag on every run xp creates on a server: a key the client chose before asking, so that a creation
 * whose answer was lost (the server made the run, the reply never came) is found and adopted, not made
 * again: MLflow's runs/create is not idempotent, and each blind retry would leave an empty run RUNNING.
 */
export const TAG_RUN_KEY = 'xp.runKey';

/**
 * Creates the run, once: a retry first looks for a run carrying the request's TAG_RUN_KEY (made by an
 * earlier try whose answer was lost) and hands that back instead of creating another.
 */
export async function createServerRun(client: MlflowRestClient, run: NewServerRun, retry: RetryPolicy): Promise<WireRun> {
  const runKey = run.tags.find((tag) => tag.key === TAG_RUN_KEY)?.value;
  let tries = 0;
  return withRetry(async () => {
    if (tries++ > 0 && runKey !== undefined) {
      const earlier = await findRunByTag(client, run.experimentId, TAG_RUN_KEY, runKey);
      if (earlier) return earlier;
    }
    const { run: created } = await client.call<{ run: WireRun }>('POST', 'runs/create', {
      experiment_id: run.experimentId,
      run_name: run.runName,
      start_time: run.startTime,
      user_id: run.userId,
      tags: run.tags,
    });
    return created;
  }, retry);
}

/** The run of an experiment whose tag `key` is `value`, if there is one (one request; the caller retries). */
export async function findRunByTag(client: MlflowRestClient, experimentId: string, key: string, value: string): Promise<WireRun | null> {
  const { runs } = await client.call<{ runs?: WireRun[] }>('POST', 'runs/search', {
    experiment_ids: [experimentId],
    filter: `tags.\`${key}\` = '${value.replace(/'/g, '')}'`,
    max_results: 1,
    run_view_type: 'ALL',
  });
  return runs?.[0] ?? null;
}

/** The run of an experiment that carries TAG_LOCAL_RUN_ID = localId, if one was already created. */
export async function findRunByLocalId(client: MlflowRestClient, experimentId: string, localId: string, retry: RetryPolicy): Promise<string | null> {
  const run = await withRetry(() => findRunByTag(client, experimentId, TAG_LOCAL_RUN_ID, localId), retry);
  return run?.info.run_id ?? null;
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
