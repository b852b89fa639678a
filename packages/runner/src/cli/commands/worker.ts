/**
 * `xp worker --queue URL`: takes jobs from the queue `xp run --queue` fills and runs them
 * (../../run/queue/worker.ts). `--concurrency N` starts N worker processes, each running one job at a
 * time, and passes SIGINT/SIGTERM on to them.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { UsageError, type CliContext } from '../context.ts';
import { positiveInt } from '../options.ts';

const XP_BIN = fileURLToPath(new URL('../../../bin/xp.js', import.meta.url));

interface WorkerOptions {
  queue: string;
  concurrency: number;
  exitWhenIdle?: boolean;
  trackingUri?: string;
  lockSeconds: number;
  cores?: number;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description(
      'Take jobs from the queue that `xp run --queue` fills and run them, logging to the MLflow server the jobs name (or --tracking-uri). ' +
        'On SIGINT or SIGTERM the running job finishes its batch, saves its checkpoint and goes back to the queue for another worker.',
    )
    .requiredOption('--queue <redis-url>', 'the queue: redis://HOST:PORT')
    .option('--concurrency <n>', 'jobs at once on this machine, each in its own worker process (the cores are divided between them)', positiveInt, 1)
    .option('--exit-when-idle', 'leave once the queue has no job waiting, retrying or running')
    .option('--tracking-uri <uri>', "the MLflow server as this machine reaches it (default: $MLFLOW_TRACKING_URI, else the URI the job was enqueued with)")
    .option('--lock-seconds <n>', "a job whose worker stops answering (killed, its machine gone) goes to another worker after this long", positiveInt, 30)
    .option('--cores <n>', 'cores each job may keep busy (default: the machine\'s, divided by --concurrency)', positiveInt)
    .addHelpText('after', '\nExit codes: 0 the worker left an empty queue (--exit-when-idle); 130 interrupted (its job went back to the queue); 2 usage (a queue that does not answer).')
    .action(async (options: WorkerOptions) => {
      // BullMQ and its Redis client load when a worker starts, not with every xp command.
      const [{ assertQueueReachable, checkQueueUrl, QueueConnectionError }, { runQueueWorker }] = await Promise.all([
        import('../../run/queue/connection.ts'), import('../../run/queue/worker.ts'),
      ]);
      try {
        await assertQueueReachable(checkQueueUrl(options.queue));
      } catch (error) {
        if (error instanceof QueueConnectionError) throw new UsageError(error.message);
        throw error;
      }
      const cores = options.cores ?? Math.max(1, Math.floor(availableParallelism() / options.concurrency));
      if (options.concurrency > 1) return superviseWorkers(ctx, options, cores);

      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        ctx.stderr(`\n${signal}: finishing the current batch, saving and handing the job back to the queue (again to quit at once)…\n`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const summary = await runQueueWorker({
          url: options.queue,
          trackingUri: options.trackingUri,
          cwd: ctx.cwd,
          env: ctx.env,
          log: (line) => ctx.stderr(`${line}\n`),
          exitWhenIdle: options.exitWhenIdle === true,
          lockSeconds: options.lockSeconds,
          cores,
          signal: controller.signal,
        });
        ctx.stderr(`worker done: ${summary.ran} job(s) run, ${summary.cached} cached, ${summary.handedBack} handed back\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (controller.signal.aborted) ctx.exit(130);
    });
}

/**
 * `--concurrency N`: N single-job workers in child processes, their lines prefixed. They run in their
 * own process group, so a terminal's Ctrl-C reaches each once, passed on from here.
 */
async function superviseWorkers(ctx: CliContext, options: WorkerOptions, cores: number): Promise<void> {
  const args = ['worker', '--queue', options.queue, '--concurrency', '1', '--lock-seconds', String(options.lockSeconds), '--cores', String(cores)];
  if (options.exitWhenIdle) args.push('--exit-when-idle');
  if (options.trackingUri) args.push('--tracking-uri', options.trackingUri);
  const children = Array.from({ length: options.concurrency }, (_, index) => {
    const child = spawn(process.execPath, [XP_BIN, ...args], { cwd: ctx.cwd, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => ctx.stderr(`[worker ${index + 1}] ${line}\n`));
    const exited = new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 130)));
      child.on('error', () => resolve(1));
    });
    return { child, exited };
  });
  let signals = 0;
  const forward = (signal: NodeJS.Signals): void => {
    signals += 1;
    ctx.stderr(`\n${signal}: each worker finishes its batch, saves and hands its job back${signals > 1 ? ' (quitting at once)' : ''}…\n`);
    for (const { child } of children) if (child.exitCode === null) child.kill(signals > 1 ? 'SIGKILL' : signal);
  };
  const killAll = (): void => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  process.on('exit', killAll);
  try {
    const codes = await Promise.all(children.map(({ exited }) => exited));
    ctx.exit(Math.max(...codes));
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    process.off('exit', killAll);
  }
}
