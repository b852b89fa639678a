/**
 * Runs an outside program (pip, npm, node-pre-gyp, the compiler) and hands its output over line by
 * line, so a setup can show progress and, when the program fails, quote the lines that say why.
 */
import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each complete line of stdout or stderr as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Let the program draw on the terminal itself (pip's own progress bar); nothing is captured. */
  inherit?: boolean;
}

export interface ExecResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A program that could not be started at all (not installed, not executable). */
export class ProgramNotFoundError extends Error {
  readonly program: string;
  constructor(program: string, cause: unknown) {
    super(`${program}: not found or not executable`, { cause });
    this.name = 'ProgramNotFoundError';
    this.program = program;
  }
}

export function exec(program: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const partial = { stdout: '', stderr: '' };
    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out[stream] += text;
      if (!options.onLine) return;
      const lines = (partial[stream] + text).split(/\r?\n|\r/);
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) options.onLine(line, stream);
    };
    child.stdout?.on('data', take('stdout'));
    child.stderr?.on('data', take('stderr'));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' || error.code === 'EACCES' ? new ProgramNotFoundError(program, error) : error);
    });
    child.on('close', (code) => {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream] && options.onLine) options.onLine(partial[stream], stream);
      }
      resolve({ code, ...out });
    });
  });
}

/** The last `n` non-empty lines of a program's output, for an error message. */
export function lastLines(text: string, n = 15): string {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '').slice(-n).join('\n');
}
