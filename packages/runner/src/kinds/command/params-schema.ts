/**
 * `paramsSchema`: the user's own JSON Schema for the free-form `params:` of a command spec. xp's schema
 * cannot know a program's parameters; this file can, so a misspelt or mistyped param is refused at its
 * file:line:col (with the nearest name the schema knows) before anything runs.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { closest } from 'fastest-levenshtein';
import type { SpecIssue } from '@xp/core';
import type { Locator } from '../types.ts';

function segmentsOf(instancePath: string): string[] {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function issueOf(error: ErrorObject, schema: Record<string, unknown>, locate: Locator): SpecIssue {
  const at = ['params', ...segmentsOf(error.instancePath)];
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty);
    const parentSchema = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
    const known = Object.keys(parentSchema?.properties ?? (schema.properties as Record<string, unknown> | undefined) ?? {});
    return {
      path: [...at, extra].join('.'),
      message: `unknown param '${extra}'`,
      expected: known.length > 0 ? `one of: ${known.join(', ')}` : 'no other params',
      hint: known.length > 0 ? `did you mean '${closest(extra, known)}'?` : undefined,
      location: locate([...at, extra]) ?? locate(at),
    };
  }
  return { path: at.join('.'), message: `${at.join('.')} ${error.message ?? 'is invalid'}`, expected: 'what paramsSchema says', location: locate(at) };
}

export function paramsSchemaIssues(params: Record<string, unknown>, schemaFile: string, specDir: string, locate: Locator): SpecIssue[] {
  const file = resolve(specDir, schemaFile);
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return [{ path: 'paramsSchema', message: `cannot read the params schema ${file}: ${(error as Error).message}`, expected: 'a JSON Schema file, relative to the spec', location: locate(['paramsSchema']) }];
  }
  let validate;
  try {
    validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  } catch (error) {
    return [{ path: 'paramsSchema', message: `${file} is not a valid JSON Schema: ${(error as Error).message}`, location: locate(['paramsSchema']) }];
  }
  if (validate(params)) return [];
  return (validate.errors ?? []).map((error) => issueOf(error, schema, locate));
}
