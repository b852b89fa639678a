/**
 * Every leaf of a resolved spec becomes an MLflow param (its dotted path the key, its value the
 * text): a key MLflow refuses (a `vars` key with `/` or `..`, a space-free rule MLflow shares with
 * the file names of its file store) would fail the run after it was created, half-logged. So the
 * keys are checked with the spec, at the line that wrote them, before anything runs.
 */
import path from 'node:path';
import type { SpecIssue } from './errors.ts';
import type { PathSegment } from './paths.ts';
import type { PathLocator } from './validate.ts';

/** mlflow.utils.validation: MAX_ENTITY_KEY_LENGTH and MAX_PARAM_VAL_LENGTH. */
export const MAX_PARAM_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;

/** MLflow's rule for param, metric and tag keys: these characters, and no path that leaves its folder. */
export function isMlflowKey(key: string): boolean {
  const normalized = path.posix.normalize(key);
  return key.length > 0 && /^[/\w.\- :]*$/.test(key) && normalized === key && normalized !== '.' && !normalized.startsWith('..') && !normalized.startsWith('/');
}

export function paramNameIssues(spec: unknown, locate: PathLocator): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const walk = (value: unknown, segments: PathSegment[]): void => {
    if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...segments, Array.isArray(value) ? Number(key) : key]);
      return;
    }
    if (segments.length === 0) return;
    const key = segments.join('.');
    if (!isMlflowKey(key) || key.length > MAX_PARAM_KEY_LENGTH) {
      const bad = segments.findIndex((segment) => !isMlflowKey(String(segment)));
      issues.push({
        path: key,
        message: key.length > MAX_PARAM_KEY_LENGTH ? `this key path is too long to be an MLflow param name (${key.length} characters)` : 'this key cannot be an MLflow param name',
        expected: `keys of letters, digits, '_', '-', '.', ' ', ':' and '/' that name no folder outside their own (no '..', no leading '/'), at most ${MAX_PARAM_KEY_LENGTH} characters as a dotted path`,
        found: JSON.stringify(String(segments[bad >= 0 ? bad : segments.length - 1])),
        location: locate(bad >= 0 ? segments.slice(0, bad + 1) : segments, true),
      });
      return;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text !== undefined && text.length > MAX_PARAM_VALUE_LENGTH) {
      issues.push({
        path: key,
        message: `too long to be an MLflow param value (${text.length.toLocaleString('en-US')} characters)`,
        expected: `at most ${MAX_PARAM_VALUE_LENGTH.toLocaleString('en-US')} characters`,
        found: `${text.length.toLocaleString('en-US')} characters`,
        location: locate(segments),
      });
    }
  };
  walk(spec, []);
  return issues;
}
