/**
 * Plugin kinds: a spec whose `kind` is a module path or an xp-kind-* package names a kind of its
 * own (runner/kinds/plugins.ts imports and registers it before loading). The core schema checks only
 * the fields every kind shares (COMMON_FIELDS); the rest of the spec belongs to the plugin and is
 * checked, defaults filled in, by the JSON Schema fragment it registered here. Loading is synchronous,
 * so the fragment must be registered before a spec of that kind is loaded.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema } from './schema.ts';

/** A `kind` that names a plugin: a path (./, ../ or /) or an npm package named xp-kind-* or @scope/xp-kind-*. */
export type PluginKindName = `./${string}` | `../${string}` | `/${string}` | `xp-kind-${string}` | `@${string}/xp-kind-${string}`;

/** The top-level fields the core schema checks for a plugin kind; every other field is the plugin's. */
export const COMMON_FIELDS = ['$schema', 'defaults', 'configPath', 'name', 'description', 'kind', 'seed', 'seeds', 'backend', 'vars', 'constraints', 'sweep', 'tracking'] as const;

/** The built-in kinds' own top-level fields: a plugin kind's fields may not reuse these names (the types of a loaded spec say they are absent). */
export const BUILT_IN_FIELDS = ['data', 'model', 'train', 'command', 'cwd', 'env', 'params', 'paramsSchema', 'paramsCommand', 'stopGrace'] as const;

const PLUGIN_NAME = /^(\.{1,2}\/|\/).+|^(@[a-z0-9][a-z0-9._-]*\/)?xp-kind-[a-z0-9][a-z0-9._-]*$/;

export function isPluginKindName(kind: unknown): kind is PluginKindName {
  return typeof kind === 'string' && PLUGIN_NAME.test(kind);
}

export function isModulePathKind(kind: PluginKindName): boolean {
  return /^(\.{1,2}\/|\/)/.test(kind);
}

const fragments = new Map<string, ValidateFunction>();

/**
 * Registers the JSON Schema of a plugin kind's own fields under the spec's `kind` text. It describes
 * an object holding those fields (properties, required, defaults, additionalProperties: false to catch
 * a misspelt one). Throws when the fragment is not a schema ajv can compile.
 */
export function registerPluginSchema(kind: string, fragment: JsonSchema): void {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false, verbose: true });
  fragments.set(kind, ajv.compile({ type: 'object', ...fragment }));
}

export function hasPluginSchema(kind: string): boolean {
  return fragments.has(kind);
}

/** The spec split into the part the core schema checks and the plugin's own fields. */
export function splitPluginSpec(spec: Record<string, unknown>): { common: Record<string, unknown>; own: Record<string, unknown> } {
  const common: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) ((COMMON_FIELDS as readonly string[]).includes(key) ? common : own)[key] = value;
  return { common, own };
}

/** Validates (and fills defaults into) a plugin kind's own fields; undefined when the kind registered no schema. */
export function validatePluginFields(kind: string, own: Record<string, unknown>): ErrorObject[] | undefined {
  const validate = fragments.get(kind);
  if (!validate) return undefined;
  return validate(own) ? [] : [...(validate.errors ?? [])];
}
