/**
 * Metrics a program logs through MLflow itself (`mlflow.log_metric`, into xp's run: MLFLOW_RUN_ID is
 * set): they are in the store already, so xp never logs them again; it reads them back, while the
 * program runs (each new point is a report for the sweep's scheduler) and once after it exits (for the
 * verdict). A metric line on stdout with a name the program also logs through MLflow is therefore not
 * logged by xp a second time: whichever way a metric comes, it is in the run once.
 */
import { openTrackingStore, type MetricPoint, type OpenedTrackingStore } from '@xp/tracking';

export class MlflowLoggedMetrics {
  private readonly reader: OpenedTrackingStore;
  /** Every point seen so far, by metric; a point is `step@timestamp`. */
  private readonly seen = new Map<string, Set<string>>();
  readonly histories = new Map<string, MetricPoint[]>();

  constructor(
    trackingUri: string,
    cwd: string,
    private readonly experimentId: string,
    private readonly runId: string,
    /** Metrics xp logged itself from metric lines (and params, wall_time_s): not the program's. */
    private readonly loggedByXp: ReadonlySet<string>,
  ) {
    this.reader = openTrackingStore({ uri: trackingUri, cwd, env: process.env, log: () => {} });
  }

  /** Reads what is new since the last call; returns the new points grouped by step. */
  async poll(): Promise<Map<number, Record<string, number>>> {
    const fresh = new Map<number, Record<string, number>>();
    const record = (await this.reader.listRuns(this.experimentId)).find((run) => run.runId === this.runId);
    for (const key of Object.keys(record?.metrics ?? {})) {
      if (this.loggedByXp.has(key)) continue;
      const points = await this.reader.metricHistory(this.runId, key);
      const seen = this.seen.get(key) ?? new Set<string>();
      this.seen.set(key, seen);
      for (const point of points) {
        const id = `${point.step}@${point.timestamp ?? 0}`;
        if (seen.has(id)) continue;
        seen.add(id);
        fresh.set(point.step, { ...fresh.get(point.step), [key]: point.value });
      }
      this.histories.set(key, points);
    }
    return fresh;
  }
}
