/**
 * `backend: auto` for a cnn-classifier variant: @xp/native's rule (a GPU TensorFlow uses; else the
 * native CPU backend and WebGPU, where its adapter is a real GPU, against the wasm engine, by a
 * measurement of this model recorded per machine),
 * with the runner supplying what only it can: timing the spec's own training step.
 */
import type { ResolvedCnnSpec } from '@xp/core';
import type { AutoDecision, MeasuredBackend, StepTime } from '@xp/native';

export interface AutoBackendOptions {
  env: NodeJS.ProcessEnv;
  /** Measure again and replace the record (`xp bench --backend all`). */
  remeasure?: boolean;
  /** Timed steps per backend when measuring. */
  batches?: number;
  warmup?: number;
  /** Overrides the spec's train.workers while measuring (`xp bench --workers`). */
  workers?: 'auto' | number;
  /** Each backend's full bench result as it is measured (for `xp bench --backend all`'s table). */
  onMeasured?: (backend: MeasuredBackend, result: import('./bench-spec.ts').SpecBenchResult) => void;
}

export async function autoBackendFor(spec: ResolvedCnnSpec, options: AutoBackendOptions): Promise<AutoDecision> {
  const { gpuCandidate, nativeInstalled, selectBackend, webgpuGpuAdapter, BackendUnavailableError } = await import('@xp/engine/backend');
  const { chooseAuto, measurementKey, installedTensorflowVersion } = await import('@xp/native');
  const { benchSpecTraining } = await import('./bench-spec.ts');
  let gpu = false;
  if (gpuCandidate()) {
    try {
      await selectBackend('tensorflow-gpu');
      gpu = true;
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
    }
  }
  // Only asked when the choice is open: Dawn is loaded just to read the adapter's name.
  const webgpu = gpu ? undefined : await webgpuGpuAdapter();
  const measure = async (backend: MeasuredBackend, batches: number): Promise<StepTime> => {
    await selectBackend(backend);
    const result = await benchSpecTraining(spec, { batches, warmup: options.warmup ?? 2, workers: options.workers });
    options.onMeasured?.(backend, result);
    return { msPerBatch: result.msPerBatch, threads: result.threads, workers: result.workers };
  };
  return chooseAuto({
    presence: { gpu, nativeCpu: nativeInstalled('tensorflow'), wasm: true, webgpu: webgpu !== undefined },
    key: measurementKey({
      model: spec.model,
      batchSize: spec.train.batchSize,
      workers: options.workers ?? spec.train.workers,
      tensorflow: installedTensorflowVersion('cpu'),
      webgpu: webgpu ? `${webgpu.vendor} ${webgpu.device} ${webgpu.description}` : undefined,
    }),
    label: `${spec.name}, batch ${spec.train.batchSize}`,
    env: options.env,
    measure,
    batches: options.batches,
    remeasure: options.remeasure,
  });
}
