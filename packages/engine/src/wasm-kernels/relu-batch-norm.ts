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
import { simdLoops, type SimdLoops } from './simd.ts';
import { defineTask, parallelFor } from './threads.ts';
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

/**
 * The SIMD path (channels a multiple of 4) as kernel tasks (./threads.ts) over the heap: the
 * statistics as float32 partial sums per chunk of CHUNK pixels (per image, for the gradient's),
 * written to scratch and added in float64 in chunk order by the caller, so a split over threads
 * gives the same bits as one thread; the elementwise passes one image per item. Per-channel
 * parameters sit in the call's scratch; `*Stride` is 0 where every image shares them.
 */
interface BnPlan {
  c: number;
  relu: boolean;
  plane: number;
  pixels: number;
  x: number;
  /** dy (backward) */
  dy: number;
  /** y (forward) or dx (backward) */
  out: number;
  /** shift (stats) or mean (gradient statistics) */
  center: number;
  partials: number;
  /** scale/offset (forward), g (backward): per image at this byte stride, or shared (0) */
  params: number;
  paramStride: number;
  /** p and q (backward) */
  p: number;
  q: number;
}

/** The SIMD loops a thread looks up once per batch-norm pass. */
const loopsOf = (heap: Wasm, pl: BnPlan): SimdLoops => simdLoops(heap, pl.c, pl.relu)!;

const bnStatsTask = defineTask('bnStats', (_heap: Wasm, pl: BnPlan, from: number, to: number, _part: number, simd: SimdLoops) => {
  const B = 4 * pl.c;
  for (let k = from; k < to; k++) {
    const at = pl.partials + 2 * k * B;
    simd.stats(pl.x + k * CHUNK * B, Math.min(CHUNK, pl.pixels - k * CHUNK), pl.center, at, at + B);
  }
}, loopsOf);

const bnNormalizeTask = defineTask('bnNormalize', (_heap: Wasm, pl: BnPlan, from: number, to: number, _part: number, simd: SimdLoops) => {
  for (let b = from; b < to; b++) {
    const params = pl.params + b * pl.paramStride;
    simd.normalize(pl.x + b * pl.plane * 4, pl.out + b * pl.plane * 4, pl.plane / pl.c, params, params + 4 * pl.c);
  }
}, loopsOf);

const bnGradStatsTask = defineTask('bnGradStats', (_heap: Wasm, pl: BnPlan, from: number, to: number, _part: number, simd: SimdLoops) => {
  const B = 4 * pl.c;
  const perImage = pl.plane / pl.c;
  const chunks = Math.ceil(perImage / CHUNK);
  for (let b = from; b < to; b++) {
    for (let j = 0; j < chunks; j++) {
      const offset = (b * perImage + j * CHUNK) * B;
      const at = pl.partials + 2 * (b * chunks + j) * B;
      simd.gradStats(pl.x + offset, pl.dy + offset, Math.min(CHUNK, perImage - j * CHUNK), pl.center, at, at + B);
    }
  }
}, loopsOf);

const bnGradTask = defineTask('bnGrad', (_heap: Wasm, pl: BnPlan, from: number, to: number, _part: number, simd: SimdLoops) => {
  for (let b = from; b < to; b++) {
    const offset = b * pl.plane * 4;
    simd.grad(pl.x + offset, pl.dy + offset, pl.out + offset, pl.plane / pl.c, pl.params + b * pl.paramStride, pl.p, pl.q);
  }
}, loopsOf);

/** A call's scratch on the heap: named float32 parts laid out one after another. */
function scratchOf<K extends string>(backend: Wasm, sizes: Record<K, number>) {
  const total = Object.values<number>(sizes).reduce((a, b) => a + b, 0);
  const info = backend.makeOutput([Math.max(1, total)], 'float32');
  const base = backend.getMemoryOffset(info.dataId);
  const start = {} as Record<K, number>;
  let at = 0;
  for (const key of Object.keys(sizes) as K[]) {
    start[key] = at;
    at += sizes[key];
  }
  return {
    ptr: (key: K) => base + 4 * start[key],
    /** A view (take it after every allocation of the call). */
    view: (key: K) => f32(backend, info).subarray(start[key], start[key] + sizes[key]),
    free: () => backend.disposeData(info.dataId),
  };
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
  const simd = simdLoops(backend, c, attrs.relu) !== null;
  const L = simd ? null : loops(c, attrs.relu);
  const y = backend.makeOutput(inputs.x.shape, 'float32');
  const meanOut = backend.makeOutput([c], 'float32');
  const varOut = backend.makeOutput([c], 'float32');
  const chunks = Math.ceil(count / CHUNK);
  const scratch = simd ? scratchOf(backend, { shift: c, partials: 2 * c * chunks, params: 2 * c * (inputs.mask ? n : 1) }) : null;
  const X = f32(backend, inputs.x);
  const G = f32(backend, inputs.gamma);
  const B = f32(backend, inputs.beta);
  const M = inputs.mask ? f32(backend, inputs.mask) : null;
  const plan: BnPlan = {
    c, relu: attrs.relu, plane, pixels: count, x: backend.getMemoryOffset(inputs.x.dataId), dy: 0, out: backend.getMemoryOffset(y.dataId),
    center: scratch?.ptr('shift') ?? 0, partials: scratch?.ptr('partials') ?? 0,
    params: scratch?.ptr('params') ?? 0, paramStride: M ? 8 * c : 0, p: 0, q: 0,
  };

  // Shifting by one sample per channel keeps the one-pass variance free of cancellation.
  const shift = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) shift[ch] = attrs.relu ? Math.max(0, X[ch]) : X[ch];
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  if (scratch && size > 0) {
    scratch.view('shift').set(shift);
    parallelFor(bnStatsTask, backend, plan, chunks);
    const partials = scratch.view('partials');
    for (let k = 0; k < chunks; k++) {
      for (let ch = 0; ch < c; ch++) {
        s1[ch] += partials[2 * k * c + ch];
        s2[ch] += partials[(2 * k + 1) * c + ch];
      }
    }
  } else if (L && size > 0) {
    L.stats(X, size, shift, s1, s2);
  }
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
  if (scratch) {
    const params = scratch.view('params');
    if (!M) {
      params.set(scale);
      params.set(offset, c);
    } else {
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const k = M[b * c + ch];
          params[2 * b * c + ch] = scale[ch] * k;
          params[(2 * b + 1) * c + ch] = offset[ch] * k;
        }
      }
    }
    parallelFor(bnNormalizeTask, backend, plan, n);
    scratch.free();
  } else if (L) {
    const Y = f32(backend, y);
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
  const simd = simdLoops(backend, c, attrs.relu) !== null;
  const L = simd ? null : loops(c, attrs.relu);
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  const dgammaOut = backend.makeOutput([c], 'float32');
  const dbetaOut = backend.makeOutput([c], 'float32');
  const chunks = Math.ceil((h * w) / CHUNK);
  const scratch = simd
    ? scratchOf(backend, { mean: c, partials: 2 * c * chunks * n, g: c * (inputs.mask ? n : 1), p: c, q: c })
    : null;
  const X = f32(backend, inputs.x);
  const DY = f32(backend, inputs.dy);
  const G = f32(backend, inputs.gamma);
  const VAR = f32(backend, inputs.variance);
  const M = inputs.mask ? f32(backend, inputs.mask) : null;
  const mean = Float32Array.from(f32(backend, inputs.mean));
  const plan: BnPlan = {
    c, relu: attrs.relu, plane, pixels: count,
    x: backend.getMemoryOffset(inputs.x.dataId), dy: backend.getMemoryOffset(inputs.dy.dataId), out: backend.getMemoryOffset(dx.dataId),
    center: scratch?.ptr('mean') ?? 0, partials: scratch?.ptr('partials') ?? 0,
    params: scratch?.ptr('g') ?? 0, paramStride: M ? 4 * c : 0, p: scratch?.ptr('p') ?? 0, q: scratch?.ptr('q') ?? 0,
  };

  // With g = dy·mask the gradient at the batch-norm output, dβ = Σg and dγ = σ⁻¹·Σg·(a−μ).
  // The mask is constant per (sample, channel), so it multiplies per-sample partial sums.
  const sg = new Float64Array(c);
  const sgx = new Float64Array(c);
  const u = new Float64Array(c);
  const wv = new Float64Array(c);
  if (scratch) {
    scratch.view('mean').set(mean);
    parallelFor(bnGradStatsTask, backend, plan, n);
  }
  const partials = scratch?.view('partials');
  for (let b = 0; b < n; b++) {
    if (partials) {
      u.fill(0);
      wv.fill(0);
      for (let j = 0; j < chunks; j++) {
        const at = 2 * (b * chunks + j) * c;
        for (let ch = 0; ch < c; ch++) {
          u[ch] += partials[at + ch];
          wv[ch] += partials[at + c + ch];
        }
      }
    } else {
      L!.gradStats(X, DY, b * plane, (b + 1) * plane, mean, u, wv);
    }
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
  if (scratch) {
    const g = scratch.view('g');
    if (!M) g.set(c1);
    else for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) g[b * c + ch] = c1[ch] * M[b * c + ch];
    scratch.view('p').set(c2);
    scratch.view('q').set(c0);
    parallelFor(bnGradTask, backend, plan, n);
    scratch.free();
  } else if (L) {
    const DX = f32(backend, dx);
    if (!M) {
      L.grad(X, DY, DX, 0, count * c, c1, c2, c0);
    } else {
      const g1 = new Float32Array(c);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) g1[ch] = c1[ch] * M[b * c + ch];
        L.grad(X, DY, DX, b * plane, (b + 1) * plane, g1, c2, c0);
      }
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
