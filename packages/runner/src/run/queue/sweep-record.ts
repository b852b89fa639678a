/**
 * A sweep as the queue knows it: which of the queue's jobs are its own, under an id `xp run --queue`
 * prints and `xp status` takes. The id is a hash of the sweep's first jobs, so enqueueing the same
 * sweep again names the same sweep. Kept in Redis beside BullMQ's keys, for as long as the jobs are.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { QUEUE_NAME, QUEUE_PREFIX } from './connection.ts';

export interface SweepRecord {
  id: string;
  experiment: string;
  /** The spec file it came from, as the enqueuing machine saw it. */
  specFile: string;
  /** Milliseconds since the epoch, when it was first enqueued. */
  createdAt: number;
  /** The sweep's jobs in order: BullMQ job id and run name. */
  jobs: Array<{ jobId: string; name: string }>;
}

const KEEP_SECONDS = 7 * 24 * 3600;
const sweepKey = (id: string): string => `${QUEUE_PREFIX}:${QUEUE_NAME}:xp-sweep:${id}`;
const SWEEPS_KEY = `${QUEUE_PREFIX}:${QUEUE_NAME}:xp-sweeps`;

export function sweepIdOf(jobIds: readonly string[]): string {
  return createHash('sha256').update(jobIds.join('\n')).digest('hex').slice(0, 12);
}

/** Records the sweep, or adds jobs to it (a sweeper that proposes in rounds); returns it as it now stands. */
export async function recordSweep(redis: Redis, sweep: Omit<SweepRecord, 'createdAt'>): Promise<SweepRecord> {
  const existing = await readSweep(redis, sweep.id);
  const known = new Set(existing?.jobs.map((job) => job.jobId));
  const record: SweepRecord = {
    ...sweep,
    createdAt: existing?.createdAt ?? Date.now(),
    jobs: [...(existing?.jobs ?? []), ...sweep.jobs.filter((job) => !known.has(job.jobId))],
  };
  await redis
    .multi()
    .set(sweepKey(sweep.id), JSON.stringify(record), 'EX', KEEP_SECONDS)
    .zadd(SWEEPS_KEY, record.createdAt, sweep.id)
    .exec();
  return record;
}

export async function readSweep(redis: Redis, id: string): Promise<SweepRecord | null> {
  const text = await redis.get(sweepKey(id));
  return text === null ? null : (JSON.parse(text) as SweepRecord);
}

/** Every sweep still recorded, newest first (ids whose record expired are dropped from the index). */
export async function listSweeps(redis: Redis): Promise<SweepRecord[]> {
  const ids = await redis.zrevrange(SWEEPS_KEY, 0, -1);
  const sweeps: SweepRecord[] = [];
  for (const id of ids) {
    const sweep = await readSweep(redis, id);
    if (sweep) sweeps.push(sweep);
    else await redis.zrem(SWEEPS_KEY, id);
  }
  return sweeps;
}

/** The sweep whose id is `idOrPrefix` or starts with it (as git takes commits). */
export async function findSweep(redis: Redis, idOrPrefix: string): Promise<SweepRecord | null | 'ambiguous'> {
  const exact = await readSweep(redis, idOrPrefix);
  if (exact) return exact;
  const matches = (await listSweeps(redis)).filter((sweep) => sweep.id.startsWith(idOrPrefix));
  if (matches.length > 1) return 'ambiguous';
  return matches[0] ?? null;
}
