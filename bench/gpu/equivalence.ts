/**
 * The engine's gradient-equivalence cases on webgpu against cpu, without vitest (a dev dependency the
 * GPU pack leaves out): one JSON line {"adapter", "cases": [{suite, name, relErrors, tolerance, pass}], "passed", "failed"}.
 * Exit 1 when a case fails. Usage: node --import tsx bench/gpu/equivalence.ts (run.sh does).
 */
import { gradientEquivalenceCases } from '@xp/engine/equivalence-cases';
import { outputsOn, relError } from '@xp/engine/test-util';
import { currentBackend, selectBackend } from '@xp/engine';

await selectBackend('webgpu');
const adapter = currentBackend()?.adapter;
const cases = [];
for (const c of gradientEquivalenceCases()) {
  const ref = await outputsOn('cpu', c.run);
  const got = await outputsOn('webgpu', c.run);
  const relErrors = ref.map((r, k) => (got[k] && got[k].shape.join() === r.shape.join() ? relError(got[k].values, r.values) : Infinity));
  cases.push({ suite: c.suite, name: c.name, relErrors, tolerance: c.tolerance, pass: got.length === ref.length && relErrors.every((e) => e < c.tolerance) });
}
const failed = cases.filter((c) => !c.pass).length;
process.stdout.write(`${JSON.stringify({ adapter, cases, passed: cases.length - failed, failed })}\n`);
process.exit(failed > 0 ? 1 : 0);
