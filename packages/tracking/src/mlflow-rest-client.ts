/**
 * A thin typed client for MLflow's REST API.
 *
 * Why not the `mlflow` npm client (2.0.7) for these calls: its request function console.log()s every
 * POST body to stdout (which would corrupt `xp run --json` and print every metric batch), wraps
 * failures in Error(string) so the HTTP status and MLflow error_code are lost (we need both to decide
 * whether to retry), has no request timeout (a half-open connection would stall training), and targets
 * endpoints later MLflow versions removed (experiments/list). What remains of it here is its endpoint
 * names, which are MLflow's.
 */
import { MlflowApiError, MlflowAuthError, MlflowUnreachableError } from './errors.ts';

/** The wire shapes this client uses (a subset of MLflow's protos). */
export interface WireMetric {
  key: string;
  /** MLflow's JSON carries non-finite doubles as the strings "NaN", "Infinity", "-Infinity". */
  value: number | string;
  timestamp: number;
  step: number;
}
export interface WireKeyValue {
  key: string;
  value: string;
}
export interface WireRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
    start_time?: number | string;
    end_time?: number | string;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: { metrics?: WireMetric[]; params?: WireKeyValue[]; tags?: WireKeyValue[] };
}
/** An entry of the artifact proxy's listing. */
export interface WireArtifact {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

export interface WireExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  artifact_location?: string;
  tags?: WireKeyValue[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

export interface MlflowRestClientOptions {
  /** Sent with every request: the Authorization header of a server behind auth (see mlflow-env.ts). */
  headers?: Record<string, string>;
  /** Where the Authorization header's secret came from (mlflowAuth's source), for the message a refusal gives. */
  credentialSource?: string | null;
  /** The server as messages show it (the URI's userinfo as ***); default: baseUrl. */
  displayUrl?: string;
  timeoutMs?: number;
}

export class MlflowRestClient {
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly credentialSource: string | null;
  readonly displayUrl: string;

  constructor(
    readonly baseUrl: string,
    options: MlflowRestClientOptions = {},
  ) {
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.credentialSource = options.credentialSource ?? (this.headers.Authorization ? 'MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD' : null);
    this.displayUrl = options.displayUrl ?? baseUrl;
  }

  /** Calls /api/2.0/mlflow/<endpoint>: GET with `body` as query string, POST with it as JSON. */
  async call<T>(method: 'GET' | 'POST', endpoint: string, body: Record<string, unknown> = {}): Promise<T> {
    let url = `${this.baseUrl}/api/2.0/mlflow/${endpoint}`;
    const init: RequestInit = { method, headers: { Accept: 'application/json' } };
    if (method === 'GET') {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(body)) if (value !== undefined) query.set(key, String(value));
      if ([...query].length) url += `?${query}`;
    } else {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    }
    const text = await this.send(url, init);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Uploads one file through the server's artifact proxy (mlflow server --serve-artifacts). */
  async putArtifact(proxyPath: string, content: Uint8Array<ArrayBuffer>): Promise<void> {
    const url = `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${proxyPath.split('/').map(encodeURIComponent).join('/')}`;
    await this.send(url, { method: 'PUT', body: new Blob([content]), headers: { 'Content-Type': 'application/octet-stream' } });
  }

  /** The files and folders directly under `proxyPath` in the server's artifact proxy (paths relative to it). */
  async listArtifacts(proxyPath: string): Promise<WireArtifact[]> {
    const text = await this.send(`${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts?${new URLSearchParams({ path: proxyPath })}`, { method: 'GET', headers: { Accept: 'application/json' } });
    return ((text ? JSON.parse(text) : {}) as { files?: WireArtifact[] }).files ?? [];
  }

  /** Downloads one file through the server's artifact proxy. */
  async getArtifact(proxyPath: string): Promise<Uint8Array> {
    const response = await this.fetchOk(`${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${proxyPath.split('/').map(encodeURIComponent).join('/')}`, { method: 'GET' });
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new MlflowUnreachableError(this.baseUrl, error);
    }
  }

  async health(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/health`, { headers: this.headers, signal: AbortSignal.timeout(2_000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  private async send(url: string, init: RequestInit): Promise<string> {
    const response = await this.fetchOk(url, init);
    try {
      return await response.text();
    } catch (error) {
      throw new MlflowUnreachableError(this.baseUrl, error);
    }
  }

  /** The response to a request that succeeded (2xx), its body unread; an API error or an unreachable server throws. */
  private async fetchOk(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers: { ...this.headers, ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new MlflowUnreachableError(this.baseUrl, error);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let errorCode: string | undefined;
      let message = text.slice(0, 500) || response.statusText;
      try {
        const parsed = JSON.parse(text) as { error_code?: string; message?: string };
        errorCode = parsed.error_code;
        message = parsed.message ?? message;
      } catch {
        // Not JSON (a proxy's HTML error page): keep the raw text.
      }
      if (response.status === 401 || response.status === 403) {
        // One line: what failed, where, and which credentials; never the credentials themselves, nor the server's HTML.
        const why =
          response.status === 403 && this.credentialSource
            ? `the user of the credentials in ${this.credentialSource} may not do this (${init.method} ${url.replace(this.baseUrl, '').split('?')[0]}); an MLflow admin grants permissions`
            : this.credentialSource
              ? `the server refused the credentials in ${this.credentialSource}`
              : 'the server wants credentials: set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or give http://USER:PASSWORD@HOST:PORT)';
        throw new MlflowAuthError(response.status, errorCode, `authentication failed for MLflow server ${this.displayUrl} (${response.status}${errorCode ? ` ${errorCode}` : ''}): ${why}`);
      }
      throw new MlflowApiError(response.status, errorCode, `MLflow ${init.method} ${url.replace(this.baseUrl, '')}: ${response.status} ${errorCode ?? ''} ${message}`.trim());
    }
    return response;
  }
}

export function toWireValue(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function fromWireValue(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}
