import { describe, expect, it } from 'vitest';
import { trainToyNetwork, TOY_COLUMNS, type ToyWeights } from './network.ts';
import { checkAutodiff, checkFiniteDifferences, relativeError } from './checks.ts';
import { checkFormulas, parseGradientFormulas } from './formulas.ts';

const weights: ToyWeights = { w1: 0.15, w2: 0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: 0.45, w7: 0.5, w8: 0.55 };
const seedSetup = { inputs: [0.05, 0.1], targets: [0.01, 0.99], weights, lr: 0.8, steps: 157 };

const close = (actual: number, expected: number, rel: number) =>
  expect(relativeError(actual, expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel);

describe('trainToyNetwork', () => {
  const rows = trainToyNetwork(seedSetup);

  it('has steps + 1 rows with exactly the table columns', () => {
    expect(rows).toHaveLength(158);
    expect(Object.keys(rows[0])).toEqual([...TOY_COLUMNS]);
    expect(rows.map((r) => r.step)).toEqual([...Array(158).keys()]);
  });

  it('reproduces the reference values at step 0', () => {
    const r = rows[0];
    close(r.E, 0.24251985734837728, 1e-15);
    // The reference gives these to ten decimals only.
    const tenDecimals = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(5.0001e-11);
    tenDecimals(r.E1, 0.1778928425);
    tenDecimals(r.E2, 0.0646270148);
    tenDecimals(r.out_h1, 0.5068745668);
    tenDecimals(r.out_h2, 0.510623401);
    tenDecimals(r.out_o1, 0.6064777322);
    tenDecimals(r.out_o2, 0.6304808355);
    const expected = [
      1.882556669401121e-4, 3.765113338802242e-4, 2.248134625761188e-4, 4.496269251522376e-4,
      0.07215707291213626, 0.07269074519194478, -0.04245525009260471, -0.04276924828006376,
    ];
    expected.forEach((g, k) => close(r[`dE_dw${k + 1}` as 'dE_dw1'], g, 1e-15));
  });

  it('gives E = 0.23131728642977417 after one update at η = 0.8', () => {
    close(rows[1].E, 0.23131728642977417, 1e-15);
  });

  it('updates w ← w − η·∂E/∂w', () => {
    expect(rows[1].w1).toBe(rows[0].w1 - 0.8 * rows[0].dE_dw1);
    expect(rows[5].w8).toBe(rows[4].w8 - 0.8 * rows[4].dE_dw8);
  });
});

describe('gradient checks', () => {
  for (const lr of [0.1, 0.2, 0.5, 0.8, 1.0, 2.0]) {
    it(`pass against finite differences and autodiff at every step, η = ${lr}`, async () => {
      const rows = trainToyNetwork({ ...seedSetup, lr });
      const fd = checkFiniteDifferences(rows, 1e-8);
      expect(fd.failures).toEqual([]);
      expect(fd.maxRelativeError).toBeLessThan(1e-8);
      const ad = await checkAutodiff(rows, 1e-4);
      expect(ad.failures).toEqual([]);
      expect(ad.maxRelativeError).toBeLessThan(1e-4);
    });
  }

  it('catch a wrong derivative', async () => {
    const rows = trainToyNetwork({ ...seedSetup, steps: 3 });
    rows[2].dE_dw3 *= 1 + 1e-6;
    const fd = checkFiniteDifferences(rows);
    expect(fd.failures.map((f) => [f.step, f.gradient])).toEqual([[2, 'dE_dw3']]);
    rows[1].dE_dw6 *= 1.01;
    const ad = await checkAutodiff(rows);
    expect(ad.failures.map((f) => [f.step, f.gradient])).toEqual([[1, 'dE_dw6']]);
  });
});

// The seed's readme formulas, with × written as * (part1-toy-network.md: w1..w4 use h·(1 − h)).
export const SEED_FORMULAS = {
  dE_dw5: '(out_o1 - t1) * (out_o1*(1-out_o1)) * (out_h1)',
  dE_dw6: '(out_o1 - t1) * (out_o1*(1-out_o1)) * (out_h2)',
  dE_dw7: '(out_o2 - t2) * (out_o2*(1-out_o2)) * (out_h1)',
  dE_dw8: '(out_o2 - t2) * (out_o2*(1-out_o2)) * (out_h2)',
  dE_dw1: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w5)) * (h1*(1-h1)) * (i1) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w7)) * (h1*(1-h1)) * (i1)',
  dE_dw2: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w5)) * (h1*(1-h1)) * (i2) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w7)) * (h1*(1-h1)) * (i2)',
  dE_dw3: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w6)) * (h2*(1-h2)) * (i1) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w8)) * (h2*(1-h2)) * (i1)',
  dE_dw4: '((out_o1-t1) * (out_o1*(1-out_o1)) * (w6)) * (h2*(1-h2)) * (i2) + ((out_o2-t2) * (out_o2*(1-out_o2)) * (w8)) * (h2*(1-h2)) * (i2)',
};

describe('user formulas', () => {
  const rows = trainToyNetwork(seedSetup);

  it("flag exactly the seed's wrong derivatives, with both values at step 0", () => {
    const { formulas, issues } = parseGradientFormulas(SEED_FORMULAS);
    expect(issues).toEqual([]);
    const wrong = checkFormulas(rows, formulas);
    expect(wrong.map((w) => w.gradient).sort()).toEqual(['dE_dw1', 'dE_dw2', 'dE_dw3', 'dE_dw4']);
    const w1 = wrong.find((w) => w.gradient === 'dE_dw1')!;
    expect(w1.step).toBe(0);
    expect(w1.trueValue).toBe(rows[0].dE_dw1);
    close(w1.formulaValue, 2.014e-5, 1e-3);
  });

  it('accept the correct formulas', () => {
    const correct = Object.fromEntries(
      Object.entries(SEED_FORMULAS).map(([k, v]) => [k, v.replaceAll('h1*(1-h1)', 'out_h1*(1-out_h1)').replaceAll('h2*(1-h2)', 'out_h2*(1-out_h2)')]),
    );
    const { formulas, issues } = parseGradientFormulas(correct);
    expect(issues).toEqual([]);
    expect(checkFormulas(rows, formulas)).toEqual([]);
  });

  it('report a formula that does not parse, with its path', () => {
    const { formulas, issues } = parseGradientFormulas({ dE_dw1: '(out_o1 - t1 * ', dE_dw5: SEED_FORMULAS.dE_dw5 });
    expect(formulas.map((f) => f.gradient)).toEqual(['dE_dw5']);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('model.gradientFormulas.dE_dw1');
    expect(issues[0].message).toMatch(/does not parse/);
  });

  it('report unknown columns, calls that should be products, and self-reference', () => {
    const { issues } = parseGradientFormulas({
      dE_dw2: 'out_o3 * i2',
      dE_dw6: 'out_o1(1-out_o1)',
      dE_dw7: 'dE_dw7 * 2',
      dE_dw8: 'sigmoid(o2)',
    });
    expect(issues.map((i) => i.path)).toEqual([
      'model.gradientFormulas.dE_dw2', 'model.gradientFormulas.dE_dw6', 'model.gradientFormulas.dE_dw7', 'model.gradientFormulas.dE_dw8',
    ]);
    expect(issues[0].message).toContain("unknown column 'out_o3'");
    expect(issues[1].hint).toContain('out_o1*(...)');
    expect(issues[3].message).toContain("unknown function 'sigmoid'");
  });
});
