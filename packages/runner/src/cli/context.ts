/**
 * What every command gets: where to write, where the user typed the command, and how to set the exit
 * code. Commands never call process.exit themselves, so tests can run them in-process.
 */

export interface CliContext {
  /** Directory the user typed the command in; relative paths resolve from here. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Raises the process's exit code (never lowers it): 1 = a run failed, 2 = bad spec or usage, 130 = interrupted. */
  exit: (code: number) => void;
}

/** Bad command-line usage (unknown option value, missing file...): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
