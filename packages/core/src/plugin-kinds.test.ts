/** A plugin kind's spec: shared fields by the core schema, its own by its registered fragment (./plugin-kinds.ts). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from './errors.ts';
import { loadExperiment } from './load.ts';
import { isPluginKindName, registerPluginSchema } from './plugin-kinds.ts';

const KIND = './kinds/poly.ts';
registerPluginSchema(KIND, {
  additionalProperties: false,
  required: ['poly'],
  properties: { poly: { type: 'object', additionalProperties: false, required: ['degree'], properties: { degree: { type: 'integer', minimum: 1 }, points: { type: 'integer', default: 16 } } } },
});

function load(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'xp-plugin-')), 'spec.yaml');
  writeFileSync(file, text);
  return loadExperiment(file);
}

function issuesOf(text: string): SpecIssue[] {
  try {
    load(text);
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('plugin kinds in the spec', () => {
  it('tells plugin names from anything else', () => {
    expect(['./k.ts', '../k.mjs', '/abs/k.ts', 'xp-kind-tabular', '@lab/xp-kind-rnn'].every(isPluginKindName)).toBe(true);
    expect(['toy-mlp', 'rnn', 'kinds/k.ts', 'lodash', ''].some(isPluginKindName)).toBe(false);
  });

  it("fills in the fragment's defaults and the core schema's, and sweeps the plugin's fields", () => {
    const loaded = load(`name: p\nkind: ${KIND}\npoly: {degree: 2}\nsweep:\n  grid:\n    poly.degree: [1, 3]\n`);
    expect(loaded.variants.map((v) => v.spec)).toEqual([
      expect.objectContaining({ kind: KIND, poly: { degree: 1, points: 16 }, seed: 1, backend: 'auto' }),
      expect.objectContaining({ poly: { degree: 3, points: 16 } }),
    ]);
  });

  it('locates a misspelt plugin field and a bad value by the fragment, a bad shared field by the core schema', () => {
    const issues = issuesOf(`name: p\nkind: ${KIND}\npoly:\n  degre: 2\nseeds: nope\n`);
    expect(issues.map((i) => [i.path, i.location?.line, i.hint])).toEqual([
      ['poly.degre', 4, "did you mean 'degree'?"],
      ['seeds', 5, undefined],
    ]);
    expect(issuesOf(`name: p\nkind: ${KIND}\npoly: {degree: 0}\n`)[0]).toMatchObject({ path: 'poly.degree', expected: 'a number ≥ 1' });
  });

  it('refuses a plugin kind no one registered', () => {
    expect(issuesOf('name: p\nkind: ./elsewhere.ts\npoly: {degree: 2}\n')[0]).toMatchObject({ path: 'kind', message: "the plugin kind './elsewhere.ts' is not loaded" });
  });
});
