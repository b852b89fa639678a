import { isAbsolute, relative, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseSeedsOption, SeedsOptionError } from '@xp/core';
import type { CliContext } from './context.ts';

/** Collects a repeatable option's values. */
export function setOption(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Help for the Hydra-style override arguments after the spec, and for -m (commands that take a spec). */
export const OVERRIDES_ARGUMENT_HELP = 'path=value overrides (Hydra style), the same as --set; with -m, path=a,b,c sweeps the field over a, b and c';
export const MULTIRUN_HELP =
  "multirun: a comma-separated override after the spec becomes a sweep axis, crossed with the spec's sweep (-m train.lr=0.1,0.3,1); commas inside quotes, [ ] or { } do not split, and \\, is a literal comma";

/**
 * The command line's overrides as loadAndCheck takes them; what they change in the spec's sweep is
 * noted on stderr (not on stdout, which --json keeps machine-readable).
 */
export function commandLineOverrides(ctx: CliContext, args: string[], options: { set?: string[]; multirun?: boolean }, notes = true): { sets: string[]; args: string[]; multirun: boolean; note?: (message: string) => void } {
  return { sets: options.set ?? [], args, multirun: options.multirun ?? false, note: notes ? (message) => ctx.stderr(`note: ${message}\n`) : undefined };
}

export function variantsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function positiveInt(value: string): number {
  return variantsOption(value);
}

/** Paths the user typed resolve from where they typed the command; messages show them as typed. */
export function resolveFromCwd(ctx: CliContext, path: string): string {
  const absolute = isAbsolute(path) ? path : resolve(ctx.cwd, path);
  const shown = relative(process.cwd(), absolute);
  return shown.startsWith('..') ? absolute : shown || '.';
}

/** `--seeds 5` (seeds 1..5) or `--seeds 3,7,11`. */
export function seedsOption(value: string): number[] {
  try {
    return parseSeedsOption(value);
  } catch (error) {
    if (error instanceof SeedsOptionError) throw new InvalidArgumentError(error.message.replace(/^--seeds "[^"]*": /, ''));
    throw error;
  }
}
