/**
 * An MLflow file store written directly: the same directories and files MLflow's own FileStore writes
 * (mlruns/<expId>/meta.yaml, mlruns/<expId>/<runId>/{meta.yaml,params,metrics,tags,artifacts}), so
 * `mlflow ui`, `mlflow server --backend-store-uri ./mlruns` and `mlflow.search_runs` read xp's runs.
 *
 * Concurrency: several xp processes may share one store. Whole files are replaced by rename, metric
 * lines are appended in single O_APPEND writes, and an experiment's directory name is derived from its
 * name, so two processes creating the same experiment at once converge on one directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { redactSecrets } from '@xp/core';
import { appendAtomic, copyIntoArtifacts, listFilesRecursive, readFileOrNull, writeFileAtomic, writeKeyFileAtomic } from './atomic-fs.ts';
import { TrackingError, ParamConflictError } from './errors.ts';
import { formatMeta, parseMeta, type Meta } from './meta-yaml.ts';
import { ownerTags } from './run-owner.ts';
import {
  EXPERIMENT_KIND_TRAINING,
  RUN_STATUS_CODES,
  SOURCE_TYPE_LOCAL,
  TAG_EXPERIMENT_KIND,
  TAG_PARENT_RUN_ID,
  TAG_RUN_NAME,
  latestValues,
  sortHistory,
  statusFromCode,
  systemTags,
  validateKey,
} from './mlflow-conventions.ts';
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

const TRASH = '.trash';
const META = 'meta.yaml';
/** MLflow's experiment-id rule; anything else under the root (e.g. .trash) is not an experiment. */
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
/** How long to wait for another process to finish creating an experiment we collided with. */
const EXPERIMENT_CREATION_WAIT_MS = 5_000;

export class FileStore implements TrackingStore, TrackingReader {
  readonly description: string;

  /**
   * @param secrets values never recorded: replaced by *** in params and tags, as any URL's userinfo is
   *   (@xp/core's redactSecrets, #26.4).
   */
  constructor(
    readonly root: string,
    private readonly secrets: readonly string[] = [],
  ) {
    this.description = `file store ${root}`;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    await this.ensureRoot();
    const existing = await this.findExperimentMeta(name, { includeDeleted: true });
    if (existing) {
      if (existing.deleted) {
        throw new TrackingError(
          `experiment ${JSON.stringify(name)} exists in deleted state in ${this.root}; restore it with MLflow or remove ${path.join(this.root, TRASH, existing.experimentId)}`,
        );
      }
      await this.markTraining(path.join(this.root, existing.experimentId));
      return existing.experimentId;
    }
    // Deterministic id per name: racing creators mkdir the same directory and only one wins. The
    // salt only changes on the (astronomically unlikely) hash collision with another name.
    for (let salt = 0; salt < 5; salt++) {
      const experimentId = experimentIdFor(name, salt);
      const dir = path.join(this.root, experimentId);
      try {
        await fs.mkdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const winner = await waitForMeta(path.join(dir, META));
        if (winner?.name === name) return experimentId;
        continue;
      }
      const now = Date.now();
      const meta: Meta = {
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: experimentId,
        last_update_time: now,
        lifecycle_stage: 'active',
        name,
      };
      // The tag before meta.yaml: an experiment is there once its meta is, and then with its kind.
      await this.markTraining(dir);
      await writeFileAtomic(path.join(dir, META), formatMeta(meta));
      return experimentId;
    }
    throw new TrackingError(`could not create experiment ${JSON.stringify(name)} in ${this.root}`);
  }

  async createRun(experimentId: string, options: CreateRunOptions): Promise<TrackedRun> {
    const experimentDir = path.join(this.root, experimentId);
    if (!(await readFileOrNull(path.join(experimentDir, META)))) {
      throw new TrackingError(`no experiment with id ${experimentId} in ${this.root}`);
    }
    const runId = randomUUID().replace(/-/g, '');
    const runDir = path.join(experimentDir, runId);
    for (const sub of ['', 'metrics', 'params', 'tags', 'artifacts']) await fs.mkdir(path.join(runDir, sub), { recursive: true });
    const run = new FileRun(runId, experimentId, runDir, this.secrets);
    const tags: Record<string, string> = { ...systemTags(), ...ownerTags(), ...options.tags, [TAG_RUN_NAME]: options.name };
    if (options.parentRunId) tags[TAG_PARENT_RUN_ID] = options.parentRunId;
    await run.setTags(tags);
    // meta.yaml last: until it exists, MLflow skips the directory instead of showing a half-made run.
    await run.writeMeta({
      artifact_uri: pathToFileURL(path.join(runDir, 'artifacts')).href,
      deleted_time: null,
      end_time: null,
      entry_point_name: '',
      experiment_id: experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: options.name,
      source_name: '',
      source_type: SOURCE_TYPE_LOCAL,
      source_version: '',
      start_time: Date.now(),
      status: RUN_STATUS_CODES.RUNNING,
      tags: [],
      user_id: tags['mlflow.user'] ?? 'unknown',
    });
    return run;
  }

  /** Status RUNNING and no end time again, as MLflow's start_run(run_id=...) leaves a run it reopens. */
  async reopenRun(runId: string): Promise<TrackedRun> {
    const runDir = await this.findRunDir(runId);
    const meta = parseMeta((await readFileOrNull(path.join(runDir, META))) ?? '');
    if (meta.lifecycle_stage !== 'active') throw new TrackingError(`run ${runId} is deleted in ${this.root}`);
    const run = new FileRun(runId, String(meta.experiment_id), runDir, this.secrets);
    await run.setTags(ownerTags());
    meta.status = RUN_STATUS_CODES.RUNNING;
    meta.end_time = null;
    await run.writeMeta(meta);
    return run;
  }

  async endAbandonedRun(runId: string, tags: Record<string, string>): Promise<boolean> {
    const runDir = await this.findRunDir(runId);
    const meta = parseMeta((await readFileOrNull(path.join(runDir, META))) ?? '');
    if (statusFromCode(meta.status) !== 'RUNNING') return false;
    const run = new FileRun(runId, String(meta.experiment_id), runDir, this.secrets);
    await run.setTags(tags);
    await run.end('KILLED');
    return true;
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    const out: ExperimentInfo[] = [];
    for (const { experimentId, meta } of await this.readExperiments(this.root)) {
      if (meta.lifecycle_stage === 'active') out.push({ experimentId, name: String(meta.name) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async findExperiment(name: string): Promise<ExperimentInfo | null> {
    const found = await this.findExperimentMeta(name, { includeDeleted: false });
    return found ? { experimentId: found.experimentId, name } : null;
  }

  async listRuns(experimentId: string): Promise<RunRecord[]> {
    const experimentDir = path.join(this.root, experimentId);
    const runs: RunRecord[] = [];
    for (const entry of await readdirOrEmpty(experimentDir)) {
      if (!entry.isDirectory() || !RUN_ID.test(entry.name) || entry.name === 'tags') continue;
      const record = await readRun(path.join(experimentDir, entry.name));
      if (record) runs.push(record);
    }
    return runs.sort((a, b) => a.startTime - b.startTime);
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    validateKey(key, 'metric');
    const runDir = await this.findRunDir(runId);
    return sortHistory(parseMetricLines(key, (await readFileOrNull(path.join(runDir, 'metrics', key))) ?? ''));
  }

  async localArtifactDir(runId: string): Promise<string | null> {
    try {
      return path.join(await this.findRunDir(runId), 'artifacts');
    } catch {
      return null;
    }
  }

  private async findRunDir(runId: string): Promise<string> {
    if (!RUN_ID.test(runId)) throw new TrackingError(`invalid run id ${JSON.stringify(runId)}`);
    for (const entry of await readdirOrEmpty(this.root)) {
      if (!entry.isDirectory() || !EXPERIMENT_ID.test(entry.name)) continue;
      const runDir = path.join(this.root, entry.name, runId);
      if (await readFileOrNull(path.join(runDir, META))) return runDir;
    }
    throw new TrackingError(`no run ${runId} in ${this.root}`);
  }

  /** MLflow creates the root with a Default experiment (id 0) and a .trash folder; so do we. */
  private async ensureRoot(): Promise<void> {
    await fs.mkdir(path.join(this.root, TRASH), { recursive: true });
    const defaultDir = path.join(this.root, '0');
    try {
      await fs.mkdir(defaultDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw error;
    }
    const now = Date.now();
    await writeFileAtomic(
      path.join(defaultDir, META),
      formatMeta({
        artifact_location: pathToFileURL(defaultDir).href,
        creation_time: now,
        experiment_id: '0',
        last_update_time: now,
        lifecycle_stage: 'active',
        name: 'Default',
      }),
    );
  }

  /**
   * Marks the experiment as model training for MLflow's UI (experiments/<id>/tags/mlflow.experimentKind,
   * where MLflow's file store keeps experiment tags), unless it has a kind already (a user's choice is kept).
   */
  private async markTraining(experimentDir: string): Promise<void> {
    const file = path.join(experimentDir, 'tags', TAG_EXPERIMENT_KIND);
    if ((await readFileOrNull(file)) !== null) return;
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeKeyFileAtomic(file, EXPERIMENT_KIND_TRAINING, experimentDir);
  }

  private async findExperimentMeta(
    name: string,
    { includeDeleted }: { includeDeleted: boolean },
  ): Promise<{ experimentId: string; deleted: boolean } | null> {
    const roots = includeDeleted ? [this.root, path.join(this.root, TRASH)] : [this.root];
    for (const dir of roots) {
      for (const { experimentId, meta } of await this.readExperiments(dir)) {
        if (meta.name === name) return { experimentId, deleted: meta.lifecycle_stage !== 'active' || dir !== this.root };
      }
    }
    return null;
  }

  private async readExperiments(dir: string): Promise<{ experimentId: string; meta: Meta }[]> {
    const out: { experimentId: string; meta: Meta }[] = [];
    for (const entry of await readdirOrEmpty(dir)) {
      if (!entry.isDirectory() || !EXPERIMENT_ID.test(entry.name)) continue;
      const text = await readFileOrNull(path.join(dir, entry.name, META));
      if (!text) continue; // being created by another process, or not an experiment
      const meta = parseMeta(text);
      if (String(meta.experiment_id) === entry.name) out.push({ experimentId: entry.name, meta });
    }
    return out;
  }
}

class FileRun implements TrackedRun {
  readonly artifactDir: string;

  constructor(
    readonly runId: string,
    readonly experimentId: string,
    private readonly runDir: string,
    private readonly secrets: readonly string[],
  ) {
    this.artifactDir = path.join(runDir, 'artifacts');
  }

  async logParams(params: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(this.redacted(params))) {
      validateKey(key, 'param');
      const file = path.join(this.runDir, 'params', key);
      const existing = await readFileOrNull(file);
      if (existing !== null) {
        if (existing !== String(value)) throw new ParamConflictError(key, existing, String(value));
        continue;
      }
      await this.writeKeyFile(file, String(value));
    }
  }

  /** A point without a timestamp gets the time of this call: when the caller measured it, as near as we know. */
  async logMetrics(points: MetricPoint[]): Promise<void> {
    const linesByKey = new Map<string, string>();
    const now = Date.now();
    for (const point of points) {
      validateKey(point.key, 'metric');
      const line = `${Math.round(point.timestamp ?? now)} ${formatMetricValue(point.value)} ${Math.round(point.step)}\n`;
      linesByKey.set(point.key, (linesByKey.get(point.key) ?? '') + line);
    }
    for (const [key, lines] of linesByKey) {
      const file = path.join(this.runDir, 'metrics', key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await appendAtomic(file, lines);
    }
  }

  /** Values as they may be recorded: no secret in any. */
  private redacted(values: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, redactSecrets(String(value), this.secrets)]));
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(this.redacted(tags))) {
      validateKey(key, 'tag');
      await this.writeKeyFile(path.join(this.runDir, 'tags', key), String(value));
    }
  }

  logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    return copyIntoArtifacts(this.artifactDir, localPath, artifactPath);
  }

  async end(status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    const text = await readFileOrNull(path.join(this.runDir, META));
    if (!text) throw new TrackingError(`run ${this.runId} has no meta.yaml in ${this.runDir}`);
    const meta = parseMeta(text);
    meta.status = RUN_STATUS_CODES[status];
    meta.end_time = Date.now();
    await this.writeMeta(meta);
  }

  async writeMeta(meta: Meta): Promise<void> {
    await writeFileAtomic(path.join(this.runDir, META), formatMeta(meta));
  }

  /** Temp files go in the run directory itself: MLflow would read one left in params/ or tags/. */
  private async writeKeyFile(file: string, value: string): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeKeyFileAtomic(file, value, this.runDir);
  }
}

/** Reads one run directory the way MLflow does; null if it is not (yet) a complete run. */
async function readRun(runDir: string): Promise<RunRecord | null> {
  const text = await readFileOrNull(path.join(runDir, META));
  if (!text) return null;
  const meta = parseMeta(text);
  if (meta.lifecycle_stage !== 'active') return null;
  const params = await readKeyFiles(path.join(runDir, 'params'));
  const tags = await readKeyFiles(path.join(runDir, 'tags'));
  const points: (MetricPoint & { timestamp: number })[] = [];
  for (const key of await listFilesRecursive(path.join(runDir, 'metrics'))) {
    points.push(...parseMetricLines(key, (await readFileOrNull(path.join(runDir, 'metrics', key))) ?? ''));
  }
  return {
    runId: String(meta.run_id),
    experimentId: String(meta.experiment_id),
    name: tags[TAG_RUN_NAME] ?? String(meta.run_name ?? ''),
    status: statusFromCode(meta.status),
    startTime: Number(meta.start_time ?? 0),
    endTime: meta.end_time === null || meta.end_time === undefined ? null : Number(meta.end_time),
    params,
    tags,
    metrics: latestValues(points),
  };
}

async function readKeyFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await listFilesRecursive(dir)) {
    if (key.split('/').some((part) => part.startsWith('.xp-tmp-'))) continue;
    out[key] = (await readFileOrNull(path.join(dir, key))) ?? '';
  }
  return out;
}

/** Lines are `timestamp value step` (older MLflow: `timestamp value`; newer: plus dataset name and digest). */
function parseMetricLines(key: string, text: string): (MetricPoint & { timestamp: number })[] {
  const points: (MetricPoint & { timestamp: number })[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    // A torn last line (a writer mid-append on a filesystem without atomic appends) is skipped, not fatal.
    if (parts.length < 2 || parts.length === 4 || parts.length > 5) continue;
    const timestamp = Number(parts[0]);
    const value = parseMetricValue(parts[1]);
    const step = parts.length >= 3 ? Number(parts[2]) : 0;
    if (!Number.isFinite(timestamp) || !Number.isFinite(step)) continue;
    points.push({ key, value, step, timestamp });
  }
  return points;
}

/** Python's float() reads JS's NaN/Infinity spellings, and JS reads Python's nan/inf with this. */
function formatMetricValue(value: number): string {
  return String(value);
}

function parseMetricValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return Number(text);
}

/** A numeric id (like MLflow's own) derived from the name; see getOrCreateExperiment. */
function experimentIdFor(name: string, salt: number): string {
  const digest = createHash('sha256').update(salt ? `${name}\u0000${salt}` : name).digest('hex');
  return BigInt(`0x${digest.slice(0, 15)}`).toString(10);
}

async function waitForMeta(file: string): Promise<Meta | null> {
  const deadline = Date.now() + EXPERIMENT_CREATION_WAIT_MS;
  while (Date.now() < deadline) {
    const text = await readFileOrNull(file);
    if (text) return parseMeta(text);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return null;
}

async function readdirOrEmpty(dir: string) {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
