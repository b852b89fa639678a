/**
 * Which store a tracking URI names. MLflow's own rules: http(s):// is a server, file:// or a plain
 * path is a file store; anything else (databricks, sqlite...) xp cannot write to directly.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl, urlCredentials, urlWithoutCredentials } from '@xp/core';
import { TrackingError } from './errors.ts';

/** A user and password written into a server's URI (http://user:pass@host), as MLflow's client takes them. */
export interface UriCredentials {
  username: string;
  password: string;
}

export type TrackingLocation =
  | { kind: 'file'; root: string }
  | {
      kind: 'server';
      /** The server's address without credentials: what requests, spool files, jobs and links carry. */
      url: string;
      /** What messages show: the URI with its userinfo as `***` when it had one (#26.4). */
      display: string;
      /** From the URI's userinfo; sent as Basic auth unless MLFLOW_TRACKING_USERNAME/PASSWORD are set (mlflow-env.ts). */
      credentials: UriCredentials | null;
    };

export const DEFAULT_TRACKING_URI = './mlruns';

export function parseTrackingUri(uri: string, cwd: string): TrackingLocation {
  if (/^https?:\/\//i.test(uri)) {
    const trimmed = uri.replace(/\/+$/, '');
    return { kind: 'server', url: urlWithoutCredentials(trimmed), display: redactUrl(trimmed), credentials: urlCredentials(trimmed) };
  }
  if (/^file:/i.test(uri)) {
    return { kind: 'file', root: fileURLToPath(uri) };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri)) {
    throw new TrackingError(
      `unsupported tracking URI ${JSON.stringify(redactUrl(uri))}: use http(s)://host:port for an MLflow server, or file:///abs/path or a plain path for a file store ` +
        `(to use a database backend, run 'mlflow server --backend-store-uri ${redactUrl(uri)}' and point xp at the server)`,
    );
  }
  return { kind: 'file', root: path.resolve(cwd, uri) };
}

/**
 * Precedence: --tracking-uri or the spec's tracking.uri (the caller passes whichever won) >
 * $MLFLOW_TRACKING_URI > ./mlruns.
 */
export function resolveTrackingUri(uri: string | undefined, env: NodeJS.ProcessEnv): string {
  return uri || env.MLFLOW_TRACKING_URI || DEFAULT_TRACKING_URI;
}
