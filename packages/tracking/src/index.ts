/**
 * @xp/tracking: where runs are recorded. Opens the tracking store a URI names (an MLflow file store
 * or server); the rest of xp only sees TrackingStore and TrackingReader.
 */
import { secretsFromEnv } from '@xp/core';
import { FileStore } from './file-store.ts';
import { mlflowAuth } from './mlflow-env.ts';
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

/**
 * Precedence: options.uri > $MLFLOW_TRACKING_URI > ./mlruns (relative paths from cwd). A server's
 * credentials (the URI's user:password, MLflow's environment variables) go into the Authorization
 * header only; the store's URL, messages, params, tags and spool files never hold them.
 */
export function openTrackingStore(options: OpenTrackingStoreOptions): OpenedTrackingStore {
  const location = parseTrackingUri(resolveTrackingUri(options.uri, options.env), options.cwd);
  const secrets = secretsFromEnv(options.env);
  if (location.kind === 'file') return new FileStore(location.root, secrets);
  const auth = mlflowAuth(options.env, location.credentials);
  if (location.credentials?.password) secrets.push(location.credentials.password);
  return new RestStore(location.url, {
    cwd: options.cwd,
    log: options.log,
    retry: options.retry,
    headers: auth.headers,
    credentialSource: auth.source,
    displayUrl: location.display,
    secrets,
  });
}

export { FileStore } from './file-store.ts';
export { RestStore, isPendingExperiment } from './rest-store.ts';
export { EXPERIMENT_KIND_TRAINING, TAG_EXPERIMENT_KIND, mlflowUiRunsLink } from './mlflow-conventions.ts';
export { syncSpool, type SyncReport } from './spool-sync.ts';
export { markRunsOfGoneOwners } from './dead-runs.ts';
export { ownerIsGone, ownerTags, TAG_OWNER_HOST, TAG_OWNER_PID, TAG_OWNER_STARTED } from './run-owner.ts';
export { envWithUriCredentials, experimentNameFrom, mlflowAuth, mlflowAuthHeaders, type MlflowAuth } from './mlflow-env.ts';
export { findRunToResume, resumingStore, TAG_RESUMED_AT } from './resume.ts';
export { downloadRunArtifacts, uploadArtifactNow } from './remote-artifacts.ts';
export { parseTrackingUri, resolveTrackingUri, DEFAULT_TRACKING_URI, type TrackingLocation, type UriCredentials } from './uri.ts';
export * from './errors.ts';
export type * from './types.ts';
