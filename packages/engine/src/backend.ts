/**
 * Chooses the TensorFlow.js backend a run trains on.
 *
 * The native backends are not npm dependencies: `xp setup native` / `xp setup gpu` (@xp/native)
 * build @tensorflow/tfjs-node(-gpu) against TensorFlow's PyPI wheel, because the packages' own
 * install downloads an old libtensorflow from a bucket many machines cannot reach. So they are loaded
 * with a dynamic import and their absence is an ordinary, typed outcome rather than a crash.
 *
 * 'auto' here is the choice that needs no measurement: a native backend that actually uses a GPU,
 * else xp's wasm engine, else cpu. The native CPU backend is taken only when named, or when the
 * runner has measured it faster than the wasm engine for the model at hand (@xp/native's auto rule):
 * on small networks it is slower. WebGPU (Dawn, `webgpu`) is like the native CPU backend here: taken
 * only when named, or when the runner has measured it faster on an adapter that is a real GPU.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmKernels } from './wasm-kernels/register.ts';
import { fusedMultiplyAdd, relaxedSimdAvailable, setFusedMultiplyAdd } from './wasm-kernels/simd.ts';
import { heapMemory, isShared, loadWithSharedHeap } from './wasm-kernels/shared-heap.ts';
import { kernelThreads, kernelThreadsStarted, startKernelThreads, useKernelThreads } from './wasm-kernels/threads.ts';
import { setWinograd, winograd } from './wasm-kernels/winograd.ts';
import { describeAdapter, installDawn, missingWebgpuPackages, probeAdapter, type AdapterInfo } from './webgpu/dawn.ts';
import { findVulkan, vulkanProblems } from './webgpu/vulkan.ts';

export type BackendRequest = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface SelectedBackend {
  /** What was selected, in the request's vocabulary ('tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'). */
  name: Exclude<BackendRequest, 'auto'>;
  /** Cores one training process can keep busy on this backend. */
  threads: number;
  /** webgpu: the adapter it computes on. */
  adapter?: AdapterInfo;
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

/** An XP_* environment variable the engine reads holds a value it cannot use; `variable` names it. */
export class EnvironmentVariableError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'EnvironmentVariableError';
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

const NATIVE_PACKAGE = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;
const SETUP_COMMAND = { 'tensorflow-gpu': 'npx xp setup gpu', tensorflow: 'npx xp setup native' } as const;

/** Whether `xp setup native` (tensorflow) or `xp setup gpu` (tensorflow-gpu) has installed the package; nothing is loaded. */
export function nativeInstalled(kind: 'tensorflow-gpu' | 'tensorflow'): boolean {
  try {
    createRequire(import.meta.url).resolve(NATIVE_PACKAGE[kind]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether 'auto' should try the GPU package at all: it is installed and an NVIDIA kernel driver is
 * loaded. Without a driver, loading it would only start TensorFlow on the CPU (and register a second
 * 'tensorflow' backend next to the CPU package's, with a warning per kernel).
 */
export function gpuCandidate(): boolean {
  return nativeInstalled('tensorflow-gpu') && existsSync('/proc/driver/nvidia/version');
}

async function tryNative(kind: 'tensorflow-gpu' | 'tensorflow'): Promise<SelectedBackend> {
  const pkg = NATIVE_PACKAGE[kind];
  const install = SETUP_COMMAND[kind];
  const needs = kind === 'tensorflow-gpu'
    ? ' (it fetches TensorFlow 2.21 and CUDA 12 from PyPI and builds the binding: needs pip, a C++ compiler and an NVIDIA driver)'
    : ' (it fetches TensorFlow 2.21 from PyPI and builds the binding: needs pip and a C++ compiler)';
  // TensorFlow's INFO lines (CPU features, oneDNN) say nothing a user can act on; warnings still show.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  let loaded: boolean;
  try {
    loaded = await importOptional(pkg);
  } catch (err) {
    throw new BackendUnavailableError(kind,
      `backend '${kind}': ${pkg} is installed but failed to load (${(err as Error).message}); rebuild it with \`${install} --force\``,
      install, err);
  }
  if (!loaded) {
    throw new BackendUnavailableError(kind, `backend '${kind}' is not set up: run \`${install}\`${needs}`, install);
  }
  // Both native packages register their backend under the name 'tensorflow'.
  if (!(await activate('tensorflow'))) {
    throw new BackendUnavailableError(kind, `backend '${kind}': ${pkg} loaded but its backend did not start; rebuild it with \`${install} --force\``, install);
  }
  if (kind === 'tensorflow-gpu' && !gpuVisible()) {
    throw new BackendUnavailableError(kind,
      `backend '${kind}': ${pkg} loaded but TensorFlow uses no GPU (no NVIDIA driver, or CUDA 12 libraries it could not load; \`${install}\` checks both)`, install);
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

/**
 * XP_WASM_FMA=1: the convolution kernels multiply-add with relaxed SIMD's fused instruction. Node 20's
 * V8 compiles relaxed SIMD only behind a flag, which is set here, before the first kernel is built
 * (flags are per process, so worker threads see it too); newer Node releases have it on.
 */
function useFusedMultiplyAdd(): void {
  if (!relaxedSimdAvailable()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  setFusedMultiplyAdd(true);
}

async function tryWasm(): Promise<SelectedBackend> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new BackendUnavailableError('wasm', 'backend \'wasm\' is not installed: run `npm install @tensorflow/tfjs-backend-wasm@4.22`',
      'npm install @tensorflow/tfjs-backend-wasm@4.22', err);
  }
  const threads = kernelThreadsRequested();
  // On the main thread the heap is always made shared, so that kernel threads can be started
  // whenever a run asks for them (configureWasm): a heap made unshared stays so for the process.
  const started = isMainThread ? await loadWithSharedHeap(() => activate('wasm')) : await activate('wasm');
  if (!started) {
    throw new BackendUnavailableError('wasm', "backend 'wasm' failed to initialize");
  }
  registerWasmKernels();
  // The environment's switches (XP_WASM_FMA=1, XP_WASM_WINOGRAD=1, XP_WASM_THREADS=n) set the
  // engine's arithmetic for programs that use it directly; the runner applies each run's spec on
  // top (configureWasm).
  if (process.env.XP_WASM_FMA === '1') useFusedMultiplyAdd();
  if (process.env.XP_WASM_WINOGRAD === '1') setWinograd(true);
  if (threads > 1) await useThreads(threads);
  return { name: 'wasm', threads: Math.max(wasm.getThreadsCount(), kernelThreads()) };
}

/** How the wasm engine computes: what a run's spec says (train.parallelism, fusedMultiplyAdd, winograd). */
export interface WasmSettings {
  /** Threads every kernel splits its work over (this thread and helpers); 1 on worker threads. */
  kernelThreads: number;
  /** Relaxed SIMD's fused multiply-add in the convolutions (where the runtime has relaxed SIMD). */
  fusedMultiplyAdd: boolean;
  /** 3×3 stride-1 convolutions by Winograd F(2×2, 3×3). */
  winograd: boolean;
}

/**
 * Sets the running wasm backend's arithmetic and kernel threads, replacing whatever was set before
 * (a process that trains several runs applies each one's). Returns what took effect: no fused
 * multiply-add where the runtime lacks relaxed SIMD, one kernel thread off the main thread or on a
 * heap that is not shared.
 */
export async function configureWasm(settings: WasmSettings): Promise<WasmSettings> {
  if (tf.getBackend() !== 'wasm') throw new Error(`configureWasm: the active backend is ${tf.getBackend()}, not wasm`);
  if (settings.fusedMultiplyAdd) useFusedMultiplyAdd();
  else setFusedMultiplyAdd(false);
  setWinograd(settings.winograd);
  await useThreads(isMainThread ? settings.kernelThreads : 1);
  return { kernelThreads: kernelThreads(), fusedMultiplyAdd: fusedMultiplyAdd(), winograd: winograd() };
}

let poolFusedMultiplyAdd = false;

/** Kernels split over `threads` from now on: a pool of helpers started (or restarted for another arithmetic) as needed. */
async function useThreads(threads: number): Promise<void> {
  const memory = heapMemory(tf.backend() as unknown as { wasm: unknown });
  const started = kernelThreadsStarted();
  if (threads > 1 && memory && isShared(memory) && (started < threads || poolFusedMultiplyAdd !== fusedMultiplyAdd())) {
    await startKernelThreads(memory, threads, fusedMultiplyAdd());
    poolFusedMultiplyAdd = fusedMultiplyAdd();
  }
  useKernelThreads(threads);
}

/**
 * XP_WASM_THREADS=n: the wasm kernels split their work over n threads of this process (intra-op,
 * wasm-kernels/threads.ts). Only on the main thread: a data-parallel worker already has its core.
 */
function kernelThreadsRequested(): number {
  const value = process.env.XP_WASM_THREADS;
  if (value === undefined || value === '' || !isMainThread) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new EnvironmentVariableError('XP_WASM_THREADS', `XP_WASM_THREADS must be a whole number from 1 to 64 (threads the wasm kernels split their work over), got '${value}'`);
  }
  return n;
}

const WEBGPU_SETUP = 'npx xp setup webgpu';

/**
 * Whether `auto` should consider WebGPU: its packages are installed and Dawn finds an adapter that
 * is a real GPU. Loads Dawn (not TensorFlow.js's backend); a CPU emulation such as lavapipe is
 * correct but slower than the wasm engine, so it is never a candidate.
 */
export async function webgpuGpuAdapter(): Promise<AdapterInfo | undefined> {
  if (missingWebgpuPackages().length > 0) return undefined;
  try {
    const adapter = await probeAdapter();
    return adapter && !adapter.software ? adapter : undefined;
  } catch {
    return undefined;
  }
}

async function tryWebgpu(): Promise<SelectedBackend> {
  const missing = missingWebgpuPackages();
  if (missing.length > 0) {
    throw new BackendUnavailableError('webgpu', `backend 'webgpu' is not set up (${missing.join(' and ')} not installed): run \`${WEBGPU_SETUP}\``, WEBGPU_SETUP);
  }
  let adapter: AdapterInfo | undefined;
  try {
    await installDawn();
    adapter = await probeAdapter();
  } catch (err) {
    throw new BackendUnavailableError('webgpu', `backend 'webgpu': Dawn (the npm package webgpu) failed to load (${(err as Error).message}); \`${WEBGPU_SETUP}\` says what is missing`, WEBGPU_SETUP, err);
  }
  if (!adapter) {
    const problems = vulkanProblems(findVulkan());
    const why = problems.length > 0 ? problems.join('; ') : 'a Vulkan driver is installed but Dawn refuses it (too old? Mesa before 23 is)';
    throw new BackendUnavailableError('webgpu', `backend 'webgpu': Dawn finds no WebGPU adapter: ${why}`, WEBGPU_SETUP);
  }
  // The backend registers itself on import, and only where navigator.gpu exists (installDawn above).
  const specifier: string = '@tensorflow/tfjs-backend-webgpu';
  await import(specifier);
  if (!(await activate('webgpu'))) {
    throw new BackendUnavailableError('webgpu', `backend 'webgpu' did not start on ${describeAdapter(adapter)}; \`${WEBGPU_SETUP}\` runs its self-test`, WEBGPU_SETUP);
  }
  return { name: 'webgpu', threads: 1, adapter };
}

async function tryCpu(): Promise<SelectedBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await activate('cpu'))) throw new BackendUnavailableError('cpu', "backend 'cpu' failed to initialize");
  return { name: 'cpu', threads: 1 };
}

/** What `auto` tries, in order, without measuring anything. */
export const AUTO_ORDER = ['tensorflow-gpu', 'wasm', 'cpu'] as const;

/**
 * Activates a backend. `auto` takes the first that works of tensorflow-gpu (only when it uses a
 * GPU), wasm, cpu; naming one that is absent throws `BackendUnavailableError` saying how to set it up.
 */
export async function selectBackend(requested: BackendRequest): Promise<SelectedBackend> {
  const attempt: Record<Exclude<BackendRequest, 'auto'>, () => Promise<SelectedBackend>> = {
    'tensorflow-gpu': () => tryNative('tensorflow-gpu'),
    tensorflow: () => tryNative('tensorflow'),
    webgpu: tryWebgpu,
    wasm: tryWasm,
    cpu: tryCpu,
  };
  if (requested !== 'auto') {
    if (!(requested in attempt)) throw new Error(`unknown backend '${String(requested)}'`);
    selected = await attempt[requested]();
    return selected;
  }
  for (const name of AUTO_ORDER) {
    if (name === 'tensorflow-gpu' && !gpuCandidate()) continue;
    try {
      selected = await attempt[name]();
      return selected;
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
    }
  }
  throw new Error('no TensorFlow.js backend could be started');
}
