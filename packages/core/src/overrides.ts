/**
 * `--set path=value` overrides. The path must be one the schema knows; the value is read as YAML
 * (numbers, booleans, lists, mappings) unless the schema says the field is text.
 */
import { closest, distance } from 'fastest-levenshtein';
import { parse as parseYaml } from 'yaml';
import type { SpecIssue } from './errors.ts';
import { knownKeys, subschemaAt, type JsonSchema } from './schema.ts';
import { parsePath } from './paths.ts';

export interface Override {
  path: string[];
  value: unknown;
}

export function parseOverride(text: string): { override?: Override; issue?: SpecIssue } {
  const where = (column: number) => ({ file: '--set', line: 1, column, lineText: text });
  const eq = text.indexOf('=');
  if (eq <= 0) {
    return { issue: { path: '', message: 'an override is written path=value', expected: 'e.g. --set train.lr=0.5', found: JSON.stringify(text), location: where(1) } };
  }
  const dotted = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const path = parsePath(dotted);
  for (let depth = 1; depth <= path.length; depth++) {
    if (subschemaAt(path.slice(0, depth)) === undefined) {
      const parent = subschemaAt(path.slice(0, depth - 1));
      const known = knownKeys(parent);
      const key = path[depth - 1];
      const suggestion = known.length > 0 ? closest(key, known) : undefined;
      const column = path.slice(0, depth - 1).join('.').length + (depth > 1 ? 2 : 1);
      return {
        issue: {
          path: dotted,
          message: `unknown key '${key}'${depth > 1 ? ` under ${path.slice(0, depth - 1).join('.')}` : ''}`,
          expected: known.length > 0 ? `one of: ${known.join(', ')}` : 'a path the schema defines',
          found: `'${key}'`,
          hint: suggestion !== undefined && distance(key, suggestion) <= 3 ? `did you mean '${suggestion}'?` : undefined,
          location: where(column),
        },
      };
    }
  }
  const schema = subschemaAt(path) as JsonSchema;
  if (isTextOnly(schema)) return { override: { path, value: raw } };
  try {
    return { override: { path, value: raw.trim() === '' ? null : parseYaml(raw) } };
  } catch (error) {
    return { issue: { path: dotted, message: `cannot read the value: ${(error as Error).message.split('\n')[0]}`, expected: 'a YAML value', found: JSON.stringify(raw), location: where(eq + 2) } };
  }
}

function isTextOnly(schema: JsonSchema): boolean {
  if (schema.type === 'string') return true;
  return Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string');
}
