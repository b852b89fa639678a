/**
 * The worker's side of the process it trains jobs in (./job-process.ts): started once and kept warm
 * from one job to the next (starting Node, tsx and TensorFlow.js costs seconds per job otherwise),
 * started again after one dies. One job at a time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { JobResult } from '../job.ts';
import type { FromJobProcess, JobStart, ToJobProcess } from './job-process-protocol.ts';

const BOOT = new URL('./job-process-boot.mjs', import.meta.url);
/** How much of a crashed job process's output its error keeps. */
const CRASH_LINES = 20;

/** What the worker does with what the job's process says while it runs a job. */
export interface JobProcessHandlers {
  log(line: string): void;
  /** The job's first attempt created this run; resolve once it is recorded (training waits for it). */
  created(runId: string): Promise<void>;
  report(step: number, metrics: Record<string, number>): void;
}

export type JobProcessEnd = { result: JobResult; crash?: undefined } | { result?: undefined; crash: string };

interface Current {
  handlers: JobProcessHandlers;
  lastLines: string[];
  end(ended: JobProcessEnd): void;
  result?: JobResult;
}

export class JobProcessHost {
  private child: ChildProcess | null = null;
  private ready: Promise<ChildProcess> | null = null;
  private current: Current | null = null;

  constructor(
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts the process now, so that the first job does not wait for it. */
  warm(): void {
    void this.start().catch(() => undefined);
  }

  /** Resolves once the process is up and has loaded what a job needs (true), or could not start (false). */
  whenReady(): Promise<boolean> {
    return this.start().then(
      () => true,
      () => false,
    );
  }

  /** Runs one job; `signal` aborted asks the job to hand itself back (finish the batch, save, end). */
  async run(start: JobStart, handlers: JobProcessHandlers, signal: AbortSignal): Promise<JobProcessEnd> {
    try {
      await this.start();
    } catch (error) {
      return { crash: `its process did not start (${(error as Error).message})` };
    }
    return new Promise<JobProcessEnd>((resolve) => {
      const onAbort = (): void => this.send({ type: 'interrupt', reason: 'handback' });
      this.current = {
        handlers,
        lastLines: [],
        end: (ended) => {
          signal.removeEventListener('abort', onAbort);
          this.current = null;
          resolve(ended);
        },
      };
      signal.addEventListener('abort', onAbort);
      this.send({ type: 'start', start });
      if (signal.aborted) onAbort();
    });
  }

  /** The follower's scheduler said stop: the job ends as pruned. */
  prune(): void {
    this.send({ type: 'interrupt', reason: 'pruned' });
  }

  /** Ends the process (the worker is leaving); a job still running there is lost with it. */
  stop(how: 'disconnect' | 'kill' = 'disconnect'): void {
    const child = this.child;
    if (!child) return;
    if (how === 'kill') child.kill('SIGKILL');
    else if (child.connected) child.disconnect();
  }

  private send(message: ToJobProcess): void {
    if (this.child?.connected) this.child.send(message);
  }

  private start(): Promise<ChildProcess> {
    if (this.ready) return this.ready;
    // Its own process group: a terminal's Ctrl-C reaches the worker, which hands the job back through IPC.
    const child = fork(BOOT, [], { cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, serialization: 'advanced' });
    this.child = child;
    const show = (line: string): void => {
      const current = this.current;
      if (!current) return;
      current.handlers.log(line);
      current.lastLines.push(line);
      if (current.lastLines.length > CRASH_LINES) current.lastLines.shift();
    };
    createInterface({ input: child.stdout! }).on('line', show);
    createInterface({ input: child.stderr! }).on('line', show);
    this.ready = new Promise<ChildProcess>((resolve, reject) => {
      child.on('message', (message: FromJobProcess) => {
        const current = this.current;
        switch (message.type) {
          case 'ready':
            return resolve(child);
          case 'log':
            return show(message.line);
          case 'created':
            current?.handlers.created(message.runId).then(
              () => this.send({ type: 'created-recorded' }),
              (error: Error) => {
                show(`could not record run ${message.runId} in the queue (${error.message}); stopping`);
                child.kill('SIGKILL');
              },
            );
            return;
          case 'report':
            return current?.handlers.report(message.step, message.metrics);
          case 'result':
            return current?.end({ result: message.result });
        }
      });
      const ended = (how: string): void => {
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
        reject(new Error(how));
        const current = this.current;
        if (!current) return;
        current.end({ crash: [`its process ${how} without a result`, current.lastLines.filter((line) => line.trim() !== '').join('\n')].filter(Boolean).join(': ') });
      };
      child.on('error', (error) => ended(`failed (${error.message})`));
      child.on('exit', (code, signalName) => ended(signalName ? `was killed by ${signalName}` : `exited with code ${code}`));
    });
    return this.ready;
  }
}
