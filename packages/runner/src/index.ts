/** @xp/runner: the `xp` command and the pieces it is made of, for use from code. */
export { main, buildProgram } from './cli/main.ts';
export { runSweep, type SweepReport, type RunReport } from './run/run-sweep.ts';
export { openTrackingStore } from '@xp/tracking';
export type { TrackingStore, TrackedRun, TrackingReader, MetricPoint } from '@xp/tracking';
export type { ExperimentKind, RunContext, RunOutcome, StaticCheck } from './kinds/types.ts';
