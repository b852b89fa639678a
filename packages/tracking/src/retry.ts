/**
 * Bounded exponential back-off for calls to a tracking server: p-retry, told which failures are worth
 * another try (no answer, 5xx, 429) and which are not (any other 4xx: a bug in the request).
 */
import pRetry, { type Options as PRetryOptions } from 'p-retry';
import { MlflowApiError, MlflowUnreachableError } from './errors.ts';

/** How often and how long to retry one call: delays are minTimeout · factor^(n-1), at most `retries` of them. */
export type RetryPolicy = Pick<PRetryOptions, 'retries' | 'minTimeout' | 'factor' | 'maxTimeout'>;

/** 0.25 + 0.5 + 1 + 2 s: a server restart of a few seconds is ridden out, a dead one costs ~4 s once. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 4, minTimeout: 250, factor: 2 };

/** Worth trying again: no answer at all, or a 5xx/429. A 4xx is a bug in the request; retrying won't help. */
export function isTransient(error: unknown): boolean {
  return error instanceof MlflowUnreachableError || (error instanceof MlflowApiError && error.retryable);
}

export function withRetry<T>(operation: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  return pRetry(() => operation(), {
    factor: 2,
    maxTimeout: 30_000,
    ...policy,
    // Exact delays, so the policy's sum bounds how long training can stall on one call.
    randomize: false,
    shouldRetry: ({ error }) => isTransient(error),
  });
}
