/**
 * experiments/ rewritten with composition (issue 20, item 5): every spec resolves to the same
 * variants as before it was split into base/, model/ and recipe/ files. The fixtures are
 * `xp plan <spec> --json` of each spec captured before the rewrite (tests/fixtures/composed-before/);
 * each variant's name, overrides and resolved spec are compared key by key, and its seeds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../load.ts';

const REPO = join(import.meta.dirname, '../../../..');
const FIXTURES = join(REPO, 'tests/fixtures/composed-before');

interface Plan {
  variants: Array<{ name: string; overrides: Record<string, unknown>; spec: unknown }>;
  seeds: number[];
}

describe('experiments/ composed from base/, model/ and recipe/ resolve as before', () => {
  const specs = readdirSync(join(REPO, 'experiments')).filter((f) => f.endsWith('.yaml'));
  it('has a fixture for every spec', () => {
    expect(readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, '.yaml')).sort()).toEqual(specs.sort());
  });
  for (const spec of specs) {
    it(spec, () => {
      const before = JSON.parse(readFileSync(join(FIXTURES, spec.replace(/\.yaml$/, '.json')), 'utf8')) as Plan;
      const loaded = loadExperiment(join(REPO, 'experiments', spec), { env: {} });
      expect(loaded.seeds).toEqual(before.seeds);
      expect(loaded.variants.map((v) => v.name)).toEqual(before.variants.map((v) => v.name));
      loaded.variants.forEach((variant, i) => {
        expect(JSON.parse(JSON.stringify(variant.overrides))).toEqual(before.variants[i].overrides);
        // JSON round trip: the fixture is JSON (undefined keys absent), as the plan printed it.
        expect(JSON.parse(JSON.stringify(variant.spec))).toEqual(before.variants[i].spec);
      });
    });
  }

  it('cnn-19816-seed-recipe.yaml is at most 15 lines and the network is written once', () => {
    expect(readFileSync(join(REPO, 'experiments/cnn-19816-seed-recipe.yaml'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(15);
    const withNetwork = specs.filter((f) => readFileSync(join(REPO, 'experiments', f), 'utf8').includes('transition1'));
    expect(withNetwork).toEqual([]);
  });

  it('the main job is composed from the network file and the one-cycle recipe', () => {
    const loaded = loadExperiment(join(REPO, 'experiments/cnn-19816.yaml'), { env: {} });
    expect(loaded.composed.choices).toEqual({ model: 'seed-net', 'recipe@_global_': 'one-cycle' });
    expect(loaded.composed.files.map((f) => f.path.slice(REPO.length + 1))).toEqual([
      'experiments/base/seed-cnn.yaml',
      'experiments/model/seed-net.yaml',
      'experiments/recipe/seed.yaml',
      'experiments/recipe/one-cycle.yaml',
      'experiments/cnn-19816.yaml',
    ]);
  });
});
