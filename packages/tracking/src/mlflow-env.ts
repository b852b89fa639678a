/**
 * The environment variables MLflow's own client reads, read the same way here:
 * MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD (Basic auth; they win when both are set, as in
 * mlflow.utils.rest_utils), else a user:password in the tracking URI (which MLflow's client, through
 * requests, sends as Basic auth too), else MLFLOW_TRACKING_TOKEN (Bearer), and MLFLOW_EXPERIMENT_NAME
 * (the experiment when the spec names none). MLFLOW_TRACKING_URI is read in uri.ts.
 */
import type { UriCredentials } from './uri.ts';

/** The Authorization header a server behind auth expects (or none), and where its secret came from, for messages. */
export interface MlflowAuth {
  headers: Record<string, string>;
  /** e.g. "MLFLOW_TRACKING_TOKEN"; null when no credentials were given. */
  source: string | null;
}

export function mlflowAuth(env: NodeJS.ProcessEnv, uriCredentials: UriCredentials | null = null): MlflowAuth {
  const basic = (username: string, password: string): Record<string, string> => ({
    Authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
  });
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && password) return { headers: basic(username, password), source: 'MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD' };
  if (uriCredentials && (uriCredentials.username || uriCredentials.password)) {
    return { headers: basic(uriCredentials.username, uriCredentials.password), source: "the tracking URI's user:password" };
  }
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) return { headers: { Authorization: `Bearer ${token}` }, source: 'MLFLOW_TRACKING_TOKEN' };
  return { headers: {}, source: null };
}

/** The Authorization header a server behind auth expects, or none. */
export function mlflowAuthHeaders(env: NodeJS.ProcessEnv, uriCredentials: UriCredentials | null = null): Record<string, string> {
  return mlflowAuth(env, uriCredentials).headers;
}

/**
 * The environment that gives processes xp starts (`--jobs N`) the credentials of a URI's userinfo,
 * since the jobs carry the server's address without them (a job may be stored in Redis).
 */
export function envWithUriCredentials(env: NodeJS.ProcessEnv, uriCredentials: UriCredentials | null): NodeJS.ProcessEnv {
  if (!uriCredentials || (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD)) return env;
  return { ...env, MLFLOW_TRACKING_USERNAME: uriCredentials.username, MLFLOW_TRACKING_PASSWORD: uriCredentials.password };
}

/**
 * The MLflow experiment a spec's runs go to: the spec's tracking.experiment, else $MLFLOW_EXPERIMENT_NAME,
 * else the spec's name.
 */
export function experimentNameFrom(spec: { name: string; tracking?: { experiment?: string } }, env: NodeJS.ProcessEnv): string {
  return spec.tracking?.experiment || env.MLFLOW_EXPERIMENT_NAME || spec.name;
}
