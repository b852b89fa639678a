/**
 * Runs the command kind's program once: stdout read line by line (metric lines to `onMetrics`, the
 * rest to the terminal), stderr streamed, both saved whole to files; a stop (`signal`) sends SIGTERM,
 * then SIGKILL after `stopGraceMs` if the program is still there.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readStdoutLine } from './metric-lines.ts';

export interface ProgramRun {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
  stopGraceMs: number;
  signal: AbortSignal;
  /** A program output line, for the terminal. */
  output: (line: string) => void;
  /** A malformed metric line: once each. */
  warn: (line: string) => void;
  /** A metric line; `step` as written, or undefined for the caller to number. */
  onMetrics: (step: number | undefined, metrics: Record<string, number>) => void;
}

export interface ProgramExit {
  /** null when the program was ended by a signal (then `signalName`). */
  code: number | null;
  signalName: NodeJS.Signals | null;
  /** Set when spawning failed (no such program, no such cwd). */
  spawnError?: string;
  /** The stop came and the program was still running after the grace: it was SIGKILLed. */
  killedAfterGrace: boolean;
  malformedLines: number;
  /** The last lines of stderr, for a failed run's message. */
  stderrTail: string[];
}

const STDERR_TAIL_LINES = 20;

export function runProgram(options: ProgramRun): Promise<ProgramExit> {
  const [program, ...args] = options.argv;
  return new Promise((resolve) => {
    const stdoutLog = createWriteStream(options.stdoutFile);
    const stderrLog = createWriteStream(options.stderrFile);
    const stderrTail: string[] = [];
    let malformedLines = 0;
    let killedAfterGrace = false;
    let spawnError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        killedAfterGrace = true;
        child.kill('SIGKILL');
      }, options.stopGraceMs);
    };
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });

    child.stdout.pipe(stdoutLog);
    child.stderr.pipe(stderrLog);
    const stdoutLines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    stdoutLines.on('line', (text) => {
      const line = readStdoutLine(text);
      if (line.type === 'output') options.output(text);
      else if (line.type === 'metrics') options.onMetrics(line.step, line.metrics);
      else {
        malformedLines++;
        options.warn(`malformed metric line ignored (${line.why}): ${text.slice(0, 200)}`);
      }
    });
    const stderrLines = createInterface({ input: child.stderr, crlfDelay: Infinity });
    stderrLines.on('line', (text) => {
      options.output(text);
      stderrTail.push(text);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    });

    let closedStreams = 0;
    const streamsClosed = new Promise<void>((done) => {
      const one = (): void => {
        if (++closedStreams === 2) done();
      };
      stdoutLines.on('close', one);
      stderrLines.on('close', one);
    });
    const finish = async (code: number | null, signalName: NodeJS.Signals | null): Promise<void> => {
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', stop);
      if (spawnError === undefined) await streamsClosed;
      await Promise.all([new Promise((done) => stdoutLog.end(done)), new Promise((done) => stderrLog.end(done))]);
      resolve({ code, signalName, spawnError, killedAfterGrace, malformedLines, stderrTail });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error.code === 'ENOENT' ? `could not start '${program}' in ${options.cwd}: no such program or folder` : error.message;
      void finish(null, null);
    });
    child.on('exit', (code, signalName) => {
      if (spawnError === undefined) void finish(code, signalName);
    });
  });
}
