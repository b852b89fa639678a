import { describe, expect, it } from 'vitest';
import { convCases } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';
import { setFilterGradStrategy } from './conv2d-backprop-filter.ts';

for (const strategy of ['auto', 'xnnpack'] as const) describe(`wasm Conv2D gradients match cpu (filter gradient: ${strategy})`, () => {
  for (const c of convCases()) {
    it(c.name, async () => {
      setFilterGradStrategy(strategy);
      const ref = await outputsOn('cpu', c.run);
      const got = await outputsOn('wasm', c.run);
      setFilterGradStrategy('auto');
      for (let k = 0; k < ref.length; k++) {
        expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
        expect(relError(got[k].values, ref[k].values), `output ${k}`).toBeLessThan(c.tolerance);
      }
    });
  }
});
