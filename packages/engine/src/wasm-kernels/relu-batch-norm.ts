/**
 * Kernels behind the engine's fused `reluBatchNorm` op (see ../ops.ts): training-mode
 * ReLU → batch norm (batch statistics over N,H,W) → optional per-(sample, channel) scaling
 * (Dropout2d's mask), forward and backward, as two passes each over the NHWC data.
 *
 * Composed from stock ops this block costs a dozen kernels per direction, each a full pass over
 * the activation plus broadcasts (Tile) and axis reductions (Transpose + Sum); on `wasm` those
 * were the second-largest cost of a training step. Here the data stay on the wasm heap and are
 * read through Float32Array views.
 *
 * When the channel count is a multiple of 4 the loops run as WebAssembly SIMD (./simd.ts).
 * Otherwise they are JavaScript, generated per channel count (see `loops`) because V8 then keeps every channel's
 * accumulator in a local instead of a typed-array slot, and ReLU is written branch-free: with
 * about half the activations negative a data-dependent branch mispredicts constantly, which made
 * the straightforward loops 5× slower.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { activeCollective } from '../collective.ts';
import { simdLoops } from './simd.ts';
import { f32, type TensorInfo, type Wasm } from './util.ts';

export const RELU_BN_FORWARD = 'XpReluBatchNorm';
export const RELU_BN_BACKWARD = 'XpReluBatchNormGrad';

export interface ReluBnAttrs {
  epsilon: number;
  relu: boolean;
}

type F32 = Float32Array;
type F64 = Float64Array;
interface Loops {
  /** s1[c] += Σ (a − shift[c]), s2[c] += Σ (a − shift[c])² over elements [0, size). */
  stats(X: F32, size: number, shift: F64, s1: F64, s2: F64): void;
  /** Y = a·scale[c] + offset[c] over [start, end). */
  normalize(X: F32, Y: F32, start: number, end: number, scale: F32, offset: F32): void;
  /** u[c] = Σ dy, w[c] = Σ dy·(a − mean[c]) over [start, end). */
  gradStats(X: F32, DY: F32, start: number, end: number, mean: F32, u: F64, w: F64): void;
  /** DX = (g[c]·dy + p[c]·a + q[c]) · relu'(x) over [start, end). */
  grad(X: F32, DY: F32, DX: F32, start: number, end: number, g: F32, p: F32, q: F32): void;
}

/** Channels per generated loop body; wider bodies spill more accumulators than they save. */
const BLOCK = 16;
const cache = new Map<string, Loops>();

function loops(channels: number, relu: boolean): Loops {
  const key = `${channels}:${relu}`;
  let l = cache.get(key);
  if (l) return l;
  // a = relu(v) without a branch: (v + |v|) / 2 is exact for every finite float.
  const act = (v: string) => (relu ? `${v} = (${v} + Math.abs(${v})) * 0.5;` : '');
  const blocks: [number, number][] = [];
  for (let c0 = 0; c0 < channels; c0 += BLOCK) blocks.push([c0, Math.min(BLOCK, channels - c0)]);
  const each = (cb: number, f: (k: number) => string) => Array.from({ length: cb }, (_, k) => f(k)).join('\n');
  const C = channels;

  const stats = blocks.map(([c0, cb]) => `{
    ${each(cb, (k) => `const h${k} = shift[${c0 + k}]; let a${k} = 0, b${k} = 0;`)}
    for (let i = ${c0}; i < size; i += ${C}) {
      ${each(cb, (k) => `v = X[i + ${k}]; ${act('v')} v -= h${k}; a${k} += v; b${k} += v * v;`)}
    }
    ${each(cb, (k) => `s1[${c0 + k}] += a${k}; s2[${c0 + k}] += b${k};`)}
  }`).join('\n');
  const normalize = blocks.map(([c0, cb]) => `{
    ${each(cb, (k) => `const s${k} = scale[${c0 + k}], o${k} = offset[${c0 + k}];`)}
    for (let i = start + ${c0}; i < end; i += ${C}) {
      ${each(cb, (k) => `v = X[i + ${k}]; ${act('v')} Y[i + ${k}] = v * s${k} + o${k};`)}
    }
  }`).join('\n');
  const gradStats = blocks.map(([c0, cb]) => `{
    ${each(cb, (k) => `const m${k} = mean[${c0 + k}]; let u${k} = 0, w${k} = 0;`)}
    for (let i = start + ${c0}; i < end; i += ${C}) {
      ${each(cb, (k) => `v = X[i + ${k}]; ${act('v')} d = DY[i + ${k}]; u${k} += d; w${k} += d * (v - m${k});`)}
    }
    ${each(cb, (k) => `u[${c0 + k}] = u${k}; w[${c0 + k}] = w${k};`)}
  }`).join('\n');
  // Multiplying by the comparison keeps the ReLU mask branch-free too.
  const gradBody = (k: number) => relu
    ? `v = X[i + ${k}]; DX[i + ${k}] = (g${k} * DY[i + ${k}] + p${k} * v + q${k}) * (v > 0);`
    : `DX[i + ${k}] = g${k} * DY[i + ${k}] + p${k} * X[i + ${k}] + q${k};`;
  const grad = blocks.map(([c0, cb]) => `{
    ${each(cb, (k) => `const g${k} = g[${c0 + k}], p${k} = p[${c0 + k}], q${k} = q[${c0 + k}];`)}
    for (let i = start + ${c0}; i < end; i += ${C}) {
      ${each(cb, gradBody)}
    }
  }`).join('\n');
  const fn = (args: string, body: string) => new Function(...args.split(','), `'use strict'; let v = 0, d = 0;\n${body}`);
  l = {
    stats: fn('X,size,shift,s1,s2', stats),
    normalize: fn('X,Y,start,end,scale,offset', normalize),
    gradStats: fn('X,DY,start,end,mean,u,w', gradStats),
    grad: fn('X,DY,DX,start,end,g,p,q', grad),
  } as unknown as Loops;
  cache.set(key, l);
  return l;
}

/** Pixels per SIMD stats call: bounds the float32 lane sums before they are added in float64. */
const CHUNK = 1024;
const adapters = new WeakMap<object, Map<string, Loops>>();

/**
 * The `Loops` interface on top of the SIMD module (./simd.ts) when the channel count is a
 * multiple of 4. The typed arrays passed in are views of the wasm heap, so their byteOffset is
 * the heap address the SIMD code needs; per-channel parameters go through a small scratch area.
 */
function simdAdapter(backend: Wasm, c: number, relu: boolean): Loops | null {
  const simd = simdLoops(backend, c, relu);
  if (!simd) return null;
  const mod = backend.wasm as unknown as { asm: { memory: WebAssembly.Memory }; _malloc(n: number): number };
  const memory = mod.asm.memory;
  let perMemory = adapters.get(memory);
  if (!perMemory) adapters.set(memory, (perMemory = new Map()));
  const key = `${c}:${relu}`;
  const cached = perMemory.get(key);
  if (cached) return cached;
  const base = mod._malloc(4 * 4 * c) >>> 0;
  const slot = (i: number) => base + 4 * c * i;
  const view = (i: number) => new Float32Array(memory.buffer, slot(i), c);
  const put = (i: number, a: ArrayLike<number>) => view(i).set(a);
  const B = 4 * c;
  const adapter: Loops = {
    stats(X, size, shift, s1, s2) {
      put(0, shift);
      const pixels = size / c;
      for (let p = 0; p < pixels; p += CHUNK) {
        simd.stats(X.byteOffset + p * B, Math.min(CHUNK, pixels - p), slot(0), slot(1), slot(2));
        const a = view(1);
        const b = view(2);
        for (let ch = 0; ch < c; ch++) {
          s1[ch] += a[ch];
          s2[ch] += b[ch];
        }
      }
    },
    normalize(X, Y, start, end, scale, offset) {
      put(0, scale);
      put(1, offset);
      simd.normalize(X.byteOffset + start * 4, Y.byteOffset + start * 4, (end - start) / c, slot(0), slot(1));
    },
    gradStats(X, DY, start, end, mean, u, w) {
      put(0, mean);
      u.fill(0);
      w.fill(0);
      for (let i = start; i < end; i += CHUNK * c) {
        simd.gradStats(X.byteOffset + i * 4, DY.byteOffset + i * 4, Math.min(CHUNK, (end - i) / c), slot(0), slot(1), slot(2));
        const a = view(1);
        const b = view(2);
        for (let ch = 0; ch < c; ch++) {
          u[ch] += a[ch];
          w[ch] += b[ch];
        }
      }
    },
    grad(X, DY, DX, start, end, g, p, q) {
      put(0, g);
      put(1, p);
      put(2, q);
      simd.grad(X.byteOffset + start * 4, DY.byteOffset + start * 4, DX.byteOffset + start * 4, (end - start) / c,
        slot(0), slot(1), slot(2));
    },
  };
  perMemory.set(key, adapter);
  return adapter;
}

function forward(args: {
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo; mask?: TensorInfo };
  backend: Wasm;
  attrs: ReluBnAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const [n, h, w, c] = inputs.x.shape;
  const plane = h * w * c;
  const count = n * h * w;
  const size = count * c;
  // First, since setting up the SIMD loops may allocate and so invalidate heap views.
  const L = simdAdapter(backend, c, attrs.relu) ?? loops(c, attrs.relu);
  const y = backend.makeOutput(inputs.x.shape, 'float32');
  const meanOut = backend.makeOutput([c], 'float32');
  const varOut = backend.makeOutput([c], 'float32');
  const X = f32(backend, inputs.x);
  const Y = f32(backend, y);
  const G = f32(backend, inputs.gamma);
  const B = f32(backend, inputs.beta);
  const M = inputs.mask ? f32(backend, inputs.mask) : null;

  // Shifting by one sample per channel keeps the one-pass variance free of cancellation.
  const shift = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) shift[ch] = attrs.relu ? Math.max(0, X[ch]) : X[ch];
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  if (size > 0) L.stats(X, size, shift, s1, s2);
  // Per-channel count, mean and sum of squared deviations; under data parallelism the ranks'
  // are merged with Chan et al.'s pairwise update, so every rank normalizes by the global batch.
  let total = count;
  const mus = new Float64Array(c);
  const m2s = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    mus[ch] = shift[ch] + s1[ch] / count;
    m2s[ch] = Math.max(0, s2[ch] - (s1[ch] * s1[ch]) / count);
  }
  const group = activeCollective();
  if (group) {
    const local = new Float64Array(1 + 2 * c);
    local[0] = count;
    local.set(mus, 1);
    local.set(m2s, 1 + c);
    const parts = group.allGather(local);
    total = 0;
    mus.fill(0);
    m2s.fill(0);
    for (const part of parts) {
      const nb = part[0];
      const nt = total + nb;
      for (let ch = 0; ch < c; ch++) {
        const delta = part[1 + ch] - mus[ch];
        mus[ch] += (delta * nb) / nt;
        m2s[ch] += part[1 + c + ch] + (delta * delta * total * nb) / nt;
      }
      total = nt;
    }
  }
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  const mean = f32(backend, meanOut);
  const variance = f32(backend, varOut);
  for (let ch = 0; ch < c; ch++) {
    const v = m2s[ch] / total;
    const mu = mus[ch];
    mean[ch] = mu;
    variance[ch] = v;
    const sc = G[ch] / Math.sqrt(v + attrs.epsilon);
    scale[ch] = sc;
    offset[ch] = B[ch] - mu * sc;
  }
  if (!M) {
    L.normalize(X, Y, 0, size, scale, offset);
  } else {
    const sc = new Float32Array(c);
    const of = new Float32Array(c);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const k = M[b * c + ch];
        sc[ch] = scale[ch] * k;
        of[ch] = offset[ch] * k;
      }
      L.normalize(X, Y, b * plane, (b + 1) * plane, sc, of);
    }
  }
  return [y, meanOut, varOut];
}

function backward(args: {
  inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo; mask?: TensorInfo };
  backend: Wasm;
  attrs: ReluBnAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const [n, h, w, c] = inputs.x.shape;
  const plane = h * w * c;
  const count = n * h * w;
  const L = simdAdapter(backend, c, attrs.relu) ?? loops(c, attrs.relu);
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  const dgammaOut = backend.makeOutput([c], 'float32');
  const dbetaOut = backend.makeOutput([c], 'float32');
  const X = f32(backend, inputs.x);
  const DY = f32(backend, inputs.dy);
  const DX = f32(backend, dx);
  const G = f32(backend, inputs.gamma);
  const VAR = f32(backend, inputs.variance);
  const M = inputs.mask ? f32(backend, inputs.mask) : null;
  const mean = Float32Array.from(f32(backend, inputs.mean));

  // With g = dy·mask the gradient at the batch-norm output, dβ = Σg and dγ = σ⁻¹·Σg·(a−μ).
  // The mask is constant per (sample, channel), so it multiplies per-sample partial sums.
  const sg = new Float64Array(c);
  const sgx = new Float64Array(c);
  const u = new Float64Array(c);
  const wv = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    L.gradStats(X, DY, b * plane, (b + 1) * plane, mean, u, wv);
    for (let ch = 0; ch < c; ch++) {
      const k = M ? M[b * c + ch] : 1;
      sg[ch] += k * u[ch];
      sgx[ch] += k * wv[ch];
    }
  }
  // Under data parallelism dx needs the sums over the global batch, but dγ and dβ stay this
  // rank's share: the trainer averages parameter gradients across ranks afterwards.
  let total = count;
  const gsg = Float64Array.from(sg);
  const gsgx = Float64Array.from(sgx);
  const group = activeCollective();
  if (group) {
    const sums = new Float64Array(1 + 2 * c);
    sums[0] = count;
    sums.set(sg, 1);
    sums.set(sgx, 1 + c);
    group.allReduceSum(sums);
    total = sums[0];
    gsg.set(sums.subarray(1, 1 + c));
    gsgx.set(sums.subarray(1 + c));
  }
  const dgamma = f32(backend, dgammaOut);
  const dbeta = f32(backend, dbetaOut);
  // da = γσ⁻¹·(g − Σg/N − x̂·dγ/N) = c1·g + c2·a + c0, zeroed where the ReLU was off.
  const c1 = new Float32Array(c);
  const c2 = new Float32Array(c);
  const c0 = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    const is = 1 / Math.sqrt(VAR[ch] + attrs.epsilon);
    dgamma[ch] = sgx[ch] * is;
    dbeta[ch] = sg[ch];
    const dg = gsgx[ch] * is;
    const kk = G[ch] * is;
    const p = (-kk * is * dg) / total;
    c1[ch] = kk;
    c2[ch] = p;
    c0[ch] = (-kk * gsg[ch]) / total - mean[ch] * p;
  }
  if (!M) {
    L.grad(X, DY, DX, 0, count * c, c1, c2, c0);
  } else {
    const g1 = new Float32Array(c);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) g1[ch] = c1[ch] * M[b * c + ch];
      L.grad(X, DY, DX, b * plane, (b + 1) * plane, g1, c2, c0);
    }
  }
  return [dx, dgammaOut, dbetaOut];
}

export const reluBatchNormConfig: KernelConfig = {
  kernelName: RELU_BN_FORWARD,
  backendName: 'wasm',
  kernelFunc: forward as unknown as KernelFunc,
};

export const reluBatchNormGradConfig: KernelConfig = {
  kernelName: RELU_BN_BACKWARD,
  backendName: 'wasm',
  kernelFunc: backward as unknown as KernelFunc,
};
