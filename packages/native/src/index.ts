/**
 * Native TensorFlow for xp without TensorFlow.js's broken download: `@tensorflow/tfjs-node` (or
 * `-gpu`) built against the libtensorflow inside TensorFlow's own PyPI wheel (CPU, or CUDA 12 with
 * NVIDIA's wheels), installed and tested by `xp setup native` / `xp setup gpu`.
 *
 * - `setupNative({target, tensorflowVersion?, force?, gpuCheck?, onEvent?})` → SetupResult; throws
 *   NativeSetupError (`code`, `hint`, `detail`) for what is missing or failed.
 * - `runSetupCommand(target, options, io)` → exit code: the CLI command with progress and summary.
 * - `selfTest(npmPackage, {cwd})` → SelfTestReport: load it in a fresh process, check one gradient
 *   against the cpu backend, train one step.
 * - `chooseAuto({presence, key, measure, …})` / `decideAuto` / `decideByMeasurement`: the rule
 *   `backend: auto` follows (a GPU; else native CPU against the wasm engine by a recorded
 *   measurement of the model, native only if ≥ 10 % faster; WebGPU likewise where its adapter is a
 *   real GPU), and the measurements it keeps.
 * - `installedNative(target)`: the stamp of what `xp setup` built here (versions, wheels).
 */
export { setupNative, SETUP_STEPS, type SetupOptions, type SetupResult, type SetupEvent } from './setup.ts';
export { runSetupCommand, type SetupCommandOptions, type SetupCommandIo } from './setup-command.ts';
export { NativeSetupError, type NativeSetupErrorCode } from './errors.ts';
export { selfTest, GRADIENT_TOLERANCE, type SelfTestReport } from './self-test.ts';
export { TARGETS, TFJS_NODE_VERSION, DEFAULT_TENSORFLOW_VERSION, type NativeTarget, type TargetInfo } from './targets.ts';
export { nativeEnvironment } from './runtime-env.ts';
export {
  chooseAuto,
  decideAuto,
  decideByMeasurement,
  measurementKey,
  measurementsFile,
  readMeasurement,
  NATIVE_MARGIN,
  type AutoBackend,
  type AutoDecision,
  type ChooseOptions,
  type Measurement,
  type MeasuredBackend,
  type Presence,
  type StepTime,
} from './auto-choice.ts';
export { installedNative, installedTensorflowVersion } from './installed.ts';
