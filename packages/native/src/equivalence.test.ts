/**
 * The gradient-equivalence cases the wasm kernels pass, on the native backend: same cases, same
 * shapes, same bounds (relative to the cpu backend's largest value).
 */
import { describe, expect, it } from 'vitest';
import { gradientEquivalenceCases, type EquivalenceCase } from '@xp/engine/equivalence-cases';
import { outputsOn, relError } from '@xp/engine/test-util';
import { NATIVE_READY, nativeTitle } from './native-test-guard.ts';

const suites = new Map<string, EquivalenceCase[]>();
for (const c of gradientEquivalenceCases()) suites.set(c.suite, [...(suites.get(c.suite) ?? []), c]);

for (const [suite, cases] of suites) {
  describe.runIf(NATIVE_READY)(nativeTitle(`native 'tensorflow' ${suite} matches cpu`), () => {
    for (const c of cases) {
      it(c.name, async () => {
        const ref = await outputsOn('cpu', c.run);
        const got = await outputsOn('tensorflow', c.run);
        expect(got).toHaveLength(ref.length);
        for (let k = 0; k < ref.length; k++) {
          expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
          expect(relError(got[k].values, ref[k].values), `output ${k}`).toBeLessThan(c.tolerance);
        }
      });
    }
  });
}
