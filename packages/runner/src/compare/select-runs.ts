/**
 * Which runs `xp compare` shows. Default: the latest sweep, i.e. the children of the most recently
 * started top-level run (a single-variant `xp run` has no children, so its own run is shown).
 * With `all`: every run of the experiment that is not a sweep's parent.
 */
import type { RunRecord } from '@xp/tracking';

const TAG_PARENT_RUN_ID = 'mlflow.parentRunId';

export function selectRuns(runs: RunRecord[], { all }: { all: boolean }): { runs: RunRecord[]; parent: RunRecord | null } {
  const parentIds = new Set(runs.map((run) => run.tags[TAG_PARENT_RUN_ID]).filter(Boolean));
  if (all) return { runs: runs.filter((run) => !parentIds.has(run.runId)), parent: null };
  const topLevel = runs.filter((run) => !run.tags[TAG_PARENT_RUN_ID]);
  const latest = topLevel.reduce<RunRecord | null>((best, run) => (!best || run.startTime > best.startTime ? run : best), null);
  if (!latest) return { runs: [], parent: null };
  if (!parentIds.has(latest.runId)) return { runs: [latest], parent: null };
  return { runs: runs.filter((run) => run.tags[TAG_PARENT_RUN_ID] === latest.runId), parent: latest };
}
