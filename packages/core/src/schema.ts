/**
 * The experiment schema and its compiled validator. Validation fills in the schema's defaults, so a
 * resolved spec states every default explicitly (what `xp plan` shows and what runs record as params).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../../../schemas/experiment.schema.json', import.meta.url));

export type JsonSchema = Record<string, unknown>;

let cached: { schema: JsonSchema; validate: ValidateFunction } | undefined;

export function experimentSchema(): JsonSchema {
  return compiled().schema;
}

/** Validates (and fills defaults into) `value` in place; returns ajv's errors, empty when valid. */
export function validateAgainstSchema(value: unknown): ErrorObject[] {
  const { validate } = compiled();
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

function compiled(): { schema: JsonSchema; validate: ValidateFunction } {
  if (!cached) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as JsonSchema;
    const ajv = new Ajv2020({ allErrors: true, $data: true, useDefaults: true, strict: false, verbose: true });
    cached = { schema, validate: ajv.compile(schema) };
  }
  return cached;
}

/**
 * The sub-schema that describes the value at `path`, following properties, additionalProperties,
 * patternProperties, items and $ref; undefined when the schema has no place for that path.
 */
export function subschemaAt(path: readonly (string | number)[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = experimentSchema();
  for (const segment of path) {
    node = node && childSchema(resolveRef(node), String(segment));
    if (!node) return undefined;
  }
  return node && resolveRef(node);
}

/** The keys a schema object allows, for "did you mean" suggestions. */
export function knownKeys(schema: JsonSchema | undefined): string[] {
  const props = schema && resolveRef(schema).properties;
  return props && typeof props === 'object' ? Object.keys(props) : [];
}

function childSchema(node: JsonSchema, key: string): JsonSchema | undefined {
  const props = node.properties as Record<string, JsonSchema> | undefined;
  if (props && key in props) return props[key];
  const patterns = node.patternProperties as Record<string, JsonSchema> | undefined;
  for (const [pattern, schema] of Object.entries(patterns ?? {})) {
    if (new RegExp(pattern).test(key)) return schema;
  }
  if (node.items && typeof node.items === 'object' && /^\d+$/.test(key)) return node.items as JsonSchema;
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    return node.additionalProperties as JsonSchema;
  }
  for (const branch of [node.then, node.else, ...((node.anyOf as unknown[]) ?? []), ...((node.oneOf as unknown[]) ?? [])]) {
    if (branch && typeof branch === 'object') {
      const found = childSchema(resolveRef(branch as JsonSchema), key);
      if (found) return found;
    }
  }
  return undefined;
}

function resolveRef(node: JsonSchema): JsonSchema {
  let current = node;
  while (typeof current.$ref === 'string' && current.$ref.startsWith('#/')) {
    let target: unknown = experimentSchema();
    for (const part of current.$ref.slice(2).split('/')) target = (target as Record<string, unknown>)[part];
    current = { ...(target as JsonSchema), ...withoutRef(current) };
  }
  return current;
}

function withoutRef(node: JsonSchema): JsonSchema {
  const { $ref: _ignored, ...rest } = node;
  return rest;
}
