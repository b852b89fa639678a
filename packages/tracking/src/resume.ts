/**
 * `xp run --resume <id>`: which run an id, or a unique prefix of one (as git takes commits), names; and
 * a store through which the resumed variant's run continues that run instead of starting another.
 */
import { TrackingError } from './errors.ts';
import { TAG_LOCAL_RUN_ID } from './server-ops.ts';
import type { MetricPoint, RunRecord, TrackedRun, TrackingReader, TrackingStore } from './types.ts';

/** The tag a resumed run carries: when it was last reopened. */
export const TAG_RESUMED_AT = 'xp.resumedAt';
/** The tag a run carries when the run it continues could not be reopened: that run's id. */
export const TAG_RESUMED_FROM = 'xp.resumedFrom';

/** No run, or more than one, answers to the id given. */
export class RunLookupError extends TrackingError {
  constructor(
    message: string,
    readonly candidates: RunRecord[] = [],
  ) {
    super(message);
    this.name = 'RunLookupError';
  }
}

const MAX_LISTED = 10;

/**
 * The run whose id is `idOrPrefix` or starts with it, in any experiment of the store. A run created
 * while the server was unreachable also answers to the local id it was created under.
 */
export async function findRunToResume(reader: TrackingReader, idOrPrefix: string): Promise<RunRecord & { experimentName: string }> {
  const wanted = idOrPrefix.trim().toLowerCase();
  if (!/^[\w-]+$/.test(wanted)) throw new RunLookupError(`${JSON.stringify(idOrPrefix)} is not a run id`);
  const matches: (RunRecord & { experimentName: string })[] = [];
  for (const experiment of await reader.listExperiments()) {
    for (const run of await reader.listRuns(experiment.experimentId)) {
      const ids = [run.runId, run.tags[TAG_LOCAL_RUN_ID]].filter((id): id is string => Boolean(id)).map((id) => id.toLowerCase());
      if (ids.includes(wanted)) return { ...run, experimentName: experiment.name };
      if (ids.some((id) => id.startsWith(wanted))) matches.push({ ...run, experimentName: experiment.name });
    }
  }
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new RunLookupError(`no run id starts with ${JSON.stringify(idOrPrefix)}`);
  const listed = matches
    .sort((a, b) => a.startTime - b.startTime)
    .slice(0, MAX_LISTED)
    .map((run) => `  ${run.runId}  ${run.name} (${run.experimentName}, ${run.status.toLowerCase()}, started ${new Date(run.startTime).toISOString()})`);
  const more = matches.length > MAX_LISTED ? `\n  … and ${matches.length - MAX_LISTED} more` : '';
  throw new RunLookupError(
    `run id prefix ${JSON.stringify(idOrPrefix)} is ambiguous: ${matches.length} runs start with it; give more characters:\n${listed.join('\n')}${more}`,
    matches,
  );
}

/**
 * `store`, except that the first run created for `earlier`'s variant is `earlier` itself, reopened
 * (status RUNNING again, new metrics logged into it), as MLflow's start_run(run_id=...) continues a run.
 * Where the store cannot reopen it (no reopenRun, a server that will not answer, a deleted run), a new
 * run is created and tagged xp.resumedFrom with the earlier run's id.
 */
export function resumingStore(store: TrackingStore, earlier: RunRecord, log: (line: string) => void, reader?: TrackingReader): TrackingStore {
  const variant = earlier.tags['xp.variant'] ?? earlier.name;
  let claimed = false;
  return {
    get description() {
      return store.description;
    },
    getOrCreateExperiment: (name) => store.getOrCreateExperiment(name),
    async createRun(experimentId, options) {
      // The variant's run, whatever its name (a seed's run is named variant_seed=N).
      if (claimed || (options.tags?.['xp.variant'] ?? options.name) !== variant) return store.createRun(experimentId, options);
      claimed = true;
      if (store.reopenRun) {
        try {
          const run = await store.reopenRun(earlier.runId);
          await run.setTags({ ...options.tags, [TAG_RESUMED_AT]: new Date().toISOString() });
          return keepingParams(run, earlier.params, log, reader ? loggedOnce(run.runId, earlier, reader) : undefined);
        } catch (error) {
          log(`warning: could not reopen run ${earlier.runId} (${(error as Error).message}); continuing in a new run tagged ${TAG_RESUMED_FROM}=${earlier.runId}`);
        }
      }
      return store.createRun(experimentId, { ...options, tags: { ...options.tags, [TAG_RESUMED_FROM]: earlier.runId } });
    },
    reopenRun: store.reopenRun?.bind(store),
  };
}

/**
 * MLflow params are write-once: the reopened run keeps the values it has. The same values logged again
 * are left out; a changed one (the spec was edited between the runs) is reported and left out too.
 */
function keepingParams(run: TrackedRun, existing: Record<string, string>, log: (line: string) => void, fresh?: (points: MetricPoint[]) => Promise<MetricPoint[]>): TrackedRun {
  return {
    runId: run.runId,
    experimentId: run.experimentId,
    artifactDir: run.artifactDir,
    logParams: async (params) => {
      const fresh: Record<string, string> = {};
      const changed: string[] = [];
      for (const [key, value] of Object.entries(params)) {
        if (!(key in existing)) fresh[key] = value;
        else if (existing[key] !== value) changed.push(`${key} (${existing[key]} → ${value})`);
      }
      if (changed.length) log(`warning: run ${run.runId} keeps the params it was started with; changed since, not recorded: ${changed.join(', ')}`);
      if (Object.keys(fresh).length) await run.logParams(fresh);
    },
    logMetrics: async (points) => {
      const left = fresh ? await fresh(points) : points;
      if (left.length) await run.logMetrics(left);
    },
    setTags: (tags) => run.setTags(tags),
    logArtifact: (localPath, artifactPath) => run.logArtifact(localPath, artifactPath),
    end: (status) => run.end(status),
  };
}

/**
 * Of the points a reopened run logs, those it does not already have: a metric at a step the run already
 * holds a point for is left out, whatever its value (the `params` count at step 0, logged when each
 * attempt starts; an epoch trained again after a kill between its metrics and its checkpoint, whose
 * seconds, at least, differ), so a resumed run has the points an uninterrupted one has, each once.
 */
function loggedOnce(runId: string, earlier: RunRecord, reader: TrackingReader): (points: MetricPoint[]) => Promise<MetricPoint[]> {
  const histories = new Map<string, Promise<MetricPoint[]>>();
  const historyOf = (key: string): Promise<MetricPoint[]> => {
    if (!histories.has(key)) histories.set(key, reader.metricHistory(runId, key).catch(() => []));
    return histories.get(key)!;
  };
  return async (points) => {
    const kept: MetricPoint[] = [];
    for (const point of points) {
      const had = point.key in earlier.metrics ? await historyOf(point.key) : [];
      if (!had.some((p) => p.step === point.step)) kept.push(point);
    }
    return kept;
  };
}
