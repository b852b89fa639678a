import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.ts';
import { loadExperiment } from './load.ts';
import { parseSeedsOption, requiredPassingSeeds, SeedsOptionError, withSeed } from './seeds.ts';

const dir = mkdtempSync(join(tmpdir(), 'xp-seeds-'));
let counter = 0;
const specFile = (text: string): string => {
  const file = join(dir, `spec-${counter++}.yaml`);
  writeFileSync(file, text);
  return file;
};

const TOY = `name: toy
kind: toy-mlp
data: { inputs: [0.05, 0.1], targets: [0.01, 0.99] }
model:
  weights: {w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55}
train: { steps: 3, lr: 0.1 }
sweep:
  grid:
    train.lr: [0.1, 0.5]
`;

describe('--seeds', () => {
  it('reads a count as seeds 1..N and a list as those seeds', () => {
    expect(parseSeedsOption('5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeedsOption('3,7,11')).toEqual([3, 7, 11]);
    expect(parseSeedsOption(' 0, 2 ')).toEqual([0, 2]);
  });

  it('reads A..B as the seeds from A to B, so one other seed is 7..7', () => {
    expect(parseSeedsOption('3..5')).toEqual([3, 4, 5]);
    expect(parseSeedsOption('7..7')).toEqual([7]);
    expect(parseSeedsOption(' 0 .. 2 ')).toEqual([0, 1, 2]);
    expect(() => parseSeedsOption('5..3')).toThrow(/a range must run upwards \(3\.\.5\?\)/);
    for (const bad of ['1...3', '..3', '3..', '1..1001', '1..2,4']) expect(() => parseSeedsOption(bad), bad).toThrow(SeedsOptionError);
  });

  it('refuses what is not a count or a list of distinct whole numbers', () => {
    for (const bad of ['0', '-1', '1.5', 'a', '3,3', '', '2,', '1001']) expect(() => parseSeedsOption(bad), bad).toThrow(SeedsOptionError);
  });
});

describe('seeds in a spec', () => {
  it('defaults to the single seed, 1 unless the spec says otherwise', () => {
    expect(loadExperiment(specFile(TOY)).seeds).toEqual([1]);
    expect(loadExperiment(specFile(`${TOY}seed: 9\n`)).seeds).toEqual([9]);
  });

  it('takes seeds: from the spec, and --seeds over either', () => {
    const spec = specFile(`${TOY}seeds: [4, 2, 8]\n`);
    expect(loadExperiment(spec).seeds).toEqual([4, 2, 8]);
    expect(loadExperiment(spec, { seeds: [1, 2] }).seeds).toEqual([1, 2]);
    expect(loadExperiment(specFile(`${TOY}seed: 9\n`), { seeds: [3, 5] }).seeds).toEqual([3, 5]);
    // The variants are the sweep's; seeds multiply the runs, not the variants.
    expect(loadExperiment(spec).variants.map((v) => v.name)).toEqual(['lr=0.1', 'lr=0.5']);
  });

  it('refuses seed and seeds together, at the seeds line', () => {
    const file = specFile(`${TOY}seed: 1\nseeds: [1, 2]\n`);
    try {
      loadExperiment(file);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SpecError);
      const issue = (error as SpecError).issues.find((i) => i.path === 'seeds');
      expect(issue?.message).toMatch(/either 'seed'.*or 'seeds'/);
      expect(issue?.location?.line).toBe(11);
    }
  });

  it('refuses a repeated seed or an empty list through the schema', () => {
    expect(() => loadExperiment(specFile(`${TOY}seeds: [1, 1]\n`))).toThrow(SpecError);
    expect(() => loadExperiment(specFile(`${TOY}seeds: []\n`))).toThrow(SpecError);
  });

  it('gives each run a spec with its one seed and no seeds list', () => {
    const { variants } = loadExperiment(specFile(`${TOY}seeds: [4, 2]\n`));
    const run = withSeed(variants[0].spec, 2);
    expect(run.seed).toBe(2);
    expect('seeds' in run).toBe(false);
  });

  it('requires every seed to pass unless minPassingSeeds says fewer', () => {
    const { spec } = loadExperiment(specFile(`${TOY}seeds: [1, 2, 3]\n`));
    expect(requiredPassingSeeds(spec, 3)).toBe(3);
    const relaxed = loadExperiment(specFile(`${TOY}seeds: [1, 2, 3]\nconstraints: { minPassingSeeds: 2 }\n`)).spec;
    expect(requiredPassingSeeds(relaxed, 3)).toBe(2);
    // Run on fewer seeds than it asks for (--seeds 1 to try a spec), all of those must pass.
    expect(requiredPassingSeeds(relaxed, 1)).toBe(1);
  });
});
