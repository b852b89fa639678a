/** One run as `xp compare` sees it: its own module, so that grouping and the report can share it without importing each other. */
export interface ComparedRun {
  runId: string;
  /** The run's name (mlflow.runName): the variant, with `_seed=N` when it ran on several seeds. */
  name: string;
  /** The variant's name without the seed (xp.variant tag, else the run's name). */
  variant: string;
  /** xp.seed tag, else the `seed` param; null where unknown. */
  seed: number | null;
  /** xp's verdict (xp.status tag: passed|failed|error|killed), else MLflow's status in lower case. */
  status: string;
  /** As recorded: MLflow params are text. */
  params: Record<string, string>;
  /** Latest value of every metric. */
  metrics: Record<string, number>;
  /** Trainable parameters (xp.params tag or `params` metric), null if not recorded. */
  paramCount: number | null;
  /** xp.withinBudget tag; null where the run recorded none. */
  withinBudget: boolean | null;
  /** Epochs actually trained (never the epochs asked for): null for a run that trained none, or a kind that counts steps. */
  epochs: number | null;
  /** constraints.minTestAccuracy, null where the run has none. */
  threshold: number | null;
  /** The first epoch whose test accuracy reached the threshold; null where it never did (or there is none). */
  thresholdEpoch: number | null;
  /** For a run stopped early by the sweep's scheduler (status pruned): the last epoch or step it measured; else null. */
  prunedAt: number | null;
  /** End minus start; for a run still going, until now. */
  wallTimeMs: number | null;
  startTime: number;
}
