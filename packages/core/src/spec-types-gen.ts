import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

export const SCHEMA_FILE = fileURLToPath(new URL('../../../schemas/experiment.schema.json', import.meta.url));
export const SPEC_TYPES_FILE = fileURLToPath(new URL('./spec-types.ts', import.meta.url));

/** The text of spec-types.ts as generated from the schema now. */
export async function renderSpecTypes(): Promise<string> {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as JSONSchema;
  // $data relations are runtime checks; the generator would read them as literal values.
  delete (schema as Record<string, unknown>).allOf;
  conditionalsToUnions(schema);
  prefixItemsToTuples(schema);
  return compile(schema, 'ExperimentSpec', {
    bannerComment:
      '/* Generated from schemas/experiment.schema.json by packages/core/scripts/gen-types.ts. Do not edit: edit the schema and run `npm run gen:types -w packages/core`. */\n\nimport type { PluginKindName } from \'./plugin-kinds.ts\';',
    additionalProperties: false,
    style: { singleQuote: true },
    unreachableDefinitions: false,
  });
}

/**
 * The generator ignores if/then/else; for types, "if A then B else C" is the union B | C, which is
 * exactly what the layer definition means (a bare string kind, or an options object).
 */
function conditionalsToUnions(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if ('if' in record && 'then' in record && 'else' in record) {
    record.anyOf = [record.then, record.else];
    delete record.if;
    delete record.then;
    delete record.else;
  }
  for (const value of Object.values(record)) conditionalsToUnions(value);
}

/**
 * The generator knows draft-07 tuples (`items: [...]`) but not 2020-12's `prefixItems` (it would type
 * the array as never[]); the two mean the same for a list of fixed length such as quniform's [low, high, q].
 */
function prefixItemsToTuples(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (Array.isArray(record.prefixItems)) {
    record.items = record.prefixItems;
    delete record.prefixItems;
  }
  for (const value of Object.values(record)) prefixItemsToTuples(value);
}
