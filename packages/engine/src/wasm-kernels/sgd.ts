/**
 * One SGD-with-momentum update of every variable in one kernel call, for `wasm`. The stock
 * composition (./ops.ts `sgdMomentumUpdate`'s fallback) runs four or five small kernels and two
 * scalar uploads per variable, about 130 calls a step for the seed network; here one loop in
 * JavaScript does the same float32 operations in the same order, each rounded with Math.fround (a
 * float32 product or sum computed in float64 and rounded once is the float32 result), so the
 * weights come out with the composition's bits.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { f32, type TensorInfo, type Wasm } from './util.ts';

export const SGD_MOMENTUM = 'XpSgdMomentum';

export interface SgdMomentumAttrs {
  /** Variables; inputs are w0, g0, v0 (when momentum > 0), w1, … */
  count: number;
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** Outputs: each variable's new value, then (momentum > 0) its new velocity: [w0', v0', w1', v1', …]. */
function sgdMomentum(args: { inputs: Record<string, TensorInfo>; backend: Wasm; attrs: SgdMomentumAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { count } = attrs;
  const lr = Math.fround(attrs.lr);
  const m = Math.fround(attrs.momentum);
  const wd = Math.fround(attrs.weightDecay);
  const withMomentum = attrs.momentum > 0;
  const decay = attrs.weightDecay > 0;
  const outputs: TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const w = inputs[`w${i}`];
    outputs.push(backend.makeOutput(w.shape, 'float32'));
    if (withMomentum) outputs.push(backend.makeOutput(w.shape, 'float32'));
  }
  // Views only after every allocation: an allocation may grow the heap and detach them.
  const per = withMomentum ? 2 : 1;
  for (let i = 0; i < count; i++) {
    const W = f32(backend, inputs[`w${i}`]);
    const G = f32(backend, inputs[`g${i}`]);
    const V = withMomentum ? f32(backend, inputs[`v${i}`]) : null;
    const outW = f32(backend, outputs[per * i]);
    const outV = withMomentum ? f32(backend, outputs[per * i + 1]) : null;
    for (let k = 0; k < W.length; k++) {
      const g = decay ? Math.fround(G[k] + Math.fround(W[k] * wd)) : G[k];
      const step = V ? Math.fround(Math.fround(V[k] * m) + g) : g;
      if (outV) outV[k] = step;
      outW[k] = Math.fround(W[k] - Math.fround(step * lr));
    }
  }
  return outputs;
}

export const sgdMomentumConfig: KernelConfig = {
  kernelName: SGD_MOMENTUM,
  backendName: 'wasm',
  kernelFunc: sgdMomentum as unknown as KernelFunc,
};
