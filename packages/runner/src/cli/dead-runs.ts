/** What `xp compare` and `xp gc` say about runs they marked KILLED because their process is gone. */
import { markRunsOfGoneOwners, TAG_OWNER_PID, type OpenedTrackingStore, type RunRecord } from '@xp/tracking';

/** Marks the RUNNING runs of gone owners in every experiment of the store KILLED; one line each on `say`. */
export async function markDeadRuns(store: OpenedTrackingStore, say: (line: string) => void): Promise<RunRecord[]> {
  const marked: RunRecord[] = [];
  for (const experiment of await store.listExperiments()) {
    for (const run of await markRunsOfGoneOwners(store, experiment.experimentId)) {
      say(`marked run ${run.runId.slice(0, 8)} (${run.name}, ${experiment.name}) KILLED: its process ${run.tags[TAG_OWNER_PID]} is gone`);
      marked.push(run);
    }
  }
  return marked;
}
