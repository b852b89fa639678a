import { isAbsolute, relative, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { CliContext } from './context.ts';

/** Collects a repeatable option's values. */
export function setOption(value: string, previous: string[]): string[] {
  return [...previous, value];
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
