/**
 * The tracking interface: everything the runner needs from a run store. Two stores implement it:
 * an MLflow file store on disk (the default, ./mlruns) and an MLflow server over its REST API.
 * Keeping it this small is what lets `xp run` stay ignorant of where runs end up.
 */

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  /**
   * When the value was measured, in milliseconds since the epoch. Set it when points are logged in a
   * batch after the fact; left out, it is the time of the logMetrics call that carries the point.
   */
  timestamp?: number;
}

export interface TrackedRun {
  readonly runId: string;
  readonly experimentId: string;
  /** A local directory where the run's handler writes its outputs; they become the run's artifacts. */
  readonly artifactDir: string;
  logParams(params: Record<string, string>): Promise<void>;
  logMetrics(points: MetricPoint[]): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Records a file already written under artifactDir (or copies one from elsewhere) as an artifact. */
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** Ends the run; a remote store uploads what is left of artifactDir and flushes its queue here. */
  end(status: Exclude<RunStatus, 'RUNNING'>): Promise<void>;
}

export interface CreateRunOptions {
  name: string;
  tags?: Record<string, string>;
  parentRunId?: string;
}

export interface TrackingStore {
  /** Human-readable description for messages, e.g. "file store ./mlruns" or "MLflow server http://…". */
  readonly description: string;
  getOrCreateExperiment(name: string): Promise<string>;
  createRun(experimentId: string, options: CreateRunOptions): Promise<TrackedRun>;
  /**
   * Opens an existing run again so that new writes go into it (MLflow's start_run(run_id=...)): its
   * status is RUNNING again, and its artifactDir is the one it had. Throws where the run is gone or
   * the store cannot reach it.
   */
  reopenRun?(runId: string): Promise<TrackedRun>;
  /**
   * Ends a run nobody will end (its owner process is gone, see dead-runs.ts): status KILLED with an end
   * time, and `tags`. False where the run is no longer RUNNING or has writes still waiting to be
   * delivered (a spool), which then decide its status.
   */
  endAbandonedRun?(runId: string, tags: Record<string, string>): Promise<boolean>;
}

/** The read side, for `xp compare`; both stores implement it. */
export interface ExperimentInfo {
  experimentId: string;
  name: string;
}

export interface RunRecord {
  runId: string;
  experimentId: string;
  /** The mlflow.runName tag (what the MLflow UI shows). */
  name: string;
  status: RunStatus;
  /** Milliseconds since the epoch. */
  startTime: number;
  /** null while the run is still RUNNING. */
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** The latest value of every metric (largest step, then latest timestamp, as MLflow defines it). */
  metrics: Record<string, number>;
}

export interface TrackingReader {
  /** Active experiments, for messages such as "unknown experiment; these exist: ...". */
  listExperiments(): Promise<ExperimentInfo[]>;
  findExperiment(name: string): Promise<ExperimentInfo | null>;
  /** Every active run of the experiment, parents and children alike. */
  listRuns(experimentId: string): Promise<RunRecord[]>;
  /** Every logged point of one metric, ordered by step then timestamp. */
  metricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  /** The local directory holding a run's outputs (checkpoints, tables), or null where none is on this machine; for `xp run --resume`. */
  localArtifactDir(runId: string): Promise<string | null>;
}
