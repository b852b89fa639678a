/**
 * `xp status --queue URL [SWEEP]`: where queued sweeps stand. Without a sweep id, every sweep the queue
 * still knows, newest first, with its counts; with one (or a unique prefix of one), each of its jobs:
 * state, attempts, run id, the last report of a running job, and how an ended one ended.
 */
import { redactUrl } from '@xp/core';
import type { Command } from 'commander';
import type { JobResult } from '../../run/job.ts';
import { describeReport } from '../../run/queue/follow-view.ts';
import type { QueuedJobData } from '../../run/queue/queued-job.ts';
import type { SweepStatus } from '../../run/queue/sweep-status.ts';
import { UsageError, type CliContext } from '../context.ts';
import { formatNumber } from './run.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show where queued sweeps stand: every sweep the queue knows, or one sweep job by job.')
    .argument('[sweep]', 'a sweep id as `xp run --queue` printed it, or a unique prefix of one')
    .requiredOption('--queue <redis-url>', 'the queue: redis://HOST:PORT')
    .option('--json', 'print the status as JSON on stdout')
    .addHelpText('after', '\nExit codes: 0 shown; 1 a job of the sweep failed; 2 usage (no such sweep, a queue that does not answer).')
    .action(async (sweepId: string | undefined, options: { queue: string; json?: boolean }) => {
      // BullMQ and its Redis client load when this command runs, not with every xp command.
      const [{ Queue }, { assertQueueReachable, checkQueueUrl, QUEUE_NAME, QUEUE_PREFIX, queueConnection, QueueConnectionError }, { findSweep, listSweeps }, { readSweepStatus }] = await Promise.all([
        import('bullmq'), import('../../run/queue/connection.ts'), import('../../run/queue/sweep-record.ts'), import('../../run/queue/sweep-status.ts'),
      ]);
      try {
        await assertQueueReachable(checkQueueUrl(options.queue));
      } catch (error) {
        if (error instanceof QueueConnectionError) throw new UsageError(error.message);
        throw error;
      }
      const redis = queueConnection(options.queue);
      const queue = new Queue<QueuedJobData, JobResult>(QUEUE_NAME, { connection: redis, prefix: QUEUE_PREFIX });
      try {
        if (sweepId === undefined) {
          const statuses: SweepStatus[] = [];
          for (const sweep of await listSweeps(redis)) statuses.push(await readSweepStatus(queue, sweep));
          if (options.json) return ctx.stdout(`${JSON.stringify({ queue: redactUrl(options.queue), sweeps: statuses.map(({ sweep, counts }) => ({ ...sweep, counts })) })}\n`);
          if (statuses.length === 0) return ctx.stdout(`no sweeps in ${redactUrl(options.queue)}\n`);
          for (const { sweep, counts } of statuses) ctx.stdout(`${sweep.id}  ${sweep.experiment}  ${new Date(sweep.createdAt).toISOString()}  ${countsText(counts)}\n`);
          return;
        }
        const found = await findSweep(redis, sweepId);
        if (found === 'ambiguous') throw new UsageError(`sweep id prefix ${JSON.stringify(sweepId)} is ambiguous: give more characters (xp status --queue ${redactUrl(options.queue)} lists them)`);
        if (found === null) throw new UsageError(`no sweep ${JSON.stringify(sweepId)} in ${redactUrl(options.queue)} (xp status --queue ${redactUrl(options.queue)} lists those it knows)`);
        const status = await readSweepStatus(queue, found);
        if (status.counts.failed > 0) ctx.exit(1);
        if (options.json) return ctx.stdout(`${JSON.stringify(status)}\n`);
        printSweep(ctx, status);
      } finally {
        await queue.close();
        redis.disconnect();
      }
    });
}

function countsText(counts: SweepStatus['counts']): string {
  return Object.entries(counts)
    .filter(([state, count]) => count > 0 || state !== 'gone')
    .map(([state, count]) => `${state} ${count}`)
    .join(' · ');
}

function printSweep(ctx: CliContext, { sweep, counts, jobs }: SweepStatus): void {
  ctx.stdout(`sweep ${sweep.id}: ${sweep.experiment} (${sweep.specFile}), enqueued ${new Date(sweep.createdAt).toISOString()}\n`);
  ctx.stdout(`  ${countsText(counts)}\n`);
  const width = Math.max(...jobs.map((job) => job.name.length), 4);
  for (const job of jobs) {
    const state = job.state === 'done' && job.result ? (job.result.cached ? 'cached' : job.result.status) : job.state;
    let detail = '';
    if (job.report) detail = describeReport(job.report.step, job.report.metrics);
    else if (job.result) {
      detail = Object.entries(job.result.metrics)
        .slice(0, 4)
        .map(([key, value]) => `${key}=${formatNumber(value)}`)
        .join(' ');
    } else if (job.failedReason) detail = job.failedReason.split('\n')[0];
    const attempts = job.attempts > 1 ? ` (attempt ${job.attempts})` : '';
    ctx.stdout(`  ${state.toUpperCase().padEnd(8)} ${job.name.padEnd(width)}  ${(job.runId ?? '').slice(0, 8).padEnd(8)}  ${detail}${attempts}\n`);
  }
}
