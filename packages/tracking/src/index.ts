/**
 * @xp/tracking: where runs are recorded. Opens the tracking store a URI names (an MLflow file store
 * or server); the rest of xp only sees TrackingStore and TrackingReader.
 */
import { FileStore } from './file-store.ts';
import { mlflowAuthHeaders } from './mlflow-env.ts';
import { RestStore } from './rest-store.ts';
import type { RetryPolicy } from './retry.ts';
import type { TrackingReader, TrackingStore } from './types.ts';
import { parseTrackingUri, resolveTrackingUri } from './uri.ts';

export interface OpenTrackingStoreOptions {
  /** --tracking-uri, else the spec's tracking.uri: the caller resolves that precedence and passes the winner. */
  uri?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Warnings (server unreachable, spooling). Default: stderr. */
  log?: (line: string) => void;
  retry?: RetryPolicy;
}

export type OpenedTrackingStore = TrackingStore & TrackingReader;

/** Precedence: options.uri > $MLFLOW_TRACKING_URI > ./mlruns (relative paths from cwd). */
export function openTrackingStore(options: OpenTrackingStoreOptions): OpenedTrackingStore {
  const location = parseTrackingUri(resolveTrackingUri(options.uri, options.env), options.cwd);
  if (location.kind === 'file') return new FileStore(location.root);
  return new RestStore(location.url, { cwd: options.cwd, log: options.log, retry: options.retry, headers: mlflowAuthHeaders(options.env) });
}

export { FileStore } from './file-store.ts';
export { RestStore, isPendingExperiment } from './rest-store.ts';
export { EXPERIMENT_KIND_TRAINING, TAG_EXPERIMENT_KIND, mlflowUiRunsLink } from './mlflow-conventions.ts';
export { syncSpool, type SyncReport } from './spool-sync.ts';
export { markRunsOfGoneOwners } from './dead-runs.ts';
export { ownerIsGone, ownerTags, TAG_OWNER_HOST, TAG_OWNER_PID, TAG_OWNER_STARTED } from './run-owner.ts';
export { experimentNameFrom, mlflowAuthHeaders } from './mlflow-env.ts';
export { findRunToResume, resumingStore, TAG_RESUMED_AT } from './resume.ts';
export { downloadRunArtifacts, uploadArtifactNow } from './remote-artifacts.ts';
export { parseTrackingUri, resolveTrackingUri, DEFAULT_TRACKING_URI, type TrackingLocation } from './uri.ts';
export * from './errors.ts';
export type * from './types.ts';
