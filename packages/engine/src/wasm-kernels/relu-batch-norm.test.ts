import { describe, expect, it } from 'vitest';
import { reluBatchNormCases } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';

describe('reluBatchNorm on wasm (fused kernels) matches the stock composition on cpu', () => {
  for (const c of reluBatchNormCases()) {
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
