import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { convCases } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';
import { setFilterGradStrategy } from './conv2d-backprop-filter.ts';
import { fusedMultiplyAdd, relaxedSimdAvailable, setFusedMultiplyAdd } from './simd.ts';
import { setWinograd, winograd } from './winograd.ts';

// What XP_WASM_FMA=1 does in the backend (Node 20 compiles relaxed SIMD behind V8's flag).
if (!relaxedSimdAvailable()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const configurations = [
  { strategy: 'auto', fma: false, wino: false },
  { strategy: 'xnnpack', fma: false, wino: false },
  { strategy: 'auto', fma: true, wino: false },
  { strategy: 'auto', fma: false, wino: true },
  { strategy: 'auto', fma: true, wino: true },
] as const;

for (const { strategy, fma, wino } of configurations) describe(`wasm Conv2D gradients match cpu (filter gradient: ${strategy}${fma ? ', fused multiply-add' : ''}${wino ? ', Winograd' : ''})`, () => {
  it('has the multiply-add it is testing', () => {
    expect(setFusedMultiplyAdd(fma)).toBe(fma);
    setFusedMultiplyAdd(false);
  });
  for (const c of convCases()) {
    it(c.name, async () => {
      setFilterGradStrategy(strategy);
      setFusedMultiplyAdd(fma);
      setWinograd(wino);
      const ref = await outputsOn('cpu', c.run);
      const got = await outputsOn('wasm', c.run);
      expect(fusedMultiplyAdd()).toBe(fma);
      expect(winograd()).toBe(wino);
      setFilterGradStrategy('auto');
      setFusedMultiplyAdd(false);
      setWinograd(false);
      for (let k = 0; k < ref.length; k++) {
        expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
        expect(relError(got[k].values, ref[k].values), `output ${k}`).toBeLessThan(c.tolerance);
      }
    });
  }
});

/**
 * Which outputs of conv case `name` change when `use(true)` is in effect, after checking that the
 * case repeats exactly with it off. Outputs: forward, input gradient, filter gradient, then the
 * fused op's forward and three gradients (input, filter, bias).
 */
async function changedBy(use: (on: boolean) => unknown, name: string): Promise<boolean[]> {
  const c = convCases().find((k) => k.name === name)!;
  const plain = await outputsOn('wasm', c.run);
  use(true);
  const other = await outputsOn('wasm', c.run);
  use(false);
  const again = await outputsOn('wasm', c.run);
  expect(again.map((o) => Array.from(o.values))).toEqual(plain.map((o) => Array.from(o.values)));
  return plain.map((o, k) => Array.from(o.values).some((v, i) => v !== other[k].values[i]));
}

describe('fused multiply-add', () => {
  it('changes the last bits of a convolution and its gradients, so the fused path is the one that ran', async () => {
    const changed = await changedBy(setFusedMultiplyAdd, '3x3 stride 1 same, batch 2, 9x9, 52→20');
    // Forward, input gradient and filter gradient all go through the multiply-add.
    expect(changed.slice(0, 3)).toEqual([true, true, true]);
  });
});

describe('Winograd F(2×2, 3×3)', () => {
  const changed = (name: string) => changedBy(setWinograd, name);

  it('runs the forward convolutions and both gradients of 3×3 stride-1 layers (their last bits change), not the bias gradient', async () => {
    for (const name of ['3x3 stride 1 valid, batch 3, 23x22, 8→12', '3x3 stride 1 same, batch 2, 9x9, 52→20']) {
      expect(await changed(name), name).toEqual([true, true, true, true, true, true, false]);
    }
  });

  it('leaves alone what it does not cover: fewer than 8 input channels, stride 2, 1×1 filters', async () => {
    for (const name of ['3x3 stride 1 same, batch 2, 9x9, 3→4', '3x3 stride 2 same, batch 2, 9x10, 5→7', '1x1 stride 1 valid, batch 4, 7x7, 32→16']) {
      expect(await changed(name), name).toEqual([false, false, false, false, false, false, false]);
    }
  });
});
