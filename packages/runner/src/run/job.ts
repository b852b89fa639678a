/**
 * A Job is one run, as data: everything a launcher needs to start it anywhere (this process, a child
 * process, later a machine at the other end of a queue) without re-reading the spec file or the
 * command line. It is plain JSON: no paths to read back, no functions.
 */
import type { ResolvedSpec } from '@xp/core';
import type { RunOutcome, StaticCheck } from '../kinds/types.ts';

export interface Job {
  /** Unique in its sweep, and the tracked run's name: the variant, with `_seed=N` over several seeds. */
  name: string;
  variant: string;
  seed: number;
  /** The resolved spec of this run: overrides applied, defaults filled in, its one seed, no sweep. */
  spec: ResolvedSpec;
  /** The spec as composed (the file itself when it has no defaults list), logged as the run's spec.yaml. */
  specText: string;
  /** The files the spec was composed from, with their hashes (logged as composed-from.json); absent for a spec without defaults. */
  composedFrom?: Array<{ file: string; sha256: string }>;
  /** The config group options chosen (`model` → `seed-net`), logged as params. */
  groupChoices?: Record<string, string>;
  /** Where the spec file was (absolute): relative data paths resolve from its directory. */
  specFile: string;
  /**
   * The content key of the files the job reads beyond the spec (ExperimentKind.inputsKey: a dataset's
   * files, a command's script), taken with the static checks; part of the job's content hash
   * (./job-hash.ts). Absent where the kind reads nothing beyond the spec (toy-mlp, mnist).
   */
  inputsKey?: string;
  /** The static checks' verdict (parameter count, budget), made before any job ran. */
  check: Pick<StaticCheck, 'params' | 'withinBudget'>;
  experimentId: string;
  /** The sweep's parent run, when there is one. */
  parentRunId?: string;
  /** Where the run is tracked: an http(s) URL or an absolute file-store path. */
  trackingUri: string;
  backend: string;
  /** Tags every run of the sweep carries (spec hash, xp version, kind, git commit...). */
  tags: Record<string, string>;
  /** Cores this run may keep busy (train.workers: auto). */
  cpuShare?: number;
  /** `xp run --resume`: the earlier run's artifact directory, whose checkpoint the job continues. */
  resumeFrom?: string;
}

/**
 * The reason a launcher aborts a job with when the sweep's scheduler stops it: the kind ends it as it
 * would on Ctrl-C (the last epoch saved), and runJob records it as pruned, not killed.
 */
export const PRUNED = 'xp:pruned';

/** What a launcher gives back for each job. */
export interface JobResult {
  name: string;
  variant: string;
  seed: number;
  /** Empty when the run could not even be created (a crashed child). */
  runId: string;
  /** 'pruned': stopped early by the sweep's scheduler (./scheduler.ts), neither passed nor failed. */
  status: RunOutcome['status'] | 'pruned';
  /** Not trained: a finished run of the same job (./run-cache.ts) stands for it; runId is that run's. */
  cached?: boolean;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  artifacts: Record<string, string>;
  message?: string;
}

/** A point of a running job's metrics, as the job logs them (per epoch or the kind's own step). */
export interface JobReport {
  job: string;
  step: number;
  metrics: Record<string, number>;
}
