/**
 * Whether the WebGPU tests run here. On a CPU machine the adapter is lavapipe, a CPU emulation on which
 * they take minutes, so they run only when asked: XP_WEBGPU_TESTS=1, or XP_REQUIRE_WEBGPU=1 (CI's WebGPU
 * step, after `xp setup webgpu`), where an adapter that is missing fails the run instead of skipping it.
 */
import { missingWebgpuPackages, probeAdapter, type AdapterInfo } from './dawn.ts';

const asked = process.env.XP_WEBGPU_TESTS === '1' || process.env.XP_REQUIRE_WEBGPU === '1';

async function adapterHere(): Promise<AdapterInfo | undefined> {
  if (!asked || missingWebgpuPackages().length > 0) return undefined;
  return probeAdapter().catch(() => undefined);
}

export const WEBGPU_ADAPTER = await adapterHere();
export const WEBGPU_READY = WEBGPU_ADAPTER !== undefined;

if (!WEBGPU_READY && process.env.XP_REQUIRE_WEBGPU === '1') {
  throw new Error('XP_REQUIRE_WEBGPU=1 but the webgpu backend has no adapter here: run `npx xp setup webgpu`, which says what is missing');
}
const SKIP_REASON = asked ? 'skipped: no WebGPU adapter here (npx xp setup webgpu)' : 'skipped: set XP_WEBGPU_TESTS=1 to run them (minutes on a CPU emulation)';
if (!WEBGPU_READY) process.stderr.write(`webgpu tests ${SKIP_REASON}\n`);

export function webgpuTitle(title: string): string {
  return WEBGPU_READY ? `${title} (on ${WEBGPU_ADAPTER!.description || WEBGPU_ADAPTER!.device})` : `${title} (${SKIP_REASON})`;
}
