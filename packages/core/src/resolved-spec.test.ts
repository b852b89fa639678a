/**
 * The schema is the only source of defaults; the ResolvedSpec types (./resolved-spec.ts) say which
 * fields loading guarantees. These tests walk the schema for every default and required field, kind by
 * kind, and check that the lists behind the types match it and that a loaded spec really has them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from './load.ts';
import { AUGMENT_PRESENT, CNN_PRESENT, COMMAND_PRESENT, SCHEDULE_PRESENT, TOY_PRESENT } from './resolved-spec.ts';
import { experimentSchema, type JsonSchema } from './schema.ts';

type Kind = 'toy-mlp' | 'cnn-classifier' | 'command';

/** The schema nodes that apply to a spec of `kind` at the top: the base and the kind's then-block. */
function topNodes(kind: Kind): JsonSchema[] {
  const schema = experimentSchema();
  const thens = ((schema.allOf as JsonSchema[] | undefined) ?? [])
    .filter((part) => ((part.if as JsonSchema | undefined)?.properties as Record<string, JsonSchema> | undefined)?.kind?.const === kind)
    .map((part) => part.then as JsonSchema);
  return [schema, ...thens];
}

/**
 * Dotted paths present in every resolved spec that the generated type leaves optional: a property is
 * present when one of the nodes that describe it has a default or requires it, and its parent is
 * present; the generated ExperimentSpec already has what the base schema requires (`base`), so only
 * the rest needs listing.
 */
function presentPaths(base: JsonSchema | undefined, extra: JsonSchema[], prefix = ''): string[] {
  const nodes = base ? [base, ...extra] : extra;
  const propertiesOf = (node: JsonSchema | undefined) => (node?.properties as Record<string, JsonSchema> | undefined) ?? {};
  const names = new Set(nodes.flatMap((node) => [...Object.keys(propertiesOf(node)), ...((node.required as string[] | undefined) ?? [])]));
  const requiredBy = (node: JsonSchema | undefined, name: string) => ((node?.required as string[] | undefined) ?? []).includes(name);
  const paths: string[] = [];
  for (const name of names) {
    const subBase = propertiesOf(base)[name];
    const subExtra = extra.map((node) => propertiesOf(node)[name]).filter((n): n is JsonSchema => n !== undefined);
    const defaulted = [subBase, ...subExtra].some((n) => n !== undefined && 'default' in n);
    const typedRequired = requiredBy(base, name);
    if (!typedRequired && !defaulted && !extra.some((node) => requiredBy(node, name))) continue;
    const path = prefix + name;
    if (!typedRequired) paths.push(path);
    paths.push(...presentPaths(subBase, subExtra, `${path}.`));
  }
  return paths;
}

const dir = mkdtempSync(join(tmpdir(), 'xp-resolved-'));
function load(name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadExperiment(file).variants[0].spec as unknown as Record<string, unknown>;
}
function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[key]), value);
}

// The least a file may say for each kind: every other field comes from the schema's defaults.
const MINIMAL: Record<Kind, string> = {
  'toy-mlp': `name: t\nkind: toy-mlp\ndata: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }\nmodel: { weights: { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 } }\ntrain: { steps: 3, lr: 0.5 }\n`,
  'cnn-classifier': `name: c\nkind: cnn-classifier\nmodel:\n  blocks:\n    head: [{ conv2d: { filters: 4, kernel: 3 } }, relu, global-avg-pool, { dense: { units: 10 } }, log-softmax]\ntrain: { epochs: 1, lr: 0.01 }\n`,
  command: `name: p\nkind: command\ncommand: [node, train.js]\n`,
};

describe('the resolved spec', () => {
  for (const [kind, listed] of [['toy-mlp', TOY_PRESENT], ['cnn-classifier', CNN_PRESENT], ['command', COMMAND_PRESENT]] as const) {
    it(`lists exactly the fields the schema requires or defaults for ${kind}`, () => {
      const [base, ...thens] = topNodes(kind);
      const fromSchema = presentPaths(base, thens);
      expect([...listed].sort()).toEqual([...new Set(fromSchema)].sort());
    });

    it(`fills in every default the schema states for ${kind}, with the schema's value`, () => {
      const spec = load(`${kind}.yaml`, MINIMAL[kind]);
      for (const path of listed) expect(at(spec, path), path).not.toBeUndefined();
      // And the values are the schema's: walk the defaults again, reading each from its node.
      const check = (nodes: JsonSchema[], prefix: string): void => {
        for (const node of nodes) {
          for (const [name, sub] of Object.entries((node.properties as Record<string, JsonSchema> | undefined) ?? {})) {
            const path = prefix + name;
            if (!(listed as readonly string[]).includes(path)) continue;
            if ('default' in sub && at(load(`${kind}.yaml`, MINIMAL[kind]), path) !== undefined && typeof sub.default !== 'object') {
              expect(at(spec, path), path).toEqual(sub.default);
            }
            check([sub], `${path}.`);
          }
        }
      };
      check(topNodes(kind), '');
    });
  }

  it('fills the defaults of optional parts whenever they are there (a schedule, a layer)', () => {
    const spec = load(
      'parts.yaml',
      MINIMAL['cnn-classifier'].replace('train: { epochs: 1, lr: 0.01 }', 'train: { epochs: 1, lr: 0.01, schedule: { type: step, stepSize: 1 } }'),
    );
    expect(at(spec, 'train.schedule.gamma')).toBe(0.1);
    const conv = (at(spec, 'model.blocks.head') as Array<Record<string, Record<string, unknown>>>)[0].conv2d;
    expect(conv).toMatchObject({ stride: 1, padding: 'valid', bias: true });
  });
});

describe('the resolved schedule', () => {
  it('lists exactly the defaults the schema gives each schedule type', () => {
    const schedule = ((experimentSchema().properties as Record<string, JsonSchema>).train.properties as Record<string, JsonSchema>).schedule;
    const branches = [schedule.then, schedule.else] as JsonSchema[];
    const fromSchema = Object.fromEntries(
      branches.map((branch) => {
        const properties = branch.properties as Record<string, JsonSchema>;
        return [properties.type.const, Object.keys(properties).filter((name) => 'default' in properties[name])];
      }),
    );
    expect(fromSchema).toEqual(Object.fromEntries(Object.entries(SCHEDULE_PRESENT).map(([type, names]) => [type, [...names]])));
  });

  it('lists exactly the defaults the schema gives data.augment, and fills them in', () => {
    const augment = ((experimentSchema().properties as Record<string, JsonSchema>).data.properties as Record<string, JsonSchema>).augment;
    const properties = augment.properties as Record<string, JsonSchema>;
    expect(Object.keys(properties).filter((name) => 'default' in properties[name])).toEqual([...AUGMENT_PRESENT]);
    const spec = load('augment.yaml', `${MINIMAL['cnn-classifier']}data: { augment: { rotation: 7 } }\n`);
    expect(at(spec, 'data.augment')).toEqual({ rotation: 7, shift: 0 });
  });
});
