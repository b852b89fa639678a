/**
 * The gradient-equivalence cases the wasm kernels and the native backend pass, on webgpu: same cases,
 * same shapes, same bounds (relative to the cpu backend's largest value). In CI the adapter is
 * lavapipe; on a GPU machine bench/gpu/run.sh runs this file on the GPU.
 */
import { describe, expect, it } from 'vitest';
import { gradientEquivalenceCases, type EquivalenceCase } from '../equivalence-cases.ts';
import { outputsOn, relError } from '../test-util.ts';
import { WEBGPU_READY, webgpuTitle } from './test-guard.ts';

const suites = new Map<string, EquivalenceCase[]>();
for (const c of gradientEquivalenceCases()) suites.set(c.suite, [...(suites.get(c.suite) ?? []), c]);

for (const [suite, cases] of suites) {
  describe.runIf(WEBGPU_READY)(webgpuTitle(`'webgpu' ${suite} matches cpu`), () => {
    for (const c of cases) {
      it(c.name, async () => {
        const ref = await outputsOn('cpu', c.run);
        const got = await outputsOn('webgpu', c.run);
        expect(got).toHaveLength(ref.length);
        for (let k = 0; k < ref.length; k++) {
          expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
          expect(relError(got[k].values, ref[k].values), `output ${k}`).toBeLessThan(c.tolerance);
        }
      }, 120_000);
    }
  });
}
