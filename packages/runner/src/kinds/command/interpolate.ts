/**
 * `${path}` references in a command kind's argv and env: each takes a value of the resolved spec
 * (`${params.lr}`, `${seed}`, `${train.epochs}`, `${name}`), as text. Resolved per run, after sweeps and
 * overrides, so a grid over params.lr reaches the program's argv. An unknown path is refused at
 * `xp validate` with where it was written and the nearest path that exists.
 */
import { closest } from 'fastest-levenshtein';
import { flattenToDotted, type ResolvedCommandSpec, type SpecIssue } from '@xp/core';
import type { Locator } from '../types.ts';

const REFERENCE = /\$\{([^}]*)\}/g;

/** What a reference may name: every leaf of the resolved spec and every object or list above one. */
function referable(spec: ResolvedCommandSpec): Map<string, unknown> {
  const values = new Map<string, unknown>();
  const { sweep: _sweep, ...rest } = spec as ResolvedCommandSpec & { sweep?: unknown };
  for (const [path, value] of Object.entries(flattenToDotted(rest))) {
    values.set(path, value);
    const parts = path.split('.');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('.');
      if (!values.has(parent)) values.set(parent, valueAt(rest, parts.slice(0, i)));
    }
  }
  // An empty params: {} flattens to nothing, yet ${params} (the whole object) is still a fair reference.
  for (const [key, value] of Object.entries(rest)) if (!values.has(key)) values.set(key, value);
  return values;
}

function valueAt(root: unknown, parts: readonly string[]): unknown {
  return parts.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface Interpolated {
  text: string;
  issues: SpecIssue[];
}

/** One string with its references replaced; `path` is where the string sits in the spec (['command', 3]). */
export function interpolate(template: string, spec: ResolvedCommandSpec, path: readonly (string | number)[], locate: Locator, values = referable(spec)): Interpolated {
  const issues: SpecIssue[] = [];
  const text = template.replace(REFERENCE, (whole, name: string) => {
    const key = name.trim();
    if (values.has(key)) return asText(values.get(key));
    const known = [...values.keys()];
    const nearest = known.length > 0 ? closest(key, known) : undefined;
    issues.push({
      path: path.join('.'),
      message: `unknown reference '${whole}': the resolved spec has no '${key}'`,
      expected: 'a path of the resolved spec, e.g. ${params.lr}, ${seed}, ${name}',
      found: whole,
      hint: nearest ? `did you mean '\${${nearest}}'?` : undefined,
      location: locate([...path]),
    });
    return whole;
  });
  return { text, issues };
}

export interface ResolvedInvocation {
  argv: string[];
  env: Record<string, string>;
  issues: SpecIssue[];
}

/** The argv of `field` (command or paramsCommand) and the spec's env, every reference replaced. */
export function resolveInvocation(spec: ResolvedCommandSpec, field: 'command' | 'paramsCommand', locate: Locator): ResolvedInvocation {
  const values = referable(spec);
  const issues: SpecIssue[] = [];
  const argv = (spec[field] ?? []).map((item, i) => {
    const done = interpolate(item, spec, [field, i], locate, values);
    issues.push(...done.issues);
    return done.text;
  });
  const env = Object.fromEntries(
    Object.entries(spec.env).map(([key, template]) => {
      const done = interpolate(template, spec, ['env', key], locate, values);
      issues.push(...done.issues);
      return [key, done.text];
    }),
  );
  return { argv, env, issues };
}
