/**
 * What `xp setup native` and `xp setup gpu` install: the pinned versions and, per target, which npm
 * package carries the binding and which PyPI project carries the matching libtensorflow.
 *
 * TensorFlow.js's native packages are the same binding under two names; the difference is only the
 * libtensorflow they are built against (the CPU wheel, or the CUDA 12 wheel plus NVIDIA's libraries).
 */

export type NativeTarget = 'cpu' | 'gpu';

/** The tfjs-node release whose binding is built; it matches the rest of xp's TensorFlow.js (4.22). */
export const TFJS_NODE_VERSION = '4.22.0';

/**
 * The TensorFlow release whose libtensorflow the binding is built against. Overridable
 * (`--tensorflow-version`, XP_TENSORFLOW_VERSION) because the C API tfjs-node calls has been stable
 * across 2.x; 2.21.0 is the version measured and tested.
 */
export const DEFAULT_TENSORFLOW_VERSION = '2.21.0';

/**
 * The Python version whose wheel is fetched. The shared libraries inside do not link libpython, so
 * any supported version's wheel serves; pinning one makes the download the same file on every
 * machine (a stable cache key) whatever Python runs pip.
 */
export const WHEEL_PYTHON_VERSION = '3.12';

export interface TargetInfo {
  target: NativeTarget;
  /** The npm package whose binding is built and which registers the 'tensorflow' backend. */
  npmPackage: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** The PyPI project carrying libtensorflow_cc.so.2 and libtensorflow_framework.so.2. */
  wheelProject: 'tensorflow-cpu' | 'tensorflow';
  /** The name xp's backend choice knows it by. */
  backend: 'tensorflow' | 'tensorflow-gpu';
  /** The extra of the TensorFlow wheel that names NVIDIA's CUDA 12 wheels (gpu only). */
  cudaExtra?: string;
}

export const TARGETS: Readonly<Record<NativeTarget, TargetInfo>> = {
  cpu: { target: 'cpu', npmPackage: '@tensorflow/tfjs-node', wheelProject: 'tensorflow-cpu', backend: 'tensorflow' },
  gpu: { target: 'gpu', npmPackage: '@tensorflow/tfjs-node-gpu', wheelProject: 'tensorflow', backend: 'tensorflow-gpu', cudaExtra: 'and-cuda' },
};

/** A TensorFlow version as pip takes it: digits and dots (and pre-release suffixes), nothing a shell or pip would read as an option. */
export function checkTensorflowVersion(version: string): string {
  if (!/^\d+\.\d+(\.\d+)?([a-z0-9.]*)$/i.test(version)) {
    throw new RangeError(`'${version}' is not a TensorFlow version (expected e.g. ${DEFAULT_TENSORFLOW_VERSION})`);
  }
  return version;
}
