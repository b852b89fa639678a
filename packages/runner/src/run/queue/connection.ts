/**
 * Where the queue is: a redis:// URL, the one queue xp's jobs wait in, and the Redis connections
 * BullMQ's Queue, Worker and QueueEvents each take (their own, since a Worker and QueueEvents block
 * on theirs). Every connection retries without end, so a Redis restart is a pause, not an error; a
 * Redis that cannot be reached at all when a command starts is refused at once instead.
 */
import { Redis } from 'ioredis';
import { redactUrl } from '@xp/core';

/** The BullMQ queue every xp job goes through, and the prefix of its keys and of xp's own beside them. */
export const QUEUE_NAME = 'xp-jobs';
export const QUEUE_PREFIX = 'xp';

/** A --queue URL that is not one, or a Redis that does not answer. */
export class QueueConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueConnectionError';
  }
}

/** The URL, checked: redis://[user:password@]host:port[/db], or rediss:// for TLS. */
export function checkQueueUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueConnectionError(`--queue ${JSON.stringify(redactUrl(url))} is not a URL: give redis://HOST:PORT`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new QueueConnectionError(`--queue ${JSON.stringify(redactUrl(url))} is not a Redis URL: give redis://HOST:PORT (rediss:// for TLS)`);
  }
  return url;
}

/** A connection for BullMQ: commands wait through an outage (BullMQ's requirement for workers) and it reconnects for ever. */
export function queueConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    // Back off to one attempt every two seconds: a restarted Redis is found again within that.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
}

/** What Redis answers to a missing or wrong password (NOAUTH; WRONGPASS from Redis 6, ERR invalid password before). */
const AUTH_REFUSED = /NOAUTH|WRONGPASS|invalid password|invalid username-password|AUTH.*without any password configured/i;

/**
 * Refuses a Redis that does not answer within `timeoutMs`, or refuses the URL's password, with what to
 * do about it; the URL is shown with its password as *** (#26.4).
 */
export async function assertQueueReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const probe = new Redis(checkQueueUrl(url), { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, lazyConnect: true });
  // A refused AUTH arrives as an 'error' event; connect() then fails only with "Connection is closed".
  let refused: Error | undefined;
  probe.on('error', (error: Error) => {
    if (AUTH_REFUSED.test(error.message)) refused ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const reason = refused ?? (AUTH_REFUSED.test((error as Error).message) ? (error as Error) : undefined);
    if (reason) {
      const hasPassword = new URL(url).password !== '';
      throw new QueueConnectionError(
        `authentication failed for Redis at ${redactUrl(url)} (${reason.message.split('\n')[0].replace(/\.$/, '')}): ` +
          (hasPassword ? "fix the password in --queue redis://:PASSWORD@HOST:PORT (or user and password: redis://USER:PASSWORD@…)" : 'this Redis wants a password: give --queue redis://:PASSWORD@HOST:PORT'),
      );
    }
    throw new QueueConnectionError(`cannot reach Redis at ${redactUrl(url)} (${(error as Error).message}): start it (redis-server --port PORT --appendonly yes) or fix --queue`);
  } finally {
    probe.disconnect();
  }
}

/** What a lost or refused connection says (ioredis and BullMQ pass the socket's error on). */
const CONNECTION_TROUBLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|Connection is closed/i;

/**
 * Tells the user once when `redis` loses Redis and once when it has it again, instead of a stack per
 * retry; `alsoFrom` are the BullMQ objects on that connection, whose 'error' events (which an
 * EventEmitter without a listener would throw) go through the same gate.
 */
export function reportOutages(redis: Redis, what: string, log: (line: string) => void, alsoFrom: Array<{ on(event: 'error', listener: (error: Error) => void): unknown }> = []): void {
  let down = false;
  const lost = (error: Error): void => {
    // Not an outage (a lock that could not be renewed, a script error): said as it is, each time.
    if (!CONNECTION_TROUBLE.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`)) return log(`${what}: ${error.message}`);
    if (down) return;
    down = true;
    log(`${what}: lost Redis (${error.message}); reconnecting`);
  };
  redis.on('error', lost);
  for (const emitter of alsoFrom) emitter.on('error', lost);
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log(`${what}: Redis is back`);
  });
}

/**
 * What `call` answers within `ms`, else `fallback`. For the calls that nothing else retries (an idle
 * worker's look at the queue, a follower's poll, a shutdown): a reply lost in a reconnect must cost
 * one look, not hold the loop that made it for ever.
 */
export async function answerWithin<T, F>(call: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}
