import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { convCases } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';
import { setFilterGradStrategy } from './conv2d-backprop-filter.ts';
import { fusedMultiplyAdd, relaxedSimdAvailable, setFusedMultiplyAdd } from './simd.ts';

// What XP_WASM_FMA=1 does in the backend (Node 20 compiles relaxed SIMD behind V8's flag).
if (!relaxedSimdAvailable()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const configurations = [
  { strategy: 'auto', fma: false },
  { strategy: 'xnnpack', fma: false },
  { strategy: 'auto', fma: true },
] as const;

for (const { strategy, fma } of configurations) describe(`wasm Conv2D gradients match cpu (filter gradient: ${strategy}${fma ? ', fused multiply-add' : ''})`, () => {
  it('has the multiply-add it is testing', () => {
    expect(setFusedMultiplyAdd(fma)).toBe(fma);
    setFusedMultiplyAdd(false);
  });
  for (const c of convCases()) {
    it(c.name, async () => {
      setFilterGradStrategy(strategy);
      setFusedMultiplyAdd(fma);
      const ref = await outputsOn('cpu', c.run);
      const got = await outputsOn('wasm', c.run);
      expect(fusedMultiplyAdd()).toBe(fma);
      setFilterGradStrategy('auto');
      setFusedMultiplyAdd(false);
      for (let k = 0; k < ref.length; k++) {
        expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
        expect(relError(got[k].values, ref[k].values), `output ${k}`).toBeLessThan(c.tolerance);
      }
    });
  }
});

describe('fused multiply-add', () => {
  it('changes the last bits of a convolution and its gradients, so the fused path is the one that ran', async () => {
    const c = convCases().find((k) => k.name.includes('52→20'))!;
    const plain = await outputsOn('wasm', c.run);
    setFusedMultiplyAdd(true);
    const fused = await outputsOn('wasm', c.run);
    setFusedMultiplyAdd(false);
    const again = await outputsOn('wasm', c.run);
    expect(again.map((o) => Array.from(o.values))).toEqual(plain.map((o) => Array.from(o.values)));
    // Forward, input gradient and filter gradient all go through the multiply-add.
    for (const k of [0, 1, 2]) expect(Array.from(fused[k].values)).not.toEqual(Array.from(plain[k].values));
  });
});
