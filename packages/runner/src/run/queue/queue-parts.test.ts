import { describe, expect, it } from 'vitest';
import type { Job } from '../job.ts';
import { jobContentHash } from '../job-hash.ts';
import { queueOverheads } from '../launchers/queue.ts';
import { answerWithin, checkQueueUrl, QueueConnectionError } from './connection.ts';
import { describeReport, FollowView } from './follow-view.ts';
import { queueJobId } from './queued-job.ts';
import { sweepIdOf } from './sweep-record.ts';

const job = (experimentId: string, lr: number): Pick<Job, 'spec' | 'name' | 'variant' | 'experimentId'> => ({
  spec: { name: 'toy', kind: 'toy-mlp', seed: 1, train: { lr } } as unknown as Job['spec'],
  name: `lr=${lr}`,
  variant: `lr=${lr}`,
  experimentId,
});

describe('queue job ids', () => {
  it("are the job's content hash in its experiment, usable as BullMQ ids", () => {
    const id = queueJobId(job('12', 0.5));
    expect(id).toBe(`e12-${jobContentHash(job('12', 0.5)).slice(0, 40)}`);
    expect(id).not.toMatch(/:/);
    expect(queueJobId(job('12', 0.5))).toBe(id);
    expect(queueJobId(job('13', 0.5))).not.toBe(id);
    expect(queueJobId(job('pending:toy', 0.5))).toMatch(/^epending_toy-[0-9a-f]{40}$/);
  });

  it('tell a job whose files changed (another inputsKey) from the one queued before, as the worker\'s cache lookup does', () => {
    const edited = { ...job('12', 0.5), inputsKey: 'a'.repeat(64) };
    expect(queueJobId(edited)).not.toBe(queueJobId(job('12', 0.5)));
    expect(queueJobId(edited)).not.toBe(queueJobId({ ...edited, inputsKey: 'b'.repeat(64) }));
    expect(queueJobId(edited)).toBe(`e12-${jobContentHash(edited).slice(0, 40)}`);
  });

  it('name a sweep by its jobs', () => {
    expect(sweepIdOf(['a', 'b'])).toBe(sweepIdOf(['a', 'b']));
    expect(sweepIdOf(['a', 'b'])).not.toBe(sweepIdOf(['a', 'c']));
    expect(sweepIdOf(['a'])).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('--queue URLs', () => {
  it('takes redis:// and rediss://, and refuses anything else with what to give', () => {
    expect(checkQueueUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(checkQueueUrl('rediss://user:pw@host:6380/2')).toBe('rediss://user:pw@host:6380/2');
    expect(() => checkQueueUrl('http://host:6379')).toThrow(QueueConnectionError);
    expect(() => checkQueueUrl('localhost:6379')).toThrow(/redis:\/\/HOST:PORT/);
    // The refusal quotes the URL with its password as *** (#26.4).
    expect(() => checkQueueUrl('http://:s3cret@host:6379')).toThrow('--queue "http://***@host:6379" is not a Redis URL');
  });
});

describe('queue overhead per job', () => {
  it('counts from when a worker was free for the job, not from when it was enqueued', () => {
    const overheads = queueOverheads([
      { job: 'a', worker: 'w1', enqueuedAt: 0, startedAt: 100, finishedAt: 5000, seenAt: 5020 },
      { job: 'b', worker: 'w2', enqueuedAt: 0, startedAt: 120, finishedAt: 6000, seenAt: 6010 },
      // Waited for w1 to finish a: its pickup is 5050 - 5000.
      { job: 'c', worker: 'w1', enqueuedAt: 0, startedAt: 5050, finishedAt: 9000, seenAt: 9100 },
    ]);
    expect(overheads).toEqual([
      { job: 'a', toStartMs: 100, pickupMs: 100, toSeenMs: 20 },
      { job: 'b', toStartMs: 120, pickupMs: 120, toSeenMs: 10 },
      { job: 'c', toStartMs: 5050, pickupMs: 50, toSeenMs: 100 },
    ]);
  });
});

describe('the follow view', () => {
  it("shows a CNN's epoch and accuracy, the toy's step and loss, never the bookkeeping points", () => {
    expect(describeReport(3, { train_loss: 0.1, test_accuracy: 0.98912 })).toBe('epoch 3 · test_accuracy 98.91%');
    expect(describeReport(120, { params: 8, E: 0.0021345 })).toBe('step 120 · E 0.002135');
    expect(describeReport(0, { params: 8 })).toBe('step 0');
  });

  it('writes a line per change of state, with the counts, where it cannot redraw', () => {
    const lines: string[] = [];
    const view = new FollowView((text) => lines.push(text), false, ['a', 'b']);
    view.setState('a', 'running');
    view.report('a', 1, { test_accuracy: 0.5 });
    view.report('a', 2, { test_accuracy: 0.6 });
    view.setState('a', 'done', 'passed');
    expect(lines).toEqual([
      '[queue] a: running · waiting 1 · running 1 · done 0 · failed 0\n',
      '[queue] a: epoch 1 · test_accuracy 50.00%\n',
      '[queue] a: done (passed) · waiting 1 · running 0 · done 1 · failed 0\n',
    ]);
  });
});

describe('answerWithin', () => {
  it('passes an answer on, and a failure, as they come', async () => {
    expect(await answerWithin(Promise.resolve(3), 1_000, 'late')).toBe(3);
    await expect(answerWithin(Promise.reject(new Error('refused')), 1_000, 'late')).rejects.toThrow('refused');
  });

  it('gives the fallback for a call that never answers, and a failure after it goes unreported', async () => {
    let fail: (error: Error) => void = () => undefined;
    const never = new Promise<number>((_, reject) => (fail = reject));
    const started = Date.now();
    expect(await answerWithin(never, 50, 'late')).toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    fail(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
