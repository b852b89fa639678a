/**
 * Schema fragments for the files a spec is composed from (schemas/fragments/): one per top-level key
 * (`model.schema.json` for model/seed-net.yaml, which lands at `model`) and `partial.schema.json` for
 * a file merged at the top (`- base/seed-cnn`, `- recipe@_global_: seed`): the spec's schema with
 * nothing required. Each allows its own `defaults` list. A `$schema` (or yaml-language-server) header
 * pointing at one lets an editor complete and check a group file as the part of the spec it becomes.
 * Generated from schemas/experiment.schema.json: npm run gen:fragments -w packages/core.
 */
import { dirname, join } from 'node:path';
import { SCHEMA_PATH, type JsonSchema } from '../schema.ts';

export const FRAGMENTS_DIR = join(dirname(SCHEMA_PATH), 'fragments');

/** File name → JSON text of every fragment. */
export function renderFragments(schema: JsonSchema): Record<string, string> {
  const properties = schema.properties as Record<string, JsonSchema>;
  const defs = schema.$defs as JsonSchema | undefined;
  const defaults = properties.defaults;
  const out: Record<string, string> = {};
  const write = (name: string, fragment: JsonSchema) => {
    out[`${name}.schema.json`] = `${JSON.stringify(nullDeletes(fragment), null, 2)}\n`;
  };
  for (const [key, sub] of Object.entries(properties)) {
    if (key === '$schema' || key === 'defaults' || key === 'configPath') continue;
    const isObject = sub.type === 'object' && typeof sub.properties === 'object';
    write(key, {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `https://xp.dev/schemas/fragments/${key}.schema.json`,
      title: `ExperimentSpec.${key}`,
      ...sub,
      description: `A file composed in at '${key}' (a config group option, e.g. ${key}/<option>.yaml). ${String(sub.description ?? '')}`.trim(),
      ...(isObject ? { properties: { $schema: { type: 'string' }, defaults, ...(sub.properties as JsonSchema) } } : {}),
      ...(defs ? { $defs: defs } : {}),
    });
  }
  const { required: _required, allOf: _allOf, ...rest } = schema;
  write('partial', {
    ...rest,
    $id: 'https://xp.dev/schemas/fragments/partial.schema.json',
    title: 'ExperimentSpec (part of one)',
    description: 'A file merged at the top of a spec (a plain defaults entry, or a group option placed with @_global_): any part of the spec, nothing required.',
  });
  return out;
}

/** A value that is exactly `${vars.NAME}`: substituted before validation, so it stands for any value. */
const VAR_REFERENCE = { type: 'string', pattern: '^\\$\\{vars\\.[A-Za-z_][A-Za-z0-9_]*\\}$', description: 'a ${vars.NAME} reference, substituted before validation' };

/**
 * In a composed file `key: null` deletes the key, so every property accepts null too; and a
 * `${vars.NAME}` reference stands for its value, so every property and definition accepts one.
 */
function nullDeletes(schema: JsonSchema): JsonSchema {
  const walk = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs' && value !== null && typeof value === 'object') out[key] = Object.fromEntries(Object.entries(value).map(([name, def]) => [name, { anyOf: [VAR_REFERENCE, def] }]));
      else if (key === 'properties' && value !== null && typeof value === 'object') {
        out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, top && name === 'defaults' ? sub : { anyOf: [{ type: 'null', description: 'null deletes the key when the spec is composed' }, VAR_REFERENCE, walk(sub, false)] }]));
      } else out[key] = walk(value, false);
    }
    return out;
  };
  return walk(schema, true) as JsonSchema;
}
