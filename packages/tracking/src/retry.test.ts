/** withRetry (p-retry underneath): transient failures retried on the policy's schedule, others not at all. */
import { describe, expect, it } from 'vitest';
import { MlflowApiError, MlflowUnreachableError } from './errors.ts';
import { DEFAULT_RETRY, withRetry } from './retry.ts';

describe('withRetry', () => {
  it('retries an unreachable server and 5xx/429 answers, then gives the last error', async () => {
    let attempts = 0;
    const started = Date.now();
    const error = await withRetry(
      async () => {
        attempts++;
        throw attempts % 2 ? new MlflowUnreachableError('http://x', new Error('refused')) : new MlflowApiError(503, undefined, 'busy');
      },
      { retries: 3, minTimeout: 20, factor: 2 },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(4);
    expect(error).toBeInstanceOf(MlflowApiError); // the 4th attempt's
    // 20 + 40 + 80 ms of back-off, no random jitter.
    expect(Date.now() - started).toBeGreaterThanOrEqual(135);
  });

  it('returns once an attempt succeeds', async () => {
    let attempts = 0;
    const value = await withRetry(async () => {
      if (++attempts < 3) throw new MlflowApiError(429, 'RESOURCE_EXHAUSTED', 'slow down');
      return 'ok';
    }, { retries: 4, minTimeout: 1 });
    expect([value, attempts]).toEqual(['ok', 3]);
  });

  it('does not retry a 4xx or an error of ours', async () => {
    for (const thrown of [new MlflowApiError(400, 'INVALID_PARAMETER_VALUE', 'bad'), new TypeError('bug')]) {
      let attempts = 0;
      await expect(
        withRetry(async () => {
          attempts++;
          throw thrown;
        }, { retries: 3, minTimeout: 1 }),
      ).rejects.toBe(thrown);
      expect(attempts).toBe(1);
    }
  });

  it('by default waits 0.25 + 0.5 + 1 + 2 s at most on one call', () => {
    expect(DEFAULT_RETRY).toEqual({ retries: 4, minTimeout: 250, factor: 2 });
  });
});
