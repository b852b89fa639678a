/**
 * A queued job's MLflow run across its attempts. A job may be tried more than once: its worker was
 * killed (BullMQ's stalled-job check gives it to another), handed it back on SIGTERM, or it failed
 * and is retried. Every attempt writes into the one run the first attempt created, so a job has one
 * run whatever happened to its workers:
 *
 *  - the first attempt creates the run and records its id in the BullMQ job (onCreated);
 *  - a later attempt reopens that run (MLflow's start_run(run_id=...)), fetches its artifacts from the
 *    server's artifact proxy (no disk is shared between workers) and resumes from the checkpoint among
 *    them, if any;
 *  - every metric point the run already has (key and step) is not logged again, so an epoch redone
 *    after a kill between its metrics and its checkpoint still appears once; params are write-once;
 *  - each artifact reaches the artifact store as soon as it is logged, not at the run's end, so the
 *    checkpoint of the last finished epoch survives a SIGKILL.
 */
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { downloadRunArtifacts, RestStore, TAG_RESUMED_AT, uploadArtifactNow } from '@xp/tracking';
import type { MetricPoint, OpenedTrackingStore, TrackedRun, TrackingStore } from '@xp/tracking';

/** The folder of a run's artifacts where kinds keep the checkpoint a resumed run continues from (cnn-classifier's CHECKPOINT_DIR). */
export const CHECKPOINT_FOLDER = 'checkpoint';

export interface Attempt {
  /** Creates the job's run (first attempt) or hands back the reopened one (later attempts). */
  store: TrackingStore;
  /** The run's artifact directory, with its checkpoint fetched, when there is a checkpoint to resume from. */
  resumeFrom?: string;
  /** The run an earlier attempt created, when it could be reopened. */
  reopened?: string;
}

export interface AttemptOptions {
  /** The run an earlier attempt of this job created, if any. */
  earlierRunId?: string;
  /** Records the run the first attempt created, before any training, so that a later attempt finds it. */
  onCreated: (runId: string) => Promise<void>;
  /** Tags that say which worker ran this attempt. */
  workerTags: Record<string, string>;
  log: (line: string) => void;
}

export async function prepareAttempt(store: OpenedTrackingStore, options: AttemptOptions): Promise<Attempt> {
  const { earlierRunId, log } = options;
  if (earlierRunId !== undefined && store.reopenRun) {
    try {
      const run = await store.reopenRun(earlierRunId);
      const record = (await store.listRuns(run.experimentId)).find((candidate) => candidate.runId === run.runId);
      const logged = new Set<string>();
      for (const key of Object.keys(record?.metrics ?? {})) {
        for (const point of await store.metricHistory(run.runId, key)) logged.add(pointKey(point));
      }
      if (store instanceof RestStore) await downloadRunArtifacts(store, run.runId, run.artifactDir);
      const resumeFrom = existsSync(join(run.artifactDir, CHECKPOINT_FOLDER)) ? run.artifactDir : undefined;
      log(`continuing run ${run.runId} of an earlier attempt${resumeFrom ? ' from its checkpoint' : ''} (${logged.size} metric points already logged)`);
      const continued = onceRun(run, { logged, params: record?.params ?? {}, store, log });
      return { store: handingOut(store, continued, { ...options.workerTags, [TAG_RESUMED_AT]: new Date().toISOString() }), resumeFrom, reopened: run.runId };
    } catch (error) {
      log(`warning: could not continue run ${earlierRunId} of an earlier attempt (${(error as Error).message}); starting a new run`);
    }
  }
  return {
    store: {
      get description() {
        return store.description;
      },
      getOrCreateExperiment: (name) => store.getOrCreateExperiment(name),
      async createRun(experimentId, createOptions) {
        const run = await store.createRun(experimentId, { ...createOptions, tags: { ...createOptions.tags, ...options.workerTags } });
        await options.onCreated(run.runId);
        return onceRun(run, { logged: new Set(), params: {}, store, log });
      },
    },
  };
}

/** `store`, except that its first createRun hands out `run` (with the new run's tags set on it). */
function handingOut(store: TrackingStore, run: TrackedRun, extraTags: Record<string, string>): TrackingStore {
  let claimed = false;
  return {
    get description() {
      return store.description;
    },
    getOrCreateExperiment: (name) => store.getOrCreateExperiment(name),
    async createRun(experimentId, options) {
      if (claimed) return store.createRun(experimentId, options);
      claimed = true;
      await run.setTags({ ...options.tags, ...extraTags });
      return run;
    },
  };
}

const pointKey = (point: Pick<MetricPoint, 'key' | 'step'>): string => `${point.key}\u0000${point.step}`;

/**
 * The run, logging each metric point (key, step) and each param at most once over all attempts, and
 * sending each artifact to a server's artifact store as soon as it is logged.
 */
function onceRun(run: TrackedRun, state: { logged: Set<string>; params: Record<string, string>; store: OpenedTrackingStore; log: (line: string) => void }): TrackedRun {
  const { logged, params: existingParams, store, log } = state;
  return {
    get runId() {
      return run.runId;
    },
    get experimentId() {
      return run.experimentId;
    },
    get artifactDir() {
      return run.artifactDir;
    },
    async logParams(params) {
      const fresh = Object.fromEntries(Object.entries(params).filter(([key]) => !(key in existingParams)));
      if (Object.keys(fresh).length > 0) await run.logParams(fresh);
    },
    async logMetrics(points) {
      const fresh = points.filter((point) => !logged.has(pointKey(point)));
      for (const point of fresh) logged.add(pointKey(point));
      if (fresh.length > 0) await run.logMetrics(fresh);
    },
    setTags: (tags) => run.setTags(tags),
    async logArtifact(localPath, artifactPath) {
      await run.logArtifact(localPath, artifactPath);
      if (!(store instanceof RestStore)) return;
      const target = resolve(run.artifactDir, artifactPath ?? '', basename(localPath));
      try {
        await uploadArtifactNow(store, run.runId, target, relative(run.artifactDir, target).split('\\').join('/'));
      } catch (error) {
        // The run's end uploads it again; only a worker killed before then would lose it.
        log(`warning: could not send ${relative(run.artifactDir, target)} to the artifact store yet (${(error as Error).message})`);
      }
    },
    end: (status) => run.end(status),
  };
}
