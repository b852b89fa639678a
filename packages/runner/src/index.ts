/** @xp/runner: the `xp` command and the pieces it is made of, for use from code. */
export { main, buildProgram } from './cli/main.ts';
export { runSweep, type SweepReport, type RunReport } from './run/run-sweep.ts';
export { openTrackingStore } from './tracking/index.ts';
export type { TrackingStore, TrackedRun, TrackingReader, MetricPoint } from './tracking/types.ts';
export type { ExperimentKind, RunContext, RunOutcome, StaticCheck } from './kinds/types.ts';
