/**
 * The backend a command asked for: checked by name at once, started (TensorFlow.js and xp's wasm
 * kernels are loaded here, not at CLI start-up) when a command is about to compute. The order
 * tried for 'auto' is @xp/engine's; this module stays in the runner because an absent backend is a
 * usage error (exit 2), and it sits in run/ because a job's child process starts its backend too.
 */
import type { ExperimentSpec } from '@xp/core';
import { UsageError } from '../cli/context.ts';

export type BackendName = NonNullable<ExperimentSpec['backend']>;

export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export function checkBackendName(name: string | undefined): void {
  if (name !== undefined && !BACKEND_NAMES.includes(name as BackendName)) {
    throw new UsageError(`unknown backend '${name}': expected one of ${BACKEND_NAMES.join(', ')}`);
  }
}

/** Starts the backend; one that is not installed is a usage error naming what to install (exit 2). */
export async function startBackend(requested: BackendName): Promise<void> {
  const { BackendUnavailableError, selectBackend } = await import('@xp/engine/backend');
  await quietTensorFlow();
  try {
    await selectBackend(requested);
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Production mode silences TensorFlow.js's console banners ("install tfjs-node"), which xp's own
 * backend choice replaces with a recorded one, and skips its debug-time checks.
 */
export async function quietTensorFlow(): Promise<void> {
  (await import('@tensorflow/tfjs-core')).enableProdMode();
}
