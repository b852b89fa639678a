/**
 * 3×3 stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, 2015): each
 * 2×2 block of outputs costs 16 multiplications per input channel instead of 36, 2.25× fewer. Per
 * image, the padded input's 4×4 patches are transformed (V = Bᵀ d B), the 16 planes multiplied by
 * the transformed filter (U = G g Gᵀ) as 16 1×1 convolutions on the direct kernel's row loop, and
 * the products transformed back (Y = Aᵀ M A). It serves the forward convolution and, through
 * `directConv`, the input gradient, which is a convolution too. The filter gradient runs the same
 * algebra backwards (`winogradFilterGrad`): dU = Σ over tiles of V ⊙ (A dY Aᵀ), as 16 1×1 filter
 * gradients on the direct filter-gradient row loop, then dg = Gᵀ dU G.
 *
 * The sums run in another order and through other intermediate values than the direct kernel's,
 * so results change in the last bits: off unless asked for (`setWinograd`, XP_WASM_WINOGRAD=1).
 */
import {
  convRow, filterGradRow, heapMoves, winogradGradOutputRow, winogradInputRow, winogradOutputRow,
  type ConvRow, type FilterGradRow, type HeapMoves, type WinogradGradOutputRow, type WinogradInputRow, type WinogradOutputRow,
} from './simd.ts';
import { defineTask, groupStart, kernelThreads, parallelFor, sumGroups } from './threads.ts';
import { f32, type TensorInfo, type Wasm } from './util.ts';

let enabled = false;

/** Switches 3×3 stride-1 convolutions to Winograd F(2×2, 3×3) (for calls from now on), or back. */
export function setWinograd(on: boolean): void {
  enabled = on;
}

export function winograd(): boolean {
  return enabled;
}

/**
 * Input channels below which the transforms cost more than they save (the product has only `ci`
 * multiply-adds per output vector to amortize them over).
 */
const MIN_INPUT_CHANNELS = 8;

/**
 * Tiles per batch of products at 16 channels in and out: about 250 tiles' planes fill 256 kB (in
 * and out). Wider layers take proportionally fewer, so that the planes stay in cache.
 */
const CHUNK_TILES = 256;
const CHUNK_CHANNELS = 32;

export interface WinogradSpec {
  pads: { top: number; bottom: number; left: number; right: number };
  outH: number;
  outW: number;
  relu: boolean;
}

/**
 * U[4a+b][i][o] = Σ_u Σ_v G[a][u] g[u][v][i][o] G[b][v] for an HWIO 3×3 filter, with
 *   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
 */
function transformFilter(g: Float32Array, u: Float32Array, ci: number, co: number): void {
  const plane = ci * co;
  const tap = (r: number, c: number, k: number) => g[(r * 3 + c) * plane + k];
  // t[a][v] = Σ_u G[a][u] g[u][v], then U[a][b] = Σ_v t[a][v] G[b][v].
  const t = new Float32Array(12);
  for (let k = 0; k < plane; k++) {
    for (let v = 0; v < 3; v++) {
      const g0 = tap(0, v, k);
      const g1 = tap(1, v, k);
      const g2 = tap(2, v, k);
      t[v] = g0;
      t[3 + v] = 0.5 * (g0 + g1 + g2);
      t[6 + v] = 0.5 * (g0 - g1 + g2);
      t[9 + v] = g2;
    }
    for (let a = 0; a < 4; a++) {
      const t0 = t[3 * a];
      const t1 = t[3 * a + 1];
      const t2 = t[3 * a + 2];
      const row = 4 * a * plane + k;
      u[row] = t0;
      u[row + plane] = 0.5 * (t0 + t1 + t2);
      u[row + 2 * plane] = 0.5 * (t0 - t1 + t2);
      u[row + 3 * plane] = t2;
    }
  }
}

/** How a 3×3 stride-1 convolution's outputs split into 2×2 tiles, and how many images go per product. */
interface Tiling {
  tilesH: number;
  tilesW: number;
  tiles: number;
  /** The padded input, covering whole tiles: zeros past the padding asked for feed only outputs that are cut off. */
  Hp: number;
  Wp: number;
  /** Output rows' width in whole tiles. */
  OW: number;
  /** Whether the tiles cover the output exactly (even height and width). */
  whole: boolean;
  /**
   * Images per product: several when the maps are small, so each 1×1 product runs over enough tiles
   * to pay for its call; few enough that the planes stay in cache.
   */
  chunk: number;
  span: number;
}

/**
 * The tiling, or null when Winograd is off or the shape is not one it handles. With kernel threads,
 * chunks are small enough that each thread gets several (the products are per tile, so a chunk's
 * size does not change any result).
 */
function tiling(x: TensorInfo, filterShape: number[], co: number, spec: Omit<WinogradSpec, 'relu'>, threads: number): Tiling | null {
  if (!enabled) return null;
  const [n, H, W, ci] = x.shape;
  const [fh, fw] = filterShape;
  if (fh !== 3 || fw !== 3 || ci % 4 !== 0 || co % 4 !== 0 || ci < MIN_INPUT_CHANNELS) return null;
  const { outH, outW, pads } = spec;
  if (outH < 1 || outW < 1 || H + pads.top + pads.bottom !== outH + 2 || W + pads.left + pads.right !== outW + 2) return null;
  const tilesH = Math.ceil(outH / 2);
  const tilesW = Math.ceil(outW / 2);
  const tiles = tilesH * tilesW;
  const perThread = threads > 1 ? Math.ceil(n / (4 * threads)) : n;
  const chunkTiles = Math.floor((CHUNK_TILES * CHUNK_CHANNELS) / (ci + co));
  const chunk = Math.max(1, Math.min(n, perThread, Math.floor(chunkTiles / tiles)));
  return {
    tilesH, tilesW, tiles, Hp: 2 * tilesH + 2, Wp: 2 * tilesW + 2, OW: 2 * tilesW,
    whole: 2 * tilesW === outW && 2 * tilesH === outH, chunk, span: chunk * tiles,
  };
}

/** The parts of one thread's scratch, in order. */
const SCRATCH_PARTS = ['padded', 'v', 'm', 'staged'] as const;
type ScratchPart = (typeof SCRATCH_PARTS)[number];
/** Byte offsets on the heap of one thread's scratch parts. */
type Scratch = Record<ScratchPart, number>;

/**
 * One scratch buffer for a call: per thread, a padded image; the 16 transformed-input planes of a
 * chunk (V); the 16 planes of its products, or of its transformed output gradients (M); odd-sized
 * outputs or output gradients staged in whole tiles (empty when the tiles cover them exactly).
 * Then `uCopies` sets of the 16 transformed-filter planes: the filter's (U, read by every thread),
 * or one gradient (dU) per group of images. Padded images and staged gradients start zeroed.
 */
function allocateScratch(backend: Wasm, t: Tiling, ci: number, co: number, threads: number, uCopies: number) {
  const size: Record<ScratchPart, number> = {
    padded: t.Hp * t.Wp * ci, v: 16 * t.span * ci, m: 16 * t.span * co, staged: t.whole ? 0 : 2 * t.tilesH * t.OW * co,
  };
  const perThread = SCRATCH_PARTS.reduce((sum, part) => sum + size[part], 0);
  const uSize = 16 * ci * co;
  const info = backend.makeOutput([threads * perThread + uCopies * uSize], 'float32');
  const base = backend.getMemoryOffset(info.dataId);
  const regions = Array.from({ length: threads }, (_, i) => {
    let at = base + 4 * i * perThread;
    const region = {} as Scratch;
    for (const part of SCRATCH_PARTS) {
      region[part] = at;
      at += 4 * size[part];
    }
    return region;
  });
  const uStart = threads * perThread;
  const moves = heapMoves(backend)!;
  for (const region of regions) {
    moves.zero(region.padded, 4 * size.padded);
    moves.zero(region.staged, 4 * size.staged);
  }
  return {
    regions,
    u: Array.from({ length: uCopies }, (_, g) => base + 4 * (uStart + g * uSize)),
    /** U (or dU) copy g, valid until the heap grows (take it after every allocation of the call). */
    uView: (g: number) => f32(backend, info).subarray(uStart + g * uSize, uStart + (g + 1) * uSize),
    free: () => backend.disposeData(info.dataId),
  };
}

/** What a thread needs to run a Winograd kernel's images: sizes, and byte offsets on the heap. */
interface WinogradPlan {
  n: number;
  H: number;
  W: number;
  ci: number;
  co: number;
  pads: WinogradSpec['pads'];
  outH: number;
  outW: number;
  t: Tiling;
  xBase: number;
  /** The output (forward), or the output gradient (filter gradient). */
  yBase: number;
  biasBase: number;
  bias: boolean;
  relu: boolean;
  scratch: Scratch[];
  /** The transformed filter (one copy), or each group's filter gradient. */
  u: number[];
  /** Filter gradient: groups of images, each with its own partial sum. */
  groups: number;
}

/** Image b of x (NHWC at xBase) copied into one thread's padded image at the top-left padding. */
function padImage(moves: HeapMoves, p: WinogradPlan, region: Scratch, b: number): void {
  const rowBytes = p.W * p.ci * 4;
  // Rows and columns the input does not cover keep the zeros of the first fill.
  const at = region.padded + (p.pads.top * p.t.Wp + p.pads.left) * p.ci * 4;
  moves.copyRows(p.xBase + b * p.H * rowBytes, at, p.H, rowBytes, p.t.Wp * p.ci * 4, rowBytes);
}


/**
 * The convolution of `x` (NHWC, padded by `spec.pads`) with a 3×3 HWIO filter at stride 1, or null
 * when Winograd is off or the shape is not one it handles (channels multiples of 4, at least
 * MIN_INPUT_CHANNELS in).
 */
export function winogradConv(backend: Wasm, x: TensorInfo, w: TensorInfo, bias: TensorInfo | null, spec: WinogradSpec): TensorInfo | null {
  const [n, H, W, ci] = x.shape;
  const co = w.shape[3];
  const threads = Math.min(kernelThreads(backend), n);
  const t = tiling(x, w.shape, co, spec, threads);
  if (!t) return null;
  const { outH, outW } = spec;
  const product = convRow(backend, { ci, co, fh: 1, fw: 1, sw: 1, relu: false, bias: false });
  if (!heapMoves(backend) || !winogradInputRow(backend, ci, t.Wp, t.span * ci * 4) || !winogradOutputRow(backend, co, t.whole ? outW : t.OW, t.span * co * 4, bias !== null, spec.relu) || !product) return null;

  const out = backend.makeOutput([n, outH, outW, co], 'float32');
  const scratch = allocateScratch(backend, t, ci, co, threads, 1);
  transformFilter(f32(backend, w), scratch.uView(0), ci, co);
  const plan: WinogradPlan = {
    n, H, W, ci, co, pads: spec.pads, outH, outW, t,
    xBase: backend.getMemoryOffset(x.dataId), yBase: backend.getMemoryOffset(out.dataId),
    biasBase: bias ? backend.getMemoryOffset(bias.dataId) : 0, bias: bias !== null, relu: spec.relu,
    scratch: scratch.regions, u: scratch.u, groups: 1,
  };
  parallelFor(winogradConvTask, backend, plan, Math.ceil(n / t.chunk));
  scratch.free();
  return out;
}

/** Chunks [first, last) of a Winograd convolution's images on thread `part`'s scratch (the filter's U is the first region's). */
const winogradConvTask = defineTask('winogradConv', (heap: Wasm, p: WinogradPlan, first: number, last: number, part: number, tools: ConvTools) => {
  const from = first * p.t.chunk;
  const to = Math.min(p.n, last * p.t.chunk);
  const { ci, co, outH, outW, t } = p;
  const { tilesH, tilesW, tiles, Wp, OW, whole, chunk, span } = t;
  const { inputRow, outputRow, product, moves } = tools;
  const region = p.scratch[part];
  const uPtr = p.u[0];
  const outRow = outW * co;
  const targetRow = whole ? outRow : OW * co;
  for (let b0 = from; b0 < to; b0 += chunk) {
    const images = Math.min(chunk, to - b0);
    for (let i = 0; i < images; i++) {
      padImage(moves, p, region, b0 + i);
      for (let ty = 0; ty < tilesH; ty++) inputRow(region.padded + 2 * ty * Wp * ci * 4, region.v + (i * tiles + ty * tilesW) * ci * 4, tilesW);
    }
    for (let xi = 0; xi < 16; xi++) {
      product(region.v + xi * span * ci * 4, uPtr + xi * ci * co * 4, region.m + xi * span * co * 4, images * tiles, 0, 0);
    }
    for (let i = 0; i < images; i++) {
      const b = b0 + i;
      const target = whole ? p.yBase + b * outH * outRow * 4 : region.staged;
      for (let ty = 0; ty < tilesH; ty++) outputRow(region.m + (i * tiles + ty * tilesW) * co * 4, target + 2 * ty * targetRow * 4, tilesW, p.biasBase);
      if (!whole) moves.copyRows(region.staged, p.yBase + b * outH * outRow * 4, outH, OW * co * 4, outRow * 4, outRow * 4);
    }
  }
}, (heap, p) => ({
  inputRow: winogradInputRow(heap, p.ci, p.t.Wp, p.t.span * p.ci * 4)!,
  outputRow: winogradOutputRow(heap, p.co, p.t.whole ? p.outW : p.t.OW, p.t.span * p.co * 4, p.bias, p.relu)!,
  product: convRow(heap, { ci: p.ci, co: p.co, fh: 1, fw: 1, sw: 1, relu: false, bias: false })!,
  moves: heapMoves(heap)!,
}));

/** The row kernels a thread looks up once per Winograd convolution. */
interface ConvTools {
  inputRow: WinogradInputRow;
  outputRow: WinogradOutputRow;
  product: ConvRow;
  moves: HeapMoves;
}

/**
 * dg[u][v][i][o] = Σ_a Σ_b G[a][u] dU[4a+b][i][o] G[b][v]: the transpose of `transformFilter`, taking
 * the gradient with respect to U back to the 3×3 filter.
 */
function untransformFilterGrad(du: Float32Array, dg: Float32Array, ci: number, co: number): void {
  const plane = ci * co;
  // t[u][b] = Σ_a G[a][u] dU[a][b], then dg[u][v] = Σ_b t[u][b] G[b][v].
  const t = new Float32Array(12);
  const gt = (p0: number, p1: number, p2: number, p3: number, into: number) => {
    t[into] = p0 + 0.5 * (p1 + p2);
    t[into + 1] = 0.5 * (p1 - p2);
    t[into + 2] = 0.5 * (p1 + p2) + p3;
  };
  for (let k = 0; k < plane; k++) {
    for (let b = 0; b < 4; b++) gt(du[b * plane + k], du[(4 + b) * plane + k], du[(8 + b) * plane + k], du[(12 + b) * plane + k], 3 * b);
    for (let u = 0; u < 3; u++) {
      const d0 = t[u];
      const d1 = t[3 + u];
      const d2 = t[6 + u];
      const d3 = t[9 + u];
      dg[(u * 3) * plane + k] = d0 + 0.5 * (d1 + d2);
      dg[(u * 3 + 1) * plane + k] = 0.5 * (d1 - d2);
      dg[(u * 3 + 2) * plane + k] = 0.5 * (d1 + d2) + d3;
    }
  }
}

/**
 * The filter gradient of a 3×3 stride-1 convolution of `x` (NHWC, padded by `spec.pads`) whose
 * output gradient is `dy`, as a [3, 3, ci, co] tensor, or null when Winograd is off or the shape is
 * not one it handles. Forward, the output is Y = Aᵀ (U ⊙ V) A per tile, so the gradient with respect
 * to U is Σ over tiles of V ⊙ (A dY Aᵀ): the input transform of the forward pass, the output
 * gradient's transform, and per plane a 1×1 filter gradient summing over every tile of the batch.
 */
export function winogradFilterGrad(backend: Wasm, x: TensorInfo, dy: TensorInfo, spec: Omit<WinogradSpec, 'relu'>): TensorInfo | null {
  const [n, H, W, ci] = x.shape;
  const co = dy.shape[3];
  const threads = Math.min(kernelThreads(backend), n);
  const t = tiling(x, [3, 3], co, spec, threads);
  if (!t) return null;
  const { outH, outW } = spec;
  if (!heapMoves(backend) || !winogradInputRow(backend, ci, t.Wp, t.span * ci * 4) || !winogradGradOutputRow(backend, co, t.OW, t.span * co * 4) || !filterGradRow(backend, ci, co)) return null;

  const out = backend.makeOutput([3, 3, ci, co], 'float32');
  const groups = sumGroups(n, threads);
  // Odd output sizes: dY is staged in whole tiles, the missing row and column zero (no gradient).
  const scratch = allocateScratch(backend, t, ci, co, threads, groups);
  const plan: WinogradPlan = {
    n, H, W, ci, co, pads: spec.pads, outH, outW, t,
    xBase: backend.getMemoryOffset(x.dataId), yBase: backend.getMemoryOffset(dy.dataId),
    biasBase: 0, bias: false, relu: false, scratch: scratch.regions, u: scratch.u, groups,
  };
  parallelFor(winogradFilterGradTask, backend, plan, groups);
  // Each group's dU, added in group order (one group: its sum as it is).
  const moves = heapMoves(backend)!;
  for (let g = 1; g < groups; g++) moves.addInto(scratch.u[0], scratch.u[g], 4 * ci * co);
  untransformFilterGrad(scratch.uView(0), f32(backend, out), ci, co);
  scratch.free();
  return out;
}

/** Groups [first, last) of a Winograd filter gradient's images, each summed into its own dU, on thread `part`'s scratch. */
const winogradFilterGradTask = defineTask('winogradFilterGrad', (heap: Wasm, p: WinogradPlan, first: number, last: number, part: number, tools: FilterGradTools) => {
  for (let g = first; g < last; g++) winogradFilterGradGroup(p, g, part, tools);
}, (heap, p) => ({
  inputRow: winogradInputRow(heap, p.ci, p.t.Wp, p.t.span * p.ci * 4)!,
  gradRow: winogradGradOutputRow(heap, p.co, p.t.OW, p.t.span * p.co * 4)!,
  product: filterGradRow(heap, p.ci, p.co)!,
  moves: heapMoves(heap)!,
}));

/** The row kernels a thread looks up once per Winograd filter gradient. */
interface FilterGradTools {
  inputRow: WinogradInputRow;
  gradRow: WinogradGradOutputRow;
  product: FilterGradRow;
  moves: HeapMoves;
}

function winogradFilterGradGroup(p: WinogradPlan, g: number, part: number, tools: FilterGradTools): void {
  const from = groupStart(p.n, p.groups, g);
  const to = groupStart(p.n, p.groups, g + 1);
  const { ci, co, outH, outW, t } = p;
  const { tilesH, tilesW, tiles, Wp, OW, whole, chunk, span } = t;
  const { inputRow, gradRow, product, moves } = tools;
  const region = p.scratch[part];
  const dyRow = outW * co;
  const du = p.u[g];
  moves.zero(du, 16 * ci * co * 4);
  for (let b0 = from; b0 < to; b0 += chunk) {
    const images = Math.min(chunk, to - b0);
    for (let i = 0; i < images; i++) {
      const b = b0 + i;
      padImage(moves, p, region, b);
      for (let ty = 0; ty < tilesH; ty++) inputRow(region.padded + 2 * ty * Wp * ci * 4, region.v + (i * tiles + ty * tilesW) * ci * 4, tilesW);
      if (!whole) moves.copyRows(p.yBase + b * outH * dyRow * 4, region.staged, outH, dyRow * 4, OW * co * 4, dyRow * 4);
      const from = whole ? p.yBase + b * outH * dyRow * 4 : region.staged;
      for (let ty = 0; ty < tilesH; ty++) gradRow(from + 2 * ty * OW * co * 4, region.m + (i * tiles + ty * tilesW) * co * 4, tilesW);
    }
    for (let xi = 0; xi < 16; xi++) {
      product(region.v + xi * span * ci * 4, region.m + xi * span * co * 4, images * tiles, ci * 4, du + xi * ci * co * 4);
    }
  }
}
