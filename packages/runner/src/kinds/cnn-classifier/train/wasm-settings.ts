/**
 * A run's wasm arithmetic (train.fusedMultiplyAdd, train.winograd) and kernel threads, applied to
 * the running backend before the run computes anything: the backend is one per process, so each
 * run (and each data-parallel worker, and each `xp bench`) sets its own. Off wasm, nothing to set.
 */
import * as tf from '@tensorflow/tfjs';
import type { ResolvedCnnSpec } from '@xp/core';
import { configureWasm, type WasmSettings } from '@xp/engine';

/** What took effect, or null off the wasm backend. */
export async function applyWasmSettings(spec: ResolvedCnnSpec, kernelThreads: number): Promise<WasmSettings | null> {
  if (tf.getBackend() !== 'wasm') return null;
  return configureWasm({ kernelThreads, fusedMultiplyAdd: spec.train.fusedMultiplyAdd, winograd: spec.train.winograd });
}

/**
 * The run's tags for what changes its numbers in the last bits: fused multiply-adds and Winograd's
 * transforms round differently, and kernel threads sum filter gradients in groups of their count.
 */
export function wasmTags(settings: WasmSettings | null): Record<string, string> {
  if (!settings) return {};
  return {
    ...(settings.fusedMultiplyAdd ? { 'xp.wasm.fma': 'true' } : {}),
    ...(settings.winograd ? { 'xp.wasm.winograd': 'true' } : {}),
    ...(settings.kernelThreads > 1 ? { 'xp.wasm.kernelThreads': String(settings.kernelThreads) } : {}),
  };
}
