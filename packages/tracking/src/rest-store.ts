/**
 * Runs on an MLflow tracking server, over its REST API.
 *
 * A server that stops answering must not stop training: each write is retried with bounded back-off,
 * and when that fails the write goes to the run's spool file (.xp/spool/<runId>.jsonl) along with
 * every later write of that run, so their order is kept. end() tries to deliver the spool if the
 * server is back; otherwise `xp sync` does it later (see spool-sync.ts).
 *
 * A server that is down from the start is no different: the experiment lookup and the run's creation
 * are spooled too. Such a run gets a local id (a UUID, like the ids MLflow gives), under which its
 * outputs are staged and its writes spooled; replay creates it on the server and maps the local id to
 * the server's (spool.ts). The user is told once, in one line, and the store's description (printed
 * in the run's summary) says how many runs wait in the spool.
 *
 * Artifacts: the run's artifactDir is a local staging directory (.xp/runs/<runId>/), uploaded through
 * the server's artifact proxy at end().
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { redactSecrets } from '@xp/core';
import { copyIntoArtifacts, listFilesRecursive } from './atomic-fs.ts';
import { TrackingError } from './errors.ts';
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
import {
  createServerRun,
  fetchMetricHistory,
  getExperimentByName,
  getOrCreateExperimentOn,
  getRun,
  proxyRoot,
  sendOp,
  TAG_RUN_KEY,
  type ServerOp,
} from './server-ops.ts';
import { RunSpool, isUncreatedLocalRun, localIdOf, mappedRunId, readSpool, spoolDir, spoolFile } from './spool.ts';
import { replaySpoolFile } from './spool-sync.ts';
import { ownerTags } from './run-owner.ts';
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
  /** Sent with every request: the Authorization header of a server behind auth (mlflowAuth). */
  headers?: Record<string, string>;
  /** Where that header's secret came from, for the message a refusal gives (mlflowAuth's source). */
  credentialSource?: string | null;
  /** The server as messages show it: the URI with its userinfo as *** (uri.ts); default: url. */
  displayUrl?: string;
  /** Values never recorded: replaced by *** in params and tags, as any URL's userinfo is (@xp/core's redactSecrets). */
  secrets?: readonly string[];
}

/**
 * The experiment id getOrCreateExperiment answers while the server is unreachable: the name, to be
 * looked up (or created) when the run's createRun record is replayed.
 */
const PENDING_EXPERIMENT = 'pending:';

/** True for the id getOrCreateExperiment answers while the server did not: no other process can use it. */
export function isPendingExperiment(experimentId: string): boolean {
  return experimentId.startsWith(PENDING_EXPERIMENT);
}

/**
 * How long a store that went offline sends nothing before it asks the server again: a blip (a slow
 * answer, a restart) costs one run's writes the spool, not every later run's of the process.
 */
const OFFLINE_RECHECK_MS = 5_000;
/** How long end() waits for a server to answer /health before leaving a run's spool to `xp sync`. */
const DELIVERY_PATIENCE_MS = 10_000;
/** After a wait for delivery went unanswered, how long later runs' ends only ask once. */
const DELIVERY_RETRY_MS = 60_000;

export class RestStore implements TrackingStore, TrackingReader {
  readonly client: MlflowRestClient;
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
  /**
   * Set when a write could not be delivered: later writes go straight to the spool instead of each
   * waiting out the retries, until the server answers /health again (asked at most every
   * OFFLINE_RECHECK_MS, see isOnline).
   */
  offline = false;
  private offlineSince = 0;
  private deliveryGaveUpAt = 0;
  private recheck: Promise<boolean> | null = null;
  /** Runs of this process whose writes wait in the spool. */
  private readonly spooled = new Set<string>();
  private warned = false;

  constructor(
    readonly url: string,
    readonly options: RestStoreOptions,
  ) {
    this.client = new MlflowRestClient(url, { headers: options.headers, credentialSource: options.credentialSource, displayUrl: options.displayUrl });
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
  }

  /** "MLflow server http://…", and while runs wait in the spool, how many and what delivers them. */
  get description(): string {
    const base = `MLflow server ${this.client.displayUrl}`;
    if (this.spooled.size === 0) return base;
    const runs = `${this.spooled.size} run${this.spooled.size === 1 ? '' : 's'}`;
    return `${base} (unreachable: ${runs} spooled in ${path.relative(this.options.cwd, spoolDir(this.options.cwd)) || '.'}; 'xp sync' delivers them)`;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    if (await this.isOnline()) {
      try {
        return await getOrCreateExperimentOn(this.client, name, this.retry);
      } catch (error) {
        if (!isTransient(error)) throw error;
        this.goOffline(error as Error);
      }
    }
    return PENDING_EXPERIMENT + name;
  }

  /**
   * Creates the run on the server; when the server cannot be reached (or the parent run is itself
   * still waiting to be created), creates it locally and spools its creation.
   */
  async createRun(experimentId: string, options: CreateRunOptions): Promise<TrackedRun> {
    // One key for the run, whichever way it is created: the server's answer to its creation may be lost
    // (createServerRun then finds it by the key), and a run spooled instead is the same key's local id
    // (the replay finds it by the key too, should the server have made it after all).
    const runKey = randomUUID().replace(/-/g, '');
    const tags: Record<string, string> = this.redacted({ ...systemTags(), ...ownerTags(), ...options.tags, [TAG_RUN_NAME]: options.name, [TAG_RUN_KEY]: runKey });
    for (const key of Object.keys(tags)) validateKey(key, 'tag');
    const startTime = Date.now();
    const cwd = this.options.cwd;
    let parentWaits = false;
    if (options.parentRunId) {
      parentWaits = await isUncreatedLocalRun(cwd, options.parentRunId);
      tags[TAG_PARENT_RUN_ID] = (await mappedRunId(cwd, options.parentRunId)) ?? options.parentRunId;
    }
    if (!parentWaits && (await this.isOnline())) {
      try {
        const serverExperimentId = experimentId.startsWith(PENDING_EXPERIMENT)
          ? await getOrCreateExperimentOn(this.client, experimentId.slice(PENDING_EXPERIMENT.length), this.retry)
          : experimentId;
        const { info } = await createServerRun(
          this.client,
          { experimentId: serverExperimentId, runName: options.name, startTime, userId: tags['mlflow.user'], tags: toKeyValues(tags) },
          this.retry,
        );
        const artifactDir = path.join(cwd, '.xp', 'runs', info.run_id);
        await fs.mkdir(artifactDir, { recursive: true });
        return new RestRun(this, info.run_id, serverExperimentId, info.artifact_uri, artifactDir);
      } catch (error) {
        if (!isTransient(error)) throw error;
        this.goOffline(error as Error);
      }
    }
    const localId = runKey;
    const artifactDir = path.join(cwd, '.xp', 'runs', localId);
    await fs.mkdir(artifactDir, { recursive: true });
    const run = new RestRun(this, localId, experimentId, null, artifactDir);
    const pending = experimentId.startsWith(PENDING_EXPERIMENT);
    await run.spoolCreation({
      op: 'createRun',
      ...(pending ? { experimentName: experimentId.slice(PENDING_EXPERIMENT.length) } : { experimentId }),
      runName: options.name,
      startTime,
      userId: tags['mlflow.user'],
      tags: toKeyValues(tags),
    });
    return run;
  }

  /**
   * Opens an existing run again to log into it (`xp run --resume`), as MLflow's start_run(run_id=...)
   * does: status RUNNING, and the run's staged outputs (checkpoints) are where its new outputs go.
   */
  async reopenRun(runId: string): Promise<TrackedRun> {
    const cwd = this.options.cwd;
    if (await isUncreatedLocalRun(cwd, runId)) {
      // Never reached the server: keep spooling into it.
      const creation = (await readSpool(spoolFile(cwd, runId)))[0].op as Extract<ServerOp, { op: 'createRun' }>;
      const experimentId = creation.experimentId ?? PENDING_EXPERIMENT + (creation.experimentName ?? '');
      const run = new RestRun(this, runId, experimentId, null, path.join(cwd, '.xp', 'runs', runId), true);
      await run.reopen();
      await run.setTags(ownerTags());
      return run;
    }
    const serverId = (await mappedRunId(cwd, runId)) ?? runId;
    const wire = await getRun(this.client, serverId, this.retry);
    if (wire.info.lifecycle_stage !== 'active') throw new TrackingError(`run ${serverId} is deleted on ${this.url}`);
    const artifactDir = (await this.localArtifactDir(serverId)) ?? path.join(cwd, '.xp', 'runs', serverId);
    await fs.mkdir(artifactDir, { recursive: true });
    const run = new RestRun(this, serverId, wire.info.experiment_id, wire.info.artifact_uri, artifactDir);
    await run.reopen();
    await run.setTags(ownerTags());
    return run;
  }

  async endAbandonedRun(runId: string, tags: Record<string, string>): Promise<boolean> {
    const cwd = this.options.cwd;
    // Writes of the run still in this folder's spool decide its end when `xp sync` delivers them.
    const localId = await localIdOf(cwd, runId);
    for (const id of [runId, localId]) if (id !== null && (await fs.stat(spoolFile(cwd, id)).catch(() => null))) return false;
    const wire = await getRun(this.client, runId, this.retry);
    if (wire.info.status !== 'RUNNING' && wire.info.status !== 'SCHEDULED') return false;
    await sendOp(this.client, runId, { op: 'logBatch', metrics: [], params: [], tags: toKeyValues(tags) }, this.retry);
    await sendOp(this.client, runId, { op: 'updateRun', status: 'KILLED', endTime: Date.now() }, this.retry);
    return true;
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
    const experiment = await getExperimentByName(this.client, name, this.retry);
    return experiment && experiment.lifecycle_stage === 'active' ? { experimentId: experiment.experiment_id, name: experiment.name } : null;
  }

  async localArtifactDir(runId: string): Promise<string | null> {
    // Runs logged from this directory keep their staged outputs here after upload; a run created
    // offline keeps them under its local id.
    const cwd = this.options.cwd;
    for (const id of [runId, await localIdOf(cwd, runId)]) {
      if (id === null) continue;
      const staged = path.join(cwd, '.xp', 'runs', id);
      if (await fs.stat(staged).then((s) => s.isDirectory()).catch(() => false)) return staged;
    }
    return null;
  }

  async listRuns(experimentId: string): Promise<RunRecord[]> {
    if (isPendingExperiment(experimentId)) {
      // Named, not yet looked up (the server did not answer then): its runs are those of the experiment of that name, if any.
      const found = await this.findExperiment(experimentId.slice(PENDING_EXPERIMENT.length));
      return found ? this.listRuns(found.experimentId) : [];
    }
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

  /** The one warning a user gets when the server stops answering; later writes spool without a word. */
  goOffline(error: Error): void {
    this.offline = true;
    this.offlineSince = Date.now();
    if (this.warned) return;
    this.warned = true;
    this.log(
      `warning: ${error.message}. Training goes on; tracking writes are spooled to ${spoolDir(this.options.cwd)} ` +
        `('xp sync' delivers them once the server is up).`,
    );
  }

  /**
   * Whether to send to the server: yes unless it went offline, and then again once it answers /health
   * (asked at most every OFFLINE_RECHECK_MS; concurrent callers share one probe).
   */
  async isOnline(): Promise<boolean> {
    if (!this.offline) return true;
    if (Date.now() - this.offlineSince < OFFLINE_RECHECK_MS) return false;
    this.recheck ??= this.client.health().then((up) => {
      this.recheck = null;
      if (up) this.offline = false;
      else this.offlineSince = Date.now();
      return up;
    });
    return this.recheck;
  }

  /**
   * Whether a run's spool can be delivered now: the store is back online, or the server answers
   * /health within DELIVERY_PATIENCE_MS (a slow server on a loaded machine is not a dead one). After
   * one such wait went unanswered, later runs ask once, so a sweep against a dead server does not
   * wait at every run's end.
   */
  async answersForDelivery(): Promise<boolean> {
    if (await this.isOnline()) return true;
    const patience = Date.now() - this.deliveryGaveUpAt < DELIVERY_RETRY_MS ? 0 : DELIVERY_PATIENCE_MS;
    const up = await this.answersWithin(patience);
    if (!up) this.deliveryGaveUpAt = Date.now();
    return up;
  }

  /** Waits up to `patienceMs` for the server to answer /health (asks at least once). */
  async answersWithin(patienceMs: number): Promise<boolean> {
    const deadline = Date.now() + patienceMs;
    for (;;) {
      if (await this.client.health()) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Values as they may be recorded: no secret in any (#26.4). */
  redacted(values: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, redactSecrets(String(value), this.options.secrets)]));
  }

  noteSpooled(runId: string): void {
    this.spooled.add(runId);
  }

  noteDelivered(runId: string): void {
    this.spooled.delete(runId);
  }
}

class RestRun implements TrackedRun {
  private readonly spool: RunSpool;
  /** Writes run one after another even if a caller does not await, so the server and the spool see them in order. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param artifactUri the server's artifact URI for the run; null for a run created offline, whose
   *   uploads are spooled by their path under the run and resolved at replay.
   * @param spooling once one write of this run is spooled, all later ones are too, so replay keeps
   *   their order; true from the start for a run created offline.
   */
  constructor(
    private readonly store: RestStore,
    readonly runId: string,
    readonly experimentId: string,
    private readonly artifactUri: string | null,
    readonly artifactDir: string,
    private spooling = artifactUri === null,
  ) {
    this.spool = new RunSpool(spoolFile(store.options.cwd, runId), store.url, runId);
    if (this.spooling) store.noteSpooled(runId);
  }

  /** The run's creation, the first record of its spool. */
  spoolCreation(op: Extract<ServerOp, { op: 'createRun' }>): Promise<void> {
    return this.write(op);
  }

  reopen(): Promise<void> {
    return this.write({ op: 'updateRun', status: 'RUNNING' });
  }

  logParams(params: Record<string, string>): Promise<void> {
    for (const key of Object.keys(params)) validateKey(key, 'param');
    return this.write({ op: 'logBatch', metrics: [], params: toKeyValues(this.store.redacted(params)), tags: [] });
  }

  /** A point without a timestamp gets the time of this call: when the caller measured it, as near as we know. */
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
    return this.write({ op: 'logBatch', metrics: [], params: [], tags: toKeyValues(this.store.redacted(tags)) });
  }

  logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    return copyIntoArtifacts(this.artifactDir, localPath, artifactPath);
  }

  async end(status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    const files = await listFilesRecursive(this.artifactDir);
    const root = this.artifactUri === null ? null : proxyRoot(this.artifactUri);
    if (this.artifactUri === null) {
      for (const file of files) await this.write({ op: 'uploadArtifact', localPath: path.join(this.artifactDir, file), artifactPath: file });
    } else if (files.length && root === null) {
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
    if (!this.spooling && (await this.store.isOnline())) {
      try {
        await sendOp(this.store.client, this.runId, op, this.store.retry);
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        this.store.goOffline(error as Error);
      }
    }
    if (!this.spooling) {
      this.spooling = true;
      this.store.noteSpooled(this.runId);
    }
    await this.spool.append(op);
  }

  /** The server may be back by the end of the run: deliver the spool now rather than leave it to `xp sync`. */
  private async deliverSpool(): Promise<void> {
    // Still down: the warning was given when it went down, and the run's summary says what waits.
    // A server that is only slow (a loaded machine) is given a few seconds: an unanswered probe is
    // what the summary would call unreachable.
    if (!(await this.store.answersForDelivery())) return;
    try {
      const { artifactsLeft } = await replaySpoolFile(this.store.client, this.spool.file, { cwd: this.store.options.cwd, retry: this.store.retry });
      if (artifactsLeft.paths.length) {
        this.store.log(`warning: ${artifactsLeft.reason}; run ${this.runId}'s ${artifactsLeft.paths.length} file(s) stay in ${this.artifactDir}.`);
      }
      this.store.offline = false;
      this.spooling = false;
      this.store.noteDelivered(this.runId);
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
