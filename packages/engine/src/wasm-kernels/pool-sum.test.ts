import { describe, expect, it } from 'vitest';
import { maxPoolGradCases, sumCases } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';

for (const [title, cases] of [['wasm MaxPoolGrad matches cpu', maxPoolGradCases()], ['wasm Sum matches cpu', sumCases()]] as const) {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const ref = await outputsOn('cpu', c.run);
        const got = await outputsOn('wasm', c.run);
        for (let k = 0; k < ref.length; k++) {
          expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
          expect(relError(got[k].values, ref[k].values), `output ${k}`).toBeLessThan(c.tolerance);
        }
      });
    }
  });
}
