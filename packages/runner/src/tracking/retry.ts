/** Bounded exponential back-off for calls to a tracking server. */
import { MlflowApiError, MlflowUnreachableError } from './errors.ts';

export interface RetryPolicy {
  /** Delays before each retry, in ms; their sum bounds how long training can stall on one call. */
  delaysMs: number[];
}

/** 0.25 + 0.5 + 1 + 2 s: a server restart of a few seconds is ridden out, a dead one costs ~4 s once. */
export const DEFAULT_RETRY: RetryPolicy = { delaysMs: [250, 500, 1_000, 2_000] };

/** Worth trying again: no answer at all, or a 5xx/429. A 4xx is a bug in the request; retrying won't help. */
export function isTransient(error: unknown): boolean {
  return error instanceof MlflowUnreachableError || (error instanceof MlflowApiError && error.retryable);
}

export async function withRetry<T>(operation: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.delaysMs.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, policy.delaysMs[attempt]));
    }
  }
}
