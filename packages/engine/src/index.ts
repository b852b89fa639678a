/**
 * @xp/engine, xp's compute engine: backend selection, fast `wasm` kernels for training convnets, fused
 * training ops, and a training-step benchmark.
 *
 * API for model layers and the training loop:
 *
 * - `selectBackend(request)` activates 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' or, for
 *   'auto', the first that starts of AUTO_ORDER (a GPU actually used, then wasm, then cpu: the native
 *   CPU backend only by name, or when the runner measured it faster); throws
 *   `BackendUnavailableError` (with `.install`: the `xp setup` command) for an absent one.
 *   `nativeInstalled(kind)` says whether `xp setup` installed a native package, without loading it.
 *   'webgpu' is TensorFlow.js's WebGPU backend on Dawn (npm `webgpu`, over Vulkan); `webgpuGpuAdapter()`
 *   says whether its adapter is a real GPU (auto's condition; lavapipe and SwiftShader are not).
 *   On wasm it installs the engine's kernels (Conv2DBackpropFilter, which wasm lacks, as a direct
 *   WebAssembly-SIMD kernel; Conv2DBackpropInput as an XNNPACK forward convolution; faster
 *   MaxPoolGrad, Sum and a copy-free Identity), so stock tf ops and tf.layers models train there.
 *   `configureWasm({kernelThreads, fusedMultiplyAdd, winograd})` then sets how they compute (kernel
 *   threads: every kernel split over that many threads of this process, on a heap shared with them).
 *
 * - `reluBatchNorm(x, gamma, beta, {epsilon, relu, dropoutRate | dropoutMask})` → `{y, mean,
 *   variance, count}`: the training-mode "ReLU → BatchNorm → Dropout2d" tail of a conv block
 *   (NHWC) as one differentiable op (gradients for x, gamma, beta). Layers should call it in
 *   training instead of composing tf.relu / tf.moments / tf.batchNorm / a dropout multiply: on
 *   wasm that composition costs more than the convolutions. Update running statistics from the
 *   returned `mean`/`variance` (biased; × count/(count−1) for PyTorch's unbiased running_var). In
 *   inference use `tf.batchNorm(tf.relu(x), runningMean, runningVar, beta, gamma, epsilon)`.
 *   On other backends it runs the stock composition, so no branching is needed.
 *
 * - For a network's first convolution use `tf.conv2d` + `tf.add(bias)` rather than
 *   `tf.fused.conv2d`: the fused op's gradient also computes the input's gradient, which the
 *   data never need (about 10 ms a step for the seed network on wasm).
 *
 * - `createDataParallelTrainer({workers, setupModule, batchSize, xShape, yShape})` → `{step(x, y,
 *   {lr}), getWeights(), exportState(), importState(state), close()}`: one training run on several
 *   cores (a wasm instance computes on one). Each worker thread builds the model from `setupModule`
 *   (exports `setup(args, {rank, size})` returning `{variables, loss(x, y, slice), apply(grads, lr)
 *   | optimizer, state?(), exportState?(), importState?(state)}`) and trains on its slice of each
 *   batch; batch norm inside `reluBatchNorm` is synchronized across workers and each slice's
 *   gradient is weighted by its share of the batch and summed, so a step matches a single-process
 *   step on the whole batch to float rounding (tested to 1e-5). Evaluate by copying
 *   `exportState()` (or `getWeights()`) into a main-thread model. The runner's cnn-classifier kind
 *   wires it in through its train/parallel.ts. Alternatively run independent sweep variants in
 *   separate processes (see BENCHMARKS.md for what each gains).
 *
 * - `benchTrainStep(modelOrStep, {batchSize, batches, warmup})` → `{backend, batchSize, threads,
 *   msPerBatch, imagesPerSec, samplesMs}` for `xp bench`.
 */
export {
  selectBackend,
  configureWasm,
  currentBackend,
  nativeInstalled,
  gpuCandidate,
  webgpuGpuAdapter,
  AUTO_ORDER,
  BackendUnavailableError,
  EnvironmentVariableError,
  type BackendRequest,
  type SelectedBackend,
  type WasmSettings,
} from './backend.ts';
export { describeAdapter, isSoftwareAdapter, missingWebgpuPackages, probeAdapter, WEBGPU_PACKAGES, type AdapterInfo } from './webgpu/dawn.ts';
export { findVulkan, vulkanProblems, type VulkanStack } from './webgpu/vulkan.ts';
export { conv2dOfData, reluBatchNorm, dropout2dMask, sgdMomentumUpdate, type DataConv2dOptions, type ReluBatchNormOptions, type ReluBatchNormResult, type SgdMomentumSettings } from './ops.ts';
export { registerWasmKernels } from './wasm-kernels/register.ts';
export { fusedMultiplyAdd } from './wasm-kernels/simd.ts';
export { winograd } from './wasm-kernels/winograd.ts';
export { kernelThreads, kernelThreadsStarted, useKernelThreads } from './wasm-kernels/threads.ts';
export {
  createDataParallelTrainer,
  batchSlice,
  type BatchSlice,
  type StepOptions,
  type TaskState,
  type DataParallelOptions,
  type DataParallelTask,
  type DataParallelTrainer,
} from './parallel.ts';
export { benchTrainStep, type BenchOptions, type BenchResult, type StepFn } from './bench.ts';
