/**
 * The environment variables MLflow's own client reads, read the same way here:
 * MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD (Basic auth; they win when both are set, as in
 * mlflow.utils.rest_utils), else MLFLOW_TRACKING_TOKEN (Bearer), and MLFLOW_EXPERIMENT_NAME (the
 * experiment when the spec names none). MLFLOW_TRACKING_URI is read in uri.ts.
 */

/** The Authorization header a server behind auth expects, or none. */
export function mlflowAuthHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && password) {
    return { Authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` };
  }
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) return { Authorization: `Bearer ${token}` };
  return {};
}

/**
 * The MLflow experiment a spec's runs go to: the spec's tracking.experiment, else $MLFLOW_EXPERIMENT_NAME,
 * else the spec's name.
 */
export function experimentNameFrom(spec: { name: string; tracking?: { experiment?: string } }, env: NodeJS.ProcessEnv): string {
  return spec.tracking?.experiment || env.MLFLOW_EXPERIMENT_NAME || spec.name;
}
