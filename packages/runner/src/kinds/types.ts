/**
 * What an experiment kind (toy-mlp, cnn-classifier, command, or a plugin: ./plugins.ts) provides to the
 * runner. `xp validate`, `xp plan`, `xp summary`, `xp run` and `xp compare` talk to kinds only through
 * this interface, looked up by the spec's `kind` in ./registry.ts.
 *
 * Kind API version 1 (KIND_API_VERSION). A change that a kind written against it would notice (a
 * required member added, a member's meaning changed) raises the version; optional additions do not.
 */
import type { ResolvedSpec, SpecIssue } from '@xp/core';
import type { TrackedRun } from '@xp/tracking';

/** The version of this interface (see the header). */
export const KIND_API_VERSION = 1;

export type MetricDirection = 'min' | 'max';

/** What a kind finds out about a variant before any compute is spent. */
export interface KindCheck {
  /** Trainable parameters, or null where counting does not apply. */
  params: number | null;
  /** Problems that make the variant unrunnable (shape errors, missing required layers...). */
  issues: SpecIssue[];
}

/** A kind's check with the budget judged (../verdict/budget.ts): the same rule for every kind. */
export interface StaticCheck extends KindCheck {
  /** True where no budget is set. An over-budget variant becomes a failed run, never trained. */
  withinBudget: boolean;
  /** The kind's inputsKey for the variant (ExperimentKind.inputsKey), when it has one and the checks passed. */
  inputsKey?: string;
}

export interface RunContext {
  /** The resolved spec of this variant (vars substituted, overrides applied, defaults filled in). */
  spec: ResolvedSpec;
  variantName: string;
  /** The spec file, absolute. */
  specFile: string;
  run: TrackedRun;
  /** The backend asked for on the command line or in the spec. */
  backend: string;
  /** Messages for the user (stderr); never stdout, which --json keeps machine-readable. */
  log: (line: string) => void;
  /** Aborted on Ctrl-C: finish the current step, save, and return status 'killed'. */
  signal: AbortSignal;
  /** Where the run is tracked (an http(s) URL or an absolute file-store path): a program run by the kind may log into the same run. */
  trackingUri?: string;
  /**
   * Tells the sweep's scheduler and live views of metric points that reached the run without
   * run.logMetrics (a program that logged them into the run itself). Points logged through `run` are
   * reported already.
   */
  report?: (step: number, metrics: Record<string, number>) => void;
  /** Set by `xp run --resume`: the earlier run's artifact directory to continue from. */
  resumeFrom?: string;
  /**
   * Cores this run may keep busy (the machine's divided between the runs of `xp run --jobs N`);
   * `train.workers: auto` trains on this many worker threads. Default: every core.
   */
  cpuShare?: number;
}

export interface RunOutcome {
  status: 'passed' | 'failed' | 'error' | 'killed';
  /** Final values, e.g. {E: 0.0012} or {test_accuracy: 0.9943, best_test_accuracy: ...}. */
  metrics: Record<string, number>;
  /** Output name -> absolute path of the file (under run.artifactDir). */
  artifacts: Record<string, string>;
  /** Why it failed or errored, in one line. */
  message?: string;
  /** Extra tags to record on the run, e.g. {backend: 'wasm'}. */
  tags?: Record<string, string>;
}

export interface SweepResult {
  variantName: string;
  spec: ResolvedSpec;
  /** The run's outcome; 'pruned' where the sweep's scheduler stopped it (../run/scheduler.ts). */
  outcome: Omit<RunOutcome, 'status'> & { status: RunOutcome['status'] | 'pruned' };
  runId: string;
}

export interface ExperimentKind {
  /** The kind's own name (a plugin's may differ from the spec's `kind` text it is registered under). */
  kind: string;
  /** A plugin kind: the KIND_API_VERSION it was written against (./plugins.ts refuses another). */
  apiVersion?: number;
  /**
   * A plugin kind: the JSON Schema of its own top-level fields (properties, required, defaults;
   * additionalProperties: false catches a misspelt field). The shared fields (name, seeds, sweep,
   * constraints, tracking...) are the core schema's. Built-in kinds' fields are in the core schema.
   */
  schema?: Record<string, unknown>;
  /** Direction of every metric the kind logs, so comparisons know which end is best. */
  metricDirections: Record<string, MetricDirection>;
  /** The metric `xp compare` sorts by unless told otherwise. */
  primaryMetric: string;
  /** The metric drawn per step or epoch in the comparison's curves. */
  curveMetric: string;
  /**
   * Static checks of one resolved variant; no training, no tracking. `where.specFile` (absolute) is where
   * relative paths resolve from; a kind may read its data to check it (cnn-classifier does for datasets
   * other than mnist, so that bad data is an error before training; command looks up its program).
   */
  check(spec: ResolvedSpec, locate: Locator, where?: CheckPlace): Promise<KindCheck> | KindCheck;
  /**
   * A content key of the files the variant reads beyond its spec (a dataset's images, a command's
   * script), or undefined where it reads none: it enters the job's content hash (../run/job-hash.ts),
   * so the run cache and the queue's dedupe tell an edited file from the one a finished run read.
   * Called where the static checks run (../run/static-checks.ts), after a check without issues.
   */
  inputsKey?(spec: ResolvedSpec, where: CheckPlace): Promise<string | undefined>;
  /** Human-readable model summary for `xp summary`, or null where the kind has none. */
  summary?(spec: ResolvedSpec): string | null;
  run(context: RunContext): Promise<RunOutcome>;
  /**
   * Loads ahead what run() imports lazily (a queue worker's process does, before it takes a job, so
   * that a job's start does not wait for module loading: seconds, tens on a loaded machine).
   */
  preload?(): Promise<void>;
  /**
   * Called once after every variant ran, with the parent (sweep) run, for outputs about the sweep as a
   * whole (e.g. loss curves of all η). Returns the artifacts it wrote.
   */
  afterSweep?(results: SweepResult[], parent: TrackedRun, log: (line: string) => void): Promise<Record<string, string>>;
}

/** Where the variant being checked comes from: relative paths in a spec resolve from its folder. */
export interface CheckPlace {
  /** The spec file, absolute. */
  specFile: string;
}

/** Maps a path in the spec (['model', 'blocks', 'conv1', 2]) to where it was written. */
export type Locator = (path: readonly (string | number)[]) => SpecIssue['location'];
