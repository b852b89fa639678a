/**
 * `${vars.NAME}` references. A value that is exactly one reference takes the variable's value and
 * type (so `filters: ${vars.c1}` stays a number); a reference inside longer text is substituted as text.
 */
import { closest } from 'fastest-levenshtein';
import type { SpecIssue } from './errors.ts';
import type { PathSegment } from './paths.ts';

const WHOLE = /^\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}$/;
const INSIDE = /\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface VarIssue extends Omit<SpecIssue, 'location'> {
  segments: PathSegment[];
}

/** Returns a copy of `spec` with references replaced; unknown names are reported, not guessed. */
export function substituteVars(spec: Record<string, unknown>): { value: Record<string, unknown>; issues: VarIssue[] } {
  const vars = (spec.vars ?? {}) as Record<string, unknown>;
  const issues: VarIssue[] = [];
  const unknown = (name: string, segments: PathSegment[]): void => {
    const names = Object.keys(vars);
    issues.push({
      path: segments.join('.'),
      segments,
      message: `unknown variable '${name}'`,
      expected: names.length > 0 ? `one of the names under vars: ${names.join(', ')}` : 'a name defined under `vars:`',
      found: `\${vars.${name}}`,
      hint: names.length > 0 ? `did you mean '${closest(name, names)}'?` : undefined,
    });
  };
  const walk = (node: unknown, segments: PathSegment[]): unknown => {
    if (typeof node === 'string') {
      const whole = WHOLE.exec(node);
      if (whole) {
        if (!(whole[1] in vars)) unknown(whole[1], segments);
        return whole[1] in vars ? vars[whole[1]] : node;
      }
      return node.replace(INSIDE, (text, name: string) => {
        if (!(name in vars)) {
          unknown(name, segments);
          return text;
        }
        return String(vars[name]);
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...segments, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...segments, k])]));
    }
    return node;
  };
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(spec)) {
    // vars do not refer to vars, and a sweep's values are substituted once applied to a variant.
    value[key] = key === 'vars' || key === 'sweep' ? child : walk(child, [key]);
  }
  return { value, issues };
}
