/**
 * The processes launcher (`xp run --jobs N`): each job in its own child process, at most N at a time.
 * One wasm instance trains on one core, so separate processes are what turns cores into throughput.
 * A child receives its Job over Node's IPC channel and sends back structured messages (log lines,
 * reports, its result); its stdout and stderr are only shown to the user, never parsed, so a stray
 * print cannot break a sweep. The tracking store is shared: both stores take concurrent writers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Launcher, LaunchHooks, LauncherOptions } from '../launcher.ts';
import type { Job, JobResult } from '../job.ts';
import type { ChildMessage, ParentMessage } from './job-child-protocol.ts';

const CHILD_BOOT = new URL('./job-child-boot.mjs', import.meta.url);
/** How much of a crashed child's output its error message keeps. */
const CRASH_LINES = 20;

export function processesLauncher(options: Pick<LauncherOptions, 'jobs' | 'cwd' | 'env'>): Launcher {
  return {
    async launch(jobs, hooks, signal) {
      const results: Array<JobResult | undefined> = new Array(jobs.length);
      const running = new Set<ChildProcess>();
      const interrupt = (): void => {
        for (const child of running) send(child, { type: 'interrupt' });
      };
      // Children run in their own process group, so a terminal's Ctrl-C reaches them once, through
      // us. In return they must not outlive us.
      const onExit = (): void => {
        for (const child of running) child.kill('SIGKILL');
      };
      const onTerminate = (name: NodeJS.Signals): void => {
        onExit();
        process.exit(name === 'SIGHUP' ? 129 : 143);
      };
      signal.addEventListener('abort', interrupt);
      process.on('exit', onExit);
      process.on('SIGTERM', onTerminate);
      process.on('SIGHUP', onTerminate);
      let next = 0;
      const slot = async (): Promise<void> => {
        while (next < jobs.length && !signal.aborted) {
          const index = next++;
          results[index] = await runChild(jobs[index], options, hooks, running);
          hooks.onResult(results[index]);
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(Math.max(1, options.jobs), jobs.length) }, slot));
      } finally {
        signal.removeEventListener('abort', interrupt);
        process.off('exit', onExit);
        process.off('SIGTERM', onTerminate);
        process.off('SIGHUP', onTerminate);
      }
      return results;
    },
  };
}

function send(child: ChildProcess, message: ParentMessage): void {
  if (child.connected) child.send(message);
}

function runChild(job: Job, options: Pick<LauncherOptions, 'cwd' | 'env'>, hooks: LaunchHooks, running: Set<ChildProcess>): Promise<JobResult> {
  const child = fork(CHILD_BOOT, [], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, serialization: 'advanced' });
  running.add(child);
  const lastLines: string[] = [];
  const show = (line: string): void => {
    hooks.log(`[${job.name}] ${line}`);
    lastLines.push(line);
    if (lastLines.length > CRASH_LINES) lastLines.shift();
  };
  createInterface({ input: child.stdout! }).on('line', show);
  createInterface({ input: child.stderr! }).on('line', show);
  let result: JobResult | undefined;
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'ready') send(child, { type: 'job', job });
    else if (message.type === 'log') show(message.line);
    else if (message.type === 'report') {
      if (hooks.onReport(job.name, message.step, message.metrics) === 'stop') send(child, { type: 'interrupt', reason: 'pruned' });
    } else if (message.type === 'result') result = message.result;
  });
  return new Promise((resolve) => {
    const crashed = (how: string): JobResult => ({
      name: job.name,
      variant: job.variant,
      seed: job.seed,
      runId: '',
      status: 'error',
      params: {},
      metrics: {},
      artifacts: {},
      // The first line is what the summary shows: the cause, then the child's last words.
      message: [`its process ${how} without a result`, lastLines.filter((line) => line.trim() !== '').join('\n')].filter(Boolean).join(': '),
    });
    child.on('error', (error) => {
      running.delete(child);
      resolve(result ?? crashed(`failed (${error.message})`));
    });
    child.on('exit', (code, signalName) => {
      running.delete(child);
      resolve(result ?? crashed(signalName ? `was killed by ${signalName}` : `exited with code ${code}`));
    });
  });
}
