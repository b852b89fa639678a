/**
 * Chooses the TensorFlow.js backend a run trains on.
 *
 * The native backends are optional peer dependencies (their install downloads libtensorflow,
 * which not every machine can reach), so they are loaded with a dynamic import and their absence
 * is an ordinary, typed outcome rather than a crash at startup.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmKernels } from './wasm-kernels/register.ts';

export type BackendRequest = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface SelectedBackend {
  /** What was selected, in the request's vocabulary ('tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'). */
  name: Exclude<BackendRequest, 'auto'>;
  /** Cores one training process can keep busy on this backend. */
  threads: number;
}

/** A backend named explicitly is not installed or failed to start. */
export class BackendUnavailableError extends Error {
  readonly backend: Exclude<BackendRequest, 'auto'>;
  readonly install?: string;

  constructor(backend: Exclude<BackendRequest, 'auto'>, message: string, install?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BackendUnavailableError';
    this.backend = backend;
    this.install = install;
  }
}

let selected: SelectedBackend | undefined;

/** The backend chosen by the last `selectBackend`, if any. */
export function currentBackend(): SelectedBackend | undefined {
  return selected;
}

async function importOptional(pkg: string): Promise<boolean> {
  try {
    // A variable specifier keeps TypeScript from resolving a package that is allowed to be absent.
    const specifier: string = pkg;
    await import(specifier);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return false;
    throw err;
  }
}

async function activate(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function tryNative(kind: 'tensorflow-gpu' | 'tensorflow'): Promise<SelectedBackend> {
  const pkg = kind === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const install = `npm install ${pkg}@4.22`;
  const extra = kind === 'tensorflow-gpu' ? ' (it needs CUDA 11.2 and cuDNN 8.1 and an NVIDIA GPU)' : '';
  let loaded: boolean;
  try {
    loaded = await importOptional(pkg);
  } catch (err) {
    throw new BackendUnavailableError(kind,
      `backend '${kind}': ${pkg} is installed but failed to load (${(err as Error).message}); reinstall it with \`${install}\`${extra}`,
      install, err);
  }
  if (!loaded) {
    throw new BackendUnavailableError(kind, `backend '${kind}' is not installed: run \`${install}\`${extra}`, install);
  }
  // Both native packages register their backend under the name 'tensorflow'.
  if (!(await activate('tensorflow'))) {
    throw new BackendUnavailableError(kind, `backend '${kind}': ${pkg} loaded but its backend did not start${extra}`, install);
  }
  if (kind === 'tensorflow-gpu' && !gpuVisible()) {
    throw new BackendUnavailableError(kind, `backend '${kind}': ${pkg} loaded but TensorFlow sees no GPU${extra}`, install);
  }
  return { name: kind, threads: cpuCount() };
}

function gpuVisible(): boolean {
  // tfjs-node-gpu silently falls back to the CPU when CUDA is missing; its native binding is the
  // only thing that knows (a method in some releases, a boolean in others).
  const binding = (tf.backend() as unknown as { binding?: { isUsingGpuDevice?: boolean | (() => boolean) } }).binding;
  const flag = binding?.isUsingGpuDevice;
  if (typeof flag === 'function') return flag.call(binding);
  return flag ?? true;
}

function cpuCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

async function tryWasm(): Promise<SelectedBackend> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new BackendUnavailableError('wasm', 'backend \'wasm\' is not installed: run `npm install @tensorflow/tfjs-backend-wasm@4.22`',
      'npm install @tensorflow/tfjs-backend-wasm@4.22', err);
  }
  if (!(await activate('wasm'))) {
    throw new BackendUnavailableError('wasm', "backend 'wasm' failed to initialize");
  }
  registerWasmKernels();
  return { name: 'wasm', threads: wasm.getThreadsCount() };
}

async function tryCpu(): Promise<SelectedBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await activate('cpu'))) throw new BackendUnavailableError('cpu', "backend 'cpu' failed to initialize");
  return { name: 'cpu', threads: 1 };
}

/**
 * Activates a backend. `auto` takes the first that works of tensorflow-gpu, tensorflow, wasm,
 * cpu; naming one that is absent throws `BackendUnavailableError` saying what to install.
 */
export async function selectBackend(requested: BackendRequest): Promise<SelectedBackend> {
  const attempt: Record<Exclude<BackendRequest, 'auto'>, () => Promise<SelectedBackend>> = {
    'tensorflow-gpu': () => tryNative('tensorflow-gpu'),
    tensorflow: () => tryNative('tensorflow'),
    wasm: tryWasm,
    cpu: tryCpu,
  };
  if (requested !== 'auto') {
    if (!(requested in attempt)) throw new Error(`unknown backend '${String(requested)}'`);
    selected = await attempt[requested]();
    return selected;
  }
  for (const name of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    try {
      selected = await attempt[name]();
      return selected;
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
    }
  }
  throw new Error('no TensorFlow.js backend could be started');
}
