/**
 * The layer section of schemas/experiment.schema.json, generated from the registry: `$defs/layerKind`
 * (the kinds' names), `$defs/layer` (a bare kind or a one-key object whose value each kind's schema
 * fragment describes, plus `repeat`) and the shared definitions kinds refer to (`$defs/pool`). The
 * rest of the file is written by hand; schema.test.ts fails when the checked-in file is stale.
 * Write it: npm run gen:schema -w packages/models
 */
import { LAYER_KIND_DEFINITIONS } from './index.ts';
import type { JsonSchema, LayerKindDefinition } from './definition.ts';
import { REPEAT_SCHEMA } from './repeat.ts';

/**
 * The order the schema has always listed the bare kinds in (validation errors show it: "one of
 * "relu", "batchnorm", ..."). Bare kinds not named here follow in registry order.
 */
const BARE_ORDER: readonly string[] = ['relu', 'batchnorm', 'global-avg-pool', 'flatten', 'log-softmax'];

const definitions = LAYER_KIND_DEFINITIONS as readonly LayerKindDefinition[];

function bareKinds(): string[] {
  const bare = definitions.filter((d) => d.bare).map((d) => d.name);
  const rank = (name: string) => (BARE_ORDER.includes(name) ? BARE_ORDER.indexOf(name) : BARE_ORDER.length);
  return bare.map((name, i) => ({ name, i })).sort((a, b) => rank(a.name) - rank(b.name) || a.i - b.i).map((x) => x.name);
}

/** The generated `$defs` entries, by name. */
export function layerSchemaDefs(): Record<string, JsonSchema> {
  const bare = bareKinds();
  const properties: Record<string, JsonSchema> = {};
  for (const definition of definitions) if (definition.options) properties[definition.name] = definition.options;
  properties.repeat = REPEAT_SCHEMA;

  const shared: Record<string, JsonSchema> = {};
  for (const definition of definitions) {
    for (const [name, schema] of Object.entries(definition.defs ?? {})) {
      if (name in shared && JSON.stringify(shared[name]) !== JSON.stringify(schema)) {
        throw new Error(`layer kinds define $defs/${name} differently`);
      }
      shared[name] = schema;
    }
  }
  return {
    layerKind: { enum: definitions.map((d) => d.name) },
    layer: {
      description: `One layer: a bare kind (${bare.join(', ')}) or a one-key object {kind: options}; {repeat: {times: N, layers: [...]}} repeats a group.`,
      if: { type: 'string' },
      then: { enum: bare },
      else: { type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false, properties },
    },
    ...shared,
  };
}

/** The schema with its layer section replaced by the generated one (entries keep their place in $defs; new ones go last). */
export function withLayerSchema(schema: JsonSchema): JsonSchema {
  const defs = { ...((schema.$defs as JsonSchema | undefined) ?? {}) } as Record<string, unknown>;
  for (const [name, value] of Object.entries(layerSchemaDefs())) defs[name] = value;
  return { ...schema, $defs: defs };
}

/** The text of schemas/experiment.schema.json with the layer section generated, from its current text. */
export function renderExperimentSchema(currentText: string): string {
  return `${formatJson(withLayerSchema(JSON.parse(currentText) as JsonSchema))}\n`;
}

/**
 * JSON as the schema file is written: two-space indent and, like Python's json.dumps, numbers
 * below 1e-4 in exponent form with a two-digit exponent (1e-05), so the file's hand-written part
 * keeps its bytes.
 */
export function formatJson(value: unknown, indent = ''): string {
  if (typeof value === 'number') return formatNumber(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + formatJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`JSON has no ${n}`);
  if (Number.isInteger(n) || Math.abs(n) >= 1e-4) return String(n);
  const [mantissa, exponent] = n.toExponential().split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
}
