/**
 * The last step of `xp setup webgpu`: start the backend in a fresh process and see it work (the
 * adapter Dawn found, a convolution's gradients against the `cpu` backend, one training step).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AdapterInfo } from './dawn.ts';

export interface WebgpuSelfTestReport {
  adapter: AdapterInfo;
  /** Loading Dawn and starting TensorFlow.js's backend on the adapter. */
  startMs: number;
  /** conv → relu → max pool's filter and input gradients against cpu (max |Δ| / max |g|). */
  filterGradientRelError: number;
  inputGradientRelError: number;
  /** One SGD step of a small convnet (batch 32), after one untimed step that compiles the shaders. */
  stepMs: number;
  stepLoss: number;
}

/** The same bound as the wasm kernels' and the native backend's equivalence tests. */
export const WEBGPU_GRADIENT_TOLERANCE = 1e-4;

export type SelfTestOutcome =
  | { kind: 'ran'; report: WebgpuSelfTestReport }
  | { kind: 'no-adapter' }
  | { kind: 'failed'; output: string };

const CHILD = fileURLToPath(new URL('./self-test-child.ts', import.meta.url));

export async function runWebgpuSelfTest(env: NodeJS.ProcessEnv = process.env): Promise<SelfTestOutcome> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) return { kind: 'failed', output: `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n') };
  const parsed = JSON.parse(last) as WebgpuSelfTestReport | { adapter: null };
  if (parsed.adapter === null) return { kind: 'no-adapter' };
  return { kind: 'ran', report: parsed as WebgpuSelfTestReport };
}
