/**
 * Runs on an MLflow tracking server, over its REST API.
 *
 * A server that stops answering must not stop training: each write is retried with bounded back-off,
 * and when that fails the write goes to the run's spool file (.xp/spool/<runId>.jsonl) along with
 * every later write of that run, so their order is kept. end() tries to deliver the spool if the
 * server is back; otherwise `xp sync` does it later (see spool-sync.ts).
 *
 * Artifacts: the run's artifactDir is a local staging directory (.xp/runs/<runId>/), uploaded through
 * the server's artifact proxy at end().
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { copyIntoArtifacts, listFilesRecursive } from './atomic-fs.ts';
import { MlflowApiError, TrackingError } from './errors.ts';
import { TAG_PARENT_RUN_ID, TAG_RUN_NAME, latestValues, sortHistory, systemTags, validateKey } from './mlflow-conventions.ts';
import {
  MlflowRestClient,
  fromWireValue,
  toWireValue,
  type WireExperiment,
  type WireKeyValue,
  type WireMetric,
  type WireRun,
} from './mlflow-rest-client.ts';
import { DEFAULT_RETRY, isTransient, withRetry, type RetryPolicy } from './retry.ts';
import { fetchMetricHistory, proxyRoot, sendOp, type ServerOp } from './server-ops.ts';
import { RunSpool, spoolFile } from './spool.ts';
import { replaySpoolFile } from './spool-sync.ts';
import type {
  CreateRunOptions,
  ExperimentInfo,
  MetricPoint,
  RunRecord,
  RunStatus,
  TrackedRun,
  TrackingReader,
  TrackingStore,
} from './types.ts';

export interface RestStoreOptions {
  /** Where .xp/spool/ and .xp/runs/ go. */
  cwd: string;
  retry?: RetryPolicy;
  /** Warnings for the user (server unreachable, spooling...). Default: stderr. */
  log?: (line: string) => void;
}

export class RestStore implements TrackingStore, TrackingReader {
  readonly description: string;
  readonly client: MlflowRestClient;
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
  /** Set when a write could not be delivered: later writes go straight to the spool instead of each waiting out the retries. */
  offline = false;

  constructor(
    readonly url: string,
    readonly options: RestStoreOptions,
  ) {
    this.description = `MLflow server ${url}`;
    this.client = new MlflowRestClient(url);
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing) {
      if (existing.lifecycle_stage !== 'active') {
        throw new TrackingError(`experiment ${JSON.stringify(name)} is deleted on ${this.url}; restore it in MLflow or choose another tracking.experiment`);
      }
      return existing.experiment_id;
    }
    try {
      const created = await withRetry(() => this.client.call<{ experiment_id: string }>('POST', 'experiments/create', { name }), this.retry);
      return created.experiment_id;
    } catch (error) {
      // Another process created it between our lookup and our create.
      if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const winner = await this.getExperimentByName(name);
        if (winner) return winner.experiment_id;
      }
      throw error;
    }
  }

  /** Creating a run needs the server's answer (the run id), so it is retried but never spooled. */
  async createRun(experimentId: string, options: CreateRunOptions): Promise<TrackedRun> {
    const tags: Record<string, string> = { ...systemTags(), ...options.tags, [TAG_RUN_NAME]: options.name };
    if (options.parentRunId) tags[TAG_PARENT_RUN_ID] = options.parentRunId;
    for (const key of Object.keys(tags)) validateKey(key, 'tag');
    const { run } = await withRetry(
      () =>
        this.client.call<{ run: WireRun }>('POST', 'runs/create', {
          experiment_id: experimentId,
          run_name: options.name,
          start_time: Date.now(),
          user_id: tags['mlflow.user'],
          tags: toKeyValues(tags),
        }),
      this.retry,
    );
    const runId = run.info.run_id;
    const artifactDir = path.join(this.options.cwd, '.xp', 'runs', runId);
    await fs.mkdir(artifactDir, { recursive: true });
    return new RestRun(this, runId, experimentId, run.info.artifact_uri, artifactDir);
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    const out: ExperimentInfo[] = [];
    let pageToken: string | undefined;
    do {
      const page = await withRetry(
        () =>
          this.client.call<{ experiments?: WireExperiment[]; next_page_token?: string }>('POST', 'experiments/search', {
            max_results: 1000,
            view_type: 'ACTIVE_ONLY',
            page_token: pageToken,
          }),
        this.retry,
      );
      for (const experiment of page.experiments ?? []) out.push({ experimentId: experiment.experiment_id, name: experiment.name });
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async findExperiment(name: string): Promise<ExperimentInfo | null> {
    const experiment = await this.getExperimentByName(name);
    return experiment && experiment.lifecycle_stage === 'active' ? { experimentId: experiment.experiment_id, name: experiment.name } : null;
  }

  async localArtifactDir(runId: string): Promise<string | null> {
    // Runs logged from this directory keep their staged outputs here after upload.
    const staged = path.join(this.options.cwd, '.xp', 'runs', runId);
    return (await fs.stat(staged).then((s) => s.isDirectory()).catch(() => false)) ? staged : null;
  }

  async listRuns(experimentId: string): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    let pageToken: string | undefined;
    do {
      const page = await withRetry(
        () =>
          this.client.call<{ runs?: WireRun[]; next_page_token?: string }>('POST', 'runs/search', {
            experiment_ids: [experimentId],
            max_results: 1000,
            run_view_type: 'ACTIVE_ONLY',
            page_token: pageToken,
          }),
        this.retry,
      );
      for (const run of page.runs ?? []) out.push(toRunRecord(run));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return out.sort((a, b) => a.startTime - b.startTime);
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return sortHistory(await fetchMetricHistory(this.client, runId, key, this.retry));
  }

  private async getExperimentByName(name: string): Promise<WireExperiment | null> {
    try {
      const { experiment } = await withRetry(
        () => this.client.call<{ experiment: WireExperiment }>('GET', 'experiments/get-by-name', { experiment_name: name }),
        this.retry,
      );
      return experiment;
    } catch (error) {
      if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw error;
    }
  }
}

class RestRun implements TrackedRun {
  private readonly spool: RunSpool;
  /** Once one write of this run is spooled, all later ones are too, so replay keeps their order. */
  private spooling = false;
  /** Writes run one after another even if a caller does not await, for the same reason. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: RestStore,
    readonly runId: string,
    readonly experimentId: string,
    private readonly artifactUri: string,
    readonly artifactDir: string,
  ) {
    this.spool = new RunSpool(spoolFile(store.options.cwd, runId), store.url, runId);
  }

  logParams(params: Record<string, string>): Promise<void> {
    for (const key of Object.keys(params)) validateKey(key, 'param');
    return this.write({ op: 'logBatch', metrics: [], params: toKeyValues(params), tags: [] });
  }

  logMetrics(points: MetricPoint[]): Promise<void> {
    if (!points.length) return Promise.resolve();
    const now = Date.now();
    const metrics: WireMetric[] = points.map((point) => {
      validateKey(point.key, 'metric');
      return { key: point.key, value: toWireValue(point.value), timestamp: Math.round(point.timestamp ?? now), step: Math.round(point.step) };
    });
    return this.write({ op: 'logBatch', metrics, params: [], tags: [] });
  }

  setTags(tags: Record<string, string>): Promise<void> {
    for (const key of Object.keys(tags)) validateKey(key, 'tag');
    return this.write({ op: 'logBatch', metrics: [], params: [], tags: toKeyValues(tags) });
  }

  logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    return copyIntoArtifacts(this.artifactDir, localPath, artifactPath);
  }

  async end(status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    const root = proxyRoot(this.artifactUri);
    const files = await listFilesRecursive(this.artifactDir);
    if (files.length && root === null) {
      this.store.log(
        `warning: ${this.store.url} does not proxy artifacts (run artifact URI ${this.artifactUri}); start it with --serve-artifacts. ` +
          `Run ${this.runId}'s files stay in ${this.artifactDir}.`,
      );
    } else {
      for (const file of files) {
        await this.write({ op: 'uploadArtifact', localPath: path.join(this.artifactDir, file), proxyPath: `${root}/${file}` });
      }
    }
    await this.write({ op: 'updateRun', status, endTime: Date.now() });
    await this.queue;
    if (this.spooling) await this.deliverSpool();
  }

  private write(op: ServerOp): Promise<void> {
    const next = this.queue.then(() => this.deliver(op));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async deliver(op: ServerOp): Promise<void> {
    if (!this.spooling && !this.store.offline) {
      try {
        await sendOp(this.store.client, this.runId, op, this.store.retry);
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        this.store.offline = true;
        this.store.log(`warning: ${(error as Error).message}; spooling run ${this.runId}'s tracking writes to ${this.spool.file} (replay with 'xp sync')`);
      }
    }
    this.spooling = true;
    await this.spool.append(op);
  }

  /** The server may be back by the end of the run: deliver the spool now rather than leave it to `xp sync`. */
  private async deliverSpool(): Promise<void> {
    if (!(await this.store.client.health())) {
      this.store.log(`warning: ${this.store.url} still unreachable; run ${this.runId} is spooled in ${this.spool.file}; run 'xp sync' when the server is back`);
      return;
    }
    try {
      await replaySpoolFile(this.store.client, this.spool.file, this.store.retry);
      this.store.offline = false;
      this.spooling = false;
    } catch (error) {
      this.store.log(`warning: could not deliver ${this.spool.file} (${(error as Error).message}); run 'xp sync' later`);
    }
  }
}

function toRunRecord(run: WireRun): RunRecord {
  const tags = fromKeyValues(run.data.tags);
  const metrics = (run.data.metrics ?? []).map((metric) => ({
    key: metric.key,
    value: fromWireValue(metric.value),
    step: Number(metric.step ?? 0),
    timestamp: Number(metric.timestamp),
  }));
  return {
    runId: run.info.run_id,
    experimentId: run.info.experiment_id,
    name: tags[TAG_RUN_NAME] ?? run.info.run_name ?? '',
    status: run.info.status === 'SCHEDULED' ? 'RUNNING' : run.info.status,
    startTime: Number(run.info.start_time ?? 0),
    endTime: run.info.end_time === undefined || run.info.end_time === null ? null : Number(run.info.end_time),
    params: fromKeyValues(run.data.params),
    tags,
    metrics: latestValues(metrics),
  };
}

function toKeyValues(record: Record<string, string>): WireKeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value: String(value) }));
}

function fromKeyValues(list: WireKeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]));
}
