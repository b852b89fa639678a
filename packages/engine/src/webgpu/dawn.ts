/**
 * Dawn (Chromium's WebGPU implementation) for Node, from the npm package `webgpu`: it puts a
 * `navigator.gpu` where TensorFlow.js's WebGPU backend looks for one, and says which adapter Dawn
 * found. The backend registers itself only if `navigator.gpu` exists when it is imported, so this
 * must run first; the package is an optional dependency, so its absence is an ordinary outcome.
 */
import { createRequire } from 'node:module';

/** The npm packages the WebGPU backend needs, at the versions xp is tested with. */
export const WEBGPU_PACKAGES = { webgpu: '0.6.2', '@tensorflow/tfjs-backend-webgpu': '4.22.0' } as const;

/** What Dawn says about the adapter it would compute on. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's own flag for a CPU implementation of WebGPU (lavapipe, SwiftShader). */
  isFallbackAdapter: boolean;
  /** A CPU emulation rather than a GPU: never chosen by `auto`. */
  software: boolean;
}

interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Which of the WebGPU packages are missing from this installation (nothing is loaded). */
export function missingWebgpuPackages(): string[] {
  const require = createRequire(import.meta.url);
  return Object.keys(WEBGPU_PACKAGES).filter((pkg) => {
    try {
      require.resolve(pkg);
      return false;
    } catch {
      return true;
    }
  });
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

/** A CPU emulation: Dawn's fallback flag, or a name that says so (older drivers leave the flag unset). */
export function isSoftwareAdapter(info: Omit<AdapterInfo, 'software'>): boolean {
  return info.isFallbackAdapter || info.architecture === 'software' || SOFTWARE_NAMES.test(`${info.device} ${info.description}`);
}

let gpu: DawnGpu | undefined;

/**
 * Loads Dawn once and installs `navigator.gpu` and WebGPU's constants (GPUBufferUsage, …) on
 * globalThis, which TensorFlow.js's backend reads as a browser's. Throws what Node threw if the
 * package is absent or its binary does not load.
 */
export async function installDawn(): Promise<DawnGpu> {
  if (gpu) return gpu;
  const specifier: string = 'webgpu';
  const dawn = (await import(specifier)) as DawnModule;
  const created = dawn.create([]);
  Object.assign(globalThis, dawn.globals);
  // Node 21+ defines a navigator of its own without `gpu`; keep its other fields.
  const current = (globalThis as { navigator?: object }).navigator;
  Object.defineProperty(globalThis, 'navigator', { value: { ...(current ?? {}), gpu: created }, configurable: true, writable: true });
  gpu = created;
  return created;
}

/** The adapter TensorFlow.js would take (high-performance, as its backend asks), or undefined when Dawn finds none. */
export async function probeAdapter(): Promise<AdapterInfo | undefined> {
  const adapter = await (await installDawn()).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const { vendor, architecture, device, description } = adapter.info;
  const base = { vendor, architecture, device, description, isFallbackAdapter: adapter.info.isFallbackAdapter === true };
  return { ...base, software: isSoftwareAdapter(base) };
}

/** "llvmpipe: Mesa 25.0.7 … (software)" — the adapter as one line for people. */
export function describeAdapter(info: AdapterInfo): string {
  const name = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}${info.software ? ' (a CPU emulation, not a GPU)' : ''}`;
}
