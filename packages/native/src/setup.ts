/**
 * `xp setup native` / `xp setup gpu`: TensorFlow.js's native binding built against the libtensorflow
 * in TensorFlow's own PyPI wheel, in six steps, each skipped when a previous setup already did it
 * with the same versions (so a rerun only self-tests):
 *
 *   1. check the machine (pip, compiler, Node headers; NVIDIA driver for the GPU)
 *   2. pip download the TensorFlow wheel (tensorflow-cpu, or tensorflow for the GPU) into the cache
 *   3. GPU: pip download the nvidia-*-cu12 wheels the TensorFlow wheel's `and-cuda` extra names
 *   4. npm install @tensorflow/tfjs-node(-gpu) without its install script
 *   5. place the libraries and headers in its deps/ (and NVIDIA's libraries in deps/nvidia)
 *   6. build the binding, then load it in a fresh process and train one step (the self-test)
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildBinding } from './build-binding.ts';
import { nativeCacheDir, wheelCacheDir } from './cache.ts';
import { NativeSetupError } from './errors.ts';
import { LIBRARIES, packageLayout } from './layout.ts';
import { installBindingPackage, installedVersion, packageDir, tfjsCoreVersion, tfjsRoot } from './npm-package.ts';
import { pipDownload, type DownloadProgress } from './pip-download.ts';
import { placeLibraries } from './place.ts';
import { checkCudaLibraries, type CudaLibraryCheck } from './cuda-libraries.ts';
import { checkPrerequisites, type DriverInfo } from './prerequisites.ts';
import { selfTest, type SelfTestReport } from './self-test.ts';
import { readStamp, sameStamp, writeStamp, type NativeStamp } from './stamp.ts';
import { checkTensorflowVersion, DEFAULT_TENSORFLOW_VERSION, TARGETS, TFJS_NODE_VERSION, type NativeTarget } from './targets.ts';
import { requirementsForExtra, Wheel, type ExtractProgress } from './wheel.ts';

export interface SetupOptions {
  target: NativeTarget;
  /** Default: XP_TENSORFLOW_VERSION, else DEFAULT_TENSORFLOW_VERSION. */
  tensorflowVersion?: string;
  /** Redo every step even where a previous setup's stamp says it is done. */
  force?: boolean;
  /** GPU: build even without an NVIDIA driver (an image prepared on a machine without a GPU). */
  gpuCheck?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where @tensorflow/tfjs-core lives (default: the copy this package resolves). */
  root?: string;
  onEvent?: (event: SetupEvent) => void;
}

export type SetupEvent =
  | { kind: 'step'; index: number; total: number; title: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'note'; text: string }
  | { kind: 'output'; line: string }
  | { kind: 'download'; progress: DownloadProgress }
  | { kind: 'extract'; what: string; progress: ExtractProgress };

export interface SetupResult {
  target: NativeTarget;
  npmPackage: string;
  packageDir: string;
  tensorflowVersion: string;
  wheel: string;
  cudaWheels: string[];
  driver?: DriverInfo;
  report: SelfTestReport;
  /** GPU: whether NVIDIA's placed libraries load (each with what it needs from the others). */
  cudaLibraries?: CudaLibraryCheck;
  /** Steps a previous setup had already done. */
  skipped: string[];
}

export const SETUP_STEPS = 6;

export async function setupNative(options: SetupOptions): Promise<SetupResult> {
  const env = options.env ?? process.env;
  const info = TARGETS[options.target];
  const version = checkTensorflowVersion(options.tensorflowVersion ?? env.XP_TENSORFLOW_VERSION ?? DEFAULT_TENSORFLOW_VERSION);
  const emit = options.onEvent ?? (() => {});
  const step = (index: number, title: string) => emit({ kind: 'step', index, total: SETUP_STEPS, title });
  const skipped: string[] = [];
  const skip = (name: string, reason: string) => {
    skipped.push(name);
    emit({ kind: 'skip', reason });
  };

  step(1, 'checking the machine (pip, C++ compiler, Node.js headers' + (options.target === 'gpu' ? ', NVIDIA driver)' : ')'));
  const tools = await checkPrerequisites(options.target, env, { gpuCheck: options.gpuCheck ?? true });
  emit({ kind: 'note', text: `pip ${tools.pipVersion} (${tools.python}), ${tools.compiler}, Node.js headers in ${tools.nodedir}` });
  if (options.target === 'gpu') {
    emit({ kind: 'note', text: tools.driver ? `NVIDIA driver: ${tools.driver.version ?? tools.driver.libcuda}` : 'no NVIDIA driver (--no-gpu-check): building anyway; it will run on the CPU here' });
  }

  const cache = wheelCacheDir(env);
  step(2, `fetching ${info.wheelProject}==${version} from the package index (pip download)`);
  const download = (requirements: string[]) => pipDownload(requirements, {
    python: tools.python,
    dest: cache,
    env,
    onLine: (line) => emit({ kind: 'output', line }),
    onProgress: (progress) => emit({ kind: 'download', progress }),
  });
  const [wheelPath] = await download([`${info.wheelProject}==${version}`]);
  if (!wheelPath) throw new NativeSetupError('pip-download-failed', `pip reported no wheel for ${info.wheelProject}==${version}`);
  const tensorflowWheel = new Wheel(wheelPath, tools.python);

  step(3, options.target === 'gpu' ? "fetching NVIDIA's CUDA 12 libraries (the wheel's and-cuda extra)" : 'CUDA libraries: not needed for the CPU');
  let cudaWheels: Wheel[] = [];
  if (options.target === 'gpu') {
    const requirements = requirementsForExtra(await tensorflowWheel.metadata(), info.cudaExtra!);
    if (requirements.length === 0) throw new NativeSetupError('bad-wheel', `${basename(wheelPath)} names no '${info.cudaExtra}' requirements`, { hint: 'use a TensorFlow version from 2.15 on' });
    emit({ kind: 'note', text: requirements.join(' ') });
    cudaWheels = (await download(requirements)).map((path) => new Wheel(path, tools.python));
  } else {
    emit({ kind: 'skip', reason: 'not needed' });
  }

  const root = options.root ?? tfjsRoot();
  const core = tfjsCoreVersion(root);
  if (core !== TFJS_NODE_VERSION) {
    emit({ kind: 'note', text: `warning: xp's @tensorflow/tfjs-core is ${core ?? 'missing'}, the binding package is ${TFJS_NODE_VERSION}` });
  }
  step(4, `installing ${info.npmPackage}@${TFJS_NODE_VERSION} without its install script (npm)`);
  const layout = packageLayout(packageDir(root, info.npmPackage));
  if (!options.force && installedVersion(root, info.npmPackage) === TFJS_NODE_VERSION) {
    skip('npm', `already in ${layout.root}`);
  } else {
    await installBindingPackage(root, info.npmPackage, TFJS_NODE_VERSION, { env, onLine: (line) => emit({ kind: 'output', line }) });
  }

  const stamp: NativeStamp = {
    target: options.target,
    tfjsNode: TFJS_NODE_VERSION,
    tensorflow: version,
    wheel: basename(wheelPath),
    ...(options.target === 'gpu' ? { cudaWheels: cudaWheels.map((w) => basename(w.path)).sort() } : {}),
  };

  step(5, `placing libtensorflow ${version} and its C headers in ${join(layout.root, 'deps')}`);
  const placed = sameStamp(readStamp(layout.depsStamp), stamp) && LIBRARIES.every((lib) => existsSync(join(layout.lib, lib)));
  if (!options.force && placed) {
    skip('place', 'already placed');
  } else {
    await placeLibraries({
      layout,
      tensorflowWheel,
      cudaWheels,
      stamp,
      onProgress: (what, progress) => emit({ kind: 'extract', what, progress }),
    });
  }

  step(6, 'building the binding (node-gyp) and testing it');
  const built = placed && sameStamp(readStamp(layout.buildStamp), stamp) && existsSync(layout.binding);
  if (!options.force && built) {
    skip('build', 'already built against these libraries');
  } else {
    await buildBinding({
      layout,
      nodedir: tools.nodedir,
      env,
      logFile: join(nativeCacheDir(env), `build-${options.target}.log`),
      onLine: (line) => emit({ kind: 'output', line }),
    });
    writeStamp(layout.buildStamp, stamp);
  }
  const report = await selfTest(info.npmPackage, { cwd: root, env });
  const cudaLibraries = options.target === 'gpu' ? await checkCudaLibraries(layout, tools.python) : undefined;

  return {
    target: options.target,
    npmPackage: info.npmPackage,
    packageDir: layout.root,
    tensorflowVersion: version,
    wheel: basename(wheelPath),
    cudaWheels: cudaWheels.map((w) => basename(w.path)),
    driver: tools.driver,
    report,
    ...(cudaLibraries ? { cudaLibraries } : {}),
    skipped,
  };
}
