/**
 * `paramsCommand`: the budget before compute for any framework. The program (the training script with
 * a flag, usually) builds the model, prints its trainable parameter count and exits; the last integer
 * it prints to stdout is the count, which constraints.maxParams then judges like any kind's
 * (../../verdict/budget.ts) at `xp validate` / `xp plan`, before anything trains.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SpecIssue } from '@xp/core';

const run = promisify(execFile);
/** A count is a model being built, not trained: a minute is generous even for a framework's import on a loaded machine. */
const COUNT_TIMEOUT_MS = 120_000;

export type ParamsCount = { params: number } | { issue: Omit<SpecIssue, 'location' | 'path'> };

export async function countParams(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ParamsCount> {
  const [program, ...args] = argv;
  let stdout: string;
  try {
    ({ stdout } = await run(program, args, { cwd, env, timeout: COUNT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; code?: number | string; killed?: boolean };
    const tail = (failure.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    const how = failure.killed ? `ran past ${COUNT_TIMEOUT_MS / 1000} s` : `exited with ${failure.code}`;
    return { issue: { message: `paramsCommand ${how}${tail ? `: ${tail}` : ''}`, expected: 'a program that prints the trainable parameter count and exits 0', found: argv.join(' ') } };
  }
  const integers = stdout.match(/(?<![\d.])\d[\d,_]*(?![\d.])/g);
  const last = integers?.[integers.length - 1];
  if (!last) {
    return { issue: { message: 'paramsCommand printed no integer', expected: 'the trainable parameter count on stdout (its last integer is taken)', found: JSON.stringify(stdout.trim().slice(-120)) } };
  }
  return { params: Number(last.replace(/[,_]/g, '')) };
}
