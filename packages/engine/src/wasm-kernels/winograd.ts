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
import { convRow, filterGradRow, winogradGradOutputRow, winogradInputRow, winogradOutputRow } from './simd.ts';
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

/** Tiles per batch of products: about 250 tiles' planes of 16 channels fill 256 kB (in and out). */
const CHUNK_TILES = 256;

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

/** The tiling, or null when Winograd is off or the shape is not one it handles. */
function tiling(x: TensorInfo, filterShape: number[], co: number, spec: Omit<WinogradSpec, 'relu'>): Tiling | null {
  if (!enabled) return null;
  const [n, H, W, ci] = x.shape;
  const [fh, fw] = filterShape;
  if (fh !== 3 || fw !== 3 || ci % 4 !== 0 || co % 4 !== 0 || ci < MIN_INPUT_CHANNELS) return null;
  const { outH, outW, pads } = spec;
  if (outH < 1 || outW < 1 || H + pads.top + pads.bottom !== outH + 2 || W + pads.left + pads.right !== outW + 2) return null;
  const tilesH = Math.ceil(outH / 2);
  const tilesW = Math.ceil(outW / 2);
  const tiles = tilesH * tilesW;
  const chunk = Math.max(1, Math.min(n, Math.floor(CHUNK_TILES / tiles)));
  return {
    tilesH, tilesW, tiles, Hp: 2 * tilesH + 2, Wp: 2 * tilesW + 2, OW: 2 * tilesW,
    whole: 2 * tilesW === outW && 2 * tilesH === outH, chunk, span: chunk * tiles,
  };
}

/** Copies image `b` of `src` (NHWC, H×W×ci) into `padded` (Hp×Wp×ci) at the top-left padding. */
function padImage(src: Float32Array, padded: Float32Array, b: number, x: TensorInfo, Wp: number, pads: WinogradSpec['pads']): void {
  const [, H, W, ci] = x.shape;
  const rowLen = W * ci;
  // Rows and columns the input does not cover keep the zeros of the first fill.
  for (let y = 0; y < H; y++) {
    const s = (b * H + y) * rowLen;
    padded.set(src.subarray(s, s + rowLen), ((y + pads.top) * Wp + pads.left) * ci);
  }
}

/** The parts of a call's one scratch buffer, in order. */
const SCRATCH_PARTS = ['padded', 'v', 'm', 'staged', 'u'] as const;
type ScratchPart = (typeof SCRATCH_PARTS)[number];

/**
 * One scratch buffer for a call: one padded image; the 16 transformed-input planes of a chunk (V);
 * the 16 planes of its products, or of its transformed output gradients (M); odd-sized outputs or
 * output gradients staged in whole tiles (empty when the tiles cover them exactly); the 16
 * transformed-filter planes, or their gradients (U). `view` only after every allocation of the call:
 * a later one may grow the heap and detach it.
 */
function allocateScratch(backend: Wasm, t: Tiling, ci: number, co: number) {
  const size: Record<ScratchPart, number> = {
    padded: t.Hp * t.Wp * ci, v: 16 * t.span * ci, m: 16 * t.span * co, staged: t.whole ? 0 : 2 * t.tilesH * t.OW * co, u: 16 * ci * co,
  };
  const start = {} as Record<ScratchPart, number>;
  let total = 0;
  for (const part of SCRATCH_PARTS) {
    start[part] = total;
    total += size[part];
  }
  const info = backend.makeOutput([total], 'float32');
  const base = backend.getMemoryOffset(info.dataId);
  return {
    ptr: (part: ScratchPart) => base + 4 * start[part],
    view: (part: ScratchPart) => f32(backend, info).subarray(start[part], start[part] + size[part]),
    free: () => backend.disposeData(info.dataId),
  };
}

/**
 * The convolution of `x` (NHWC, padded by `spec.pads`) with a 3×3 HWIO filter at stride 1, or null
 * when Winograd is off or the shape is not one it handles (channels multiples of 4, at least
 * MIN_INPUT_CHANNELS in).
 */
export function winogradConv(backend: Wasm, x: TensorInfo, w: TensorInfo, bias: TensorInfo | null, spec: WinogradSpec): TensorInfo | null {
  const [n, , , ci] = x.shape;
  const co = w.shape[3];
  const t = tiling(x, w.shape, co, spec);
  if (!t) return null;
  const { outH, outW, pads } = spec;
  const { tilesH, tilesW, tiles, Wp, OW, whole, chunk, span } = t;
  const inputRow = winogradInputRow(backend, ci, Wp, span * ci * 4);
  const outputRow = winogradOutputRow(backend, co, whole ? outW : OW, span * co * 4, bias !== null, spec.relu);
  const product = convRow(backend, { ci, co, fh: 1, fw: 1, sw: 1, relu: false, bias: false });
  if (!inputRow || !outputRow || !product) return null;

  const out = backend.makeOutput([n, outH, outW, co], 'float32');
  const scratch = allocateScratch(backend, t, ci, co);
  const src = f32(backend, x);
  const dst = f32(backend, out);
  const padded = scratch.view('padded');
  const staged = scratch.view('staged');
  transformFilter(f32(backend, w), scratch.view('u'), ci, co);
  const [pPtr, vPtr, mPtr, oPtr, uPtr] = SCRATCH_PARTS.map(scratch.ptr);
  const outBase = backend.getMemoryOffset(out.dataId);
  const biasPtr = bias ? backend.getMemoryOffset(bias.dataId) : 0;
  const outRow = outW * co;
  const targetRow = whole ? outRow : OW * co;
  padded.fill(0);
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const images = Math.min(chunk, n - b0);
    for (let i = 0; i < images; i++) {
      padImage(src, padded, b0 + i, x, Wp, pads);
      for (let ty = 0; ty < tilesH; ty++) inputRow(pPtr + 2 * ty * Wp * ci * 4, vPtr + (i * tiles + ty * tilesW) * ci * 4, tilesW);
    }
    for (let xi = 0; xi < 16; xi++) {
      product(vPtr + xi * span * ci * 4, uPtr + xi * ci * co * 4, mPtr + xi * span * co * 4, images * tiles, 0, 0);
    }
    for (let i = 0; i < images; i++) {
      const b = b0 + i;
      const target = whole ? outBase + b * outH * outRow * 4 : oPtr;
      for (let ty = 0; ty < tilesH; ty++) outputRow(mPtr + (i * tiles + ty * tilesW) * co * 4, target + 2 * ty * targetRow * 4, tilesW, biasPtr);
      if (!whole) {
        for (let y = 0; y < outH; y++) dst.set(staged.subarray(y * OW * co, y * OW * co + outRow), (b * outH + y) * outRow);
      }
    }
  }
  scratch.free();
  return out;
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
  const [n, , , ci] = x.shape;
  const co = dy.shape[3];
  const t = tiling(x, [3, 3], co, spec);
  if (!t) return null;
  const { outH, outW, pads } = spec;
  const { tilesH, tilesW, tiles, Wp, OW, whole, chunk, span } = t;
  const inputRow = winogradInputRow(backend, ci, Wp, span * ci * 4);
  const gradRow = winogradGradOutputRow(backend, co, OW, span * co * 4);
  const product = filterGradRow(backend, ci, co);
  if (!inputRow || !gradRow || !product) return null;

  const out = backend.makeOutput([3, 3, ci, co], 'float32');
  const scratch = allocateScratch(backend, t, ci, co);
  const src = f32(backend, x);
  const grad = f32(backend, dy);
  const padded = scratch.view('padded');
  // Odd output sizes: dY staged in whole tiles, the missing row and column zero (no gradient).
  const staged = scratch.view('staged');
  const du = scratch.view('u');
  const [pPtr, vPtr, mPtr, sPtr, uPtr] = SCRATCH_PARTS.map(scratch.ptr);
  const dyBase = backend.getMemoryOffset(dy.dataId);
  const dyRow = outW * co;
  padded.fill(0);
  staged.fill(0);
  du.fill(0);
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const images = Math.min(chunk, n - b0);
    for (let i = 0; i < images; i++) {
      const b = b0 + i;
      padImage(src, padded, b, x, Wp, pads);
      for (let ty = 0; ty < tilesH; ty++) inputRow(pPtr + 2 * ty * Wp * ci * 4, vPtr + (i * tiles + ty * tilesW) * ci * 4, tilesW);
      if (!whole) {
        for (let y = 0; y < outH; y++) staged.set(grad.subarray((b * outH + y) * dyRow, (b * outH + y + 1) * dyRow), y * OW * co);
      }
      const from = whole ? dyBase + b * outH * dyRow * 4 : sPtr;
      for (let ty = 0; ty < tilesH; ty++) gradRow(from + 2 * ty * OW * co * 4, mPtr + (i * tiles + ty * tilesW) * co * 4, tilesW);
    }
    for (let xi = 0; xi < 16; xi++) {
      product(vPtr + xi * span * ci * 4, mPtr + xi * span * co * 4, images * tiles, ci * 4, uPtr + xi * ci * co * 4);
    }
  }
  untransformFilterGrad(du, f32(backend, out), ci, co);
  scratch.free();
  return out;
}
