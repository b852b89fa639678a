import { readFileSync } from 'node:fs';
import { experimentSchema, SCHEMA_PATH, validateSpec } from '@xp/core';
import { describe, expect, it } from 'vitest';
import { LAYER_KIND_DEFINITIONS, LAYER_KINDS } from './index.ts';
import { formatJson, layerSchemaDefs, renderExperimentSchema } from './schema.ts';

describe('the schema’s layer section is generated from the layer-kind registry', () => {
  const text = readFileSync(SCHEMA_PATH, 'utf8');

  it('schemas/experiment.schema.json is up to date (else: npm run gen:schema -w packages/models, then npm run gen:types -w packages/core)', () => {
    expect(renderExperimentSchema(text)).toBe(text);
  });

  it('the file holds exactly the generated definitions', () => {
    const defs = (JSON.parse(text) as { $defs: Record<string, unknown> }).$defs;
    for (const [name, schema] of Object.entries(layerSchemaDefs())) expect({ name, schema: defs[name] }).toEqual({ name, schema });
    expect((experimentSchema().$defs as { layerKind: { enum: string[] } }).layerKind.enum).toEqual([...LAYER_KINDS]);
  });

  it('goes stale when a kind changes: a new kind or a changed fragment shows up in the rendering', () => {
    const schema = JSON.parse(text) as { $defs: { layerKind: { enum: string[] } } };
    schema.$defs.layerKind.enum = schema.$defs.layerKind.enum.filter((kind) => kind !== 'dense');
    const stale = `${formatJson(schema)}\n`;
    expect(stale).not.toBe(text);
    expect(renderExperimentSchema(stale)).toBe(text);
  });

  it('writes JSON as the hand-written file does (numbers below 1e-4 as 1e-05)', () => {
    expect(formatJson({ a: [1e-5, 1e-8, 1.5e-7, 0.0001, 0.1, -2e-5, 3, 0], b: {}, c: [], d: 'é"\n', e: null, f: true })).toBe(
      '{\n  "a": [\n    1e-05,\n    1e-08,\n    1.5e-07,\n    0.0001,\n    0.1,\n    -2e-05,\n    3,\n    0\n  ],\n  "b": {},\n  "c": [],\n  "d": "é\\"\\n",\n  "e": null,\n  "f": true\n}',
    );
  });
});

describe('each kind’s schema fragment agrees with how its module reads options', () => {
  it.each(LAYER_KIND_DEFINITIONS.map((d) => [d.name, d.bare] as const))('%s: the schema allows it bare: %s', (kind, bare) => {
    const spec = { name: 't', kind: 'cnn-classifier', model: { blocks: { a: [kind] } } };
    const issues = validateSpec(spec, () => undefined).filter((issue) => issue.path.startsWith('model.blocks.a.0'));
    expect({ kind, refused: issues.length > 0 }).toEqual({ kind, refused: !bare });
  });

  it.each(LAYER_KIND_DEFINITIONS.filter((d) => d.options).map((d) => [d.name, d] as const))(
    '%s: the defaults the module fills in are the schema’s',
    (_kind, definition) => {
      const properties = (definition.options!.properties ?? {}) as Record<string, { default?: unknown }>;
      const defaults = Object.entries(properties).filter(([, p]) => 'default' in p);
      if (defaults.length === 0) return;
      // The required options, at their smallest valid value, plus nothing else: every default must show.
      const required = (definition.options!.required ?? []) as string[];
      const parsed = definition.parse(Object.fromEntries(required.map((key) => [key, 1])), ['x'], false) as Record<string, unknown>;
      for (const [key, property] of defaults) expect({ key, value: parsed[key] }).toEqual({ key, value: property.default });
    },
  );
});
