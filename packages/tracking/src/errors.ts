/** Typed failures of the tracking layer, so callers can tell a bad key from an unreachable server. */

export class TrackingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrackingError';
  }
}

/** A param/metric/tag key MLflow would refuse (bad characters, or a path that escapes its folder). */
export class InvalidKeyError extends TrackingError {
  constructor(readonly key: string, what: string) {
    super(`invalid ${what} key ${JSON.stringify(key)}: use letters, digits, '_', '-', '.', ' ', ':', '/' and no '..'`);
    this.name = 'InvalidKeyError';
  }
}

/** MLflow params are write-once; logging another value under the same key is refused, as MLflow does. */
export class ParamConflictError extends TrackingError {
  constructor(readonly key: string, readonly existing: string, readonly attempted: string) {
    super(`param ${JSON.stringify(key)} already logged as ${JSON.stringify(existing)}; cannot change it to ${JSON.stringify(attempted)}`);
    this.name = 'ParamConflictError';
  }
}

/** A file meant for a server that keeps no artifacts of its own (started without --serve-artifacts). */
export class NoArtifactProxyError extends TrackingError {
  constructor(readonly url: string, readonly localPath: string) {
    super(`${url} does not proxy artifacts; start it with --serve-artifacts to upload ${localPath}`);
    this.name = 'NoArtifactProxyError';
  }
}

/** The server answered with an error (4xx/5xx). `retryable` is true for 5xx and 429. */
export class MlflowApiError extends TrackingError {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'MlflowApiError';
  }

  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/**
 * The server refused the request's credentials (401), or the user they name (403). Not retried and
 * not spooled: the same credentials fail the same way later, so the command stops at once and says so.
 */
export class MlflowAuthError extends MlflowApiError {
  constructor(status: number, errorCode: string | undefined, message: string) {
    super(status, errorCode, message);
    this.name = 'MlflowAuthError';
  }
}

/** No answer at all: connection refused, reset, DNS failure or timeout. Always worth a retry. */
export class MlflowUnreachableError extends TrackingError {
  constructor(readonly url: string, cause: unknown) {
    super(`MLflow server unreachable at ${url}: ${describeCause(cause)}`, { cause });
    this.name = 'MlflowUnreachableError';
  }
}

/** fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause as { code?: string; message?: string } | undefined;
  const detail = inner?.code ?? inner?.message;
  return detail && !cause.message.includes(detail) ? `${cause.message} (${detail})` : cause.message;
}

export class UnknownExperimentError extends TrackingError {
  constructor(readonly experiment: string, readonly existing: string[]) {
    super(
      `no experiment named ${JSON.stringify(experiment)} in the tracking store; ` +
        (existing.length ? `experiments: ${existing.join(', ')}` : 'the store has no experiments yet'),
    );
    this.name = 'UnknownExperimentError';
  }
}
