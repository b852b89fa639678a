/**
 * Over budget, say why (issue 11, item 10): where the budget is set and which layers hold most of
 * the parameters, each with its count and its place in the spec.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetDetails, loadAndCheck } from './static-checks.ts';

const VARIANTS = relative(process.cwd(), resolve(import.meta.dirname, '../../../../experiments/cnn-variants.yaml'));

describe('budgetDetails', () => {
  it('points at constraints.maxParams and names the three largest layers', async () => {
    const { variants } = await loadAndCheck(VARIANTS, { args: ['vars.c1=32', 'sweep.variants=[{name: gap-5x5, set: {}}]'] });
    expect(variants).toHaveLength(1);
    const [{ variant, check }] = variants;
    expect(check).toMatchObject({ params: 31576, withinBudget: false });
    const lines = budgetDetails(variant, check);
    expect(lines).toHaveLength(4);
    // Each where it is written: the budget in the shared base file, the layers in the network file.
    const beside = (name: string) => join(dirname(VARIANTS), name);
    expect(lines[0]).toBe(`budget:  constraints.maxParams 19,999, set at ${beside('base/seed-cnn.yaml')}:18:14`);
    // The two 3×3 convolutions at width 32 hold 9,248 parameters each, then the first 16-channel 3×3 one.
    expect(lines[1]).toBe(`largest: 9,248 params (29%)  conv2d 3×3 32→32, layer 5 in block conv1, at ${beside('model/seed-net.yaml')}:13:7`);
    expect(lines[2]).toBe(`         9,248 params (29%)  conv2d 3×3 32→32, layer 9 in block conv1, at ${beside('model/seed-net.yaml')}:17:7`);
    expect(lines[3]).toMatch(/^ {9}2,320 params \(7%\) {2}conv2d 3×3 16→16, layer \d+ in block conv2, at .*model\/seed-net\.yaml:\d+:\d+$/);
  });

  it('a budget given on the command line is located there', async () => {
    const { variants } = await loadAndCheck(VARIANTS, { sets: ['constraints.maxParams=1000'], args: ['sweep.variants=[{name: gap-5x5, set: {}}]', 'vars.c1=16'] });
    expect(budgetDetails(variants[0].variant, variants[0].check)[0]).toBe('budget:  constraints.maxParams 1,000, set at --set constraints.maxParams=1000');
  });

  it('nothing for a variant within budget', async () => {
    const { variants } = await loadAndCheck(VARIANTS, { args: ['vars.c1=16', 'sweep.variants=[{name: gap-5x5, set: {}}]'] });
    expect(variants[0].check.withinBudget).toBe(true);
    expect(budgetDetails(variants[0].variant, variants[0].check)).toEqual([]);
  });
});
