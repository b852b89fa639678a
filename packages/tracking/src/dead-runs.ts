/**
 * Marks RUNNING runs whose owner process is gone (run-owner.ts) as KILLED, as MLflow users expect a
 * dead run to read: `xp compare` does it for the experiment it reads, `xp gc` for every experiment.
 */
import { ownerIsGone, TAG_OWNER_HOST, TAG_OWNER_PID } from './run-owner.ts';
import type { RunRecord, TrackingReader, TrackingStore } from './types.ts';

/** What a run marked KILLED for its gone owner is tagged with (xp.status as a killed job's). */
export function abandonedTags(run: Pick<RunRecord, 'tags'>): Record<string, string> {
  return {
    'xp.status': 'killed',
    'xp.message': `its process (pid ${run.tags[TAG_OWNER_PID]} on ${run.tags[TAG_OWNER_HOST]}) ended without finishing the run; marked KILLED by xp`,
  };
}

/** The runs of `experimentId` that were RUNNING with a gone owner and are KILLED now. */
export async function markRunsOfGoneOwners(store: TrackingStore & TrackingReader, experimentId: string): Promise<RunRecord[]> {
  if (!store.endAbandonedRun) return [];
  const marked: RunRecord[] = [];
  for (const run of await store.listRuns(experimentId)) {
    if (run.status !== 'RUNNING' || !ownerIsGone(run.tags)) continue;
    if (await store.endAbandonedRun(run.runId, abandonedTags(run))) marked.push(run);
  }
  return marked;
}
