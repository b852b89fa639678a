/**
 * WebAssembly SIMD loops for the batch-norm kernels, generated per channel count and run
 * directly on tfjs-backend-wasm's heap (the module imports that instance's memory), so tensors
 * are read and written in place, four channels per instruction.
 *
 * There is no wasm toolchain in the build, so the module is assembled here from its binary
 * encoding; it is small: four functions, each one loop over pixels whose body is unrolled over
 * the channel vectors. Pointers are byte offsets into the heap; `n` counts pixels (C values each).
 */
import { heapMemory, isShared } from './shared-heap.ts';
import type { Wasm } from './util.ts';

export interface SimdLoops {
  /** s1/s2[c] = Σ (a − shift[c]), Σ (a − shift[c])² over n pixels (float32 lanes). */
  stats(x: number, n: number, shift: number, s1: number, s2: number): void;
  /** y = a·scale[c] + offset[c]. */
  normalize(x: number, y: number, n: number, scale: number, offset: number): void;
  /** u[c] = Σ dy, w[c] = Σ dy·(a − mean[c]). */
  gradStats(x: number, dy: number, n: number, mean: number, u: number, w: number): void;
  /** dx = (g[c]·dy + p[c]·x + q[c]), zeroed where x ≤ 0 when the op has a ReLU. */
  grad(x: number, dy: number, dx: number, n: number, g: number, p: number, q: number): void;
  /**
   * Inference: y = offset[c] + ((a − mean[c]) · scale[c]) / factor[c], each operation rounded to
   * float32 in this order, as tfjs-backend-wasm's scalar FusedBatchNorm computes it.
   */
  infer(x: number, y: number, n: number, mean: number, scale: number, factor: number, offset: number): void;
}

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

// Instructions.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const simd = (op: number) => [0xfd, ...uleb(op)];
/** memarg: alignment hint 2^2 (the data are float32s), byte offset. */
const load = (offset: number) => [...simd(0x00), 2, ...uleb(offset)];
const store = (offset: number) => [...simd(0x0b), 2, ...uleb(offset)];
const zero = [...simd(0x0c), ...new Array(16).fill(0)];
const F32X4_GT = 0x44;
const V128_AND = 0x4e;
const F32X4_ADD = 0xe4;
const F32X4_SUB = 0xe5;
const F32X4_MUL = 0xe6;
const F32X4_DIV = 0xe7;
const F32X4_MAX = 0xe9;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_GE_U = 0x4f;
const I32_SUB = 0x6b;
const I32_EQZ = 0x45;

/**
 * A function `(params…) → ()` whose body loops `n` times over pixels. `setup` and `finish` run
 * before and after; `step(k)` is the code for channel vector k; `advance` lists the pointer
 * params that move by one pixel per iteration; `x` (param 0) bounds the loop.
 */
function fn(params: number, nParam: number, vLocals: number, bytesPerPixel: number,
  setup: number[], step: (k: number) => number[], vectors: number, advance: number[], finish: number[]) {
  const end = params; // first local: i32 end pointer
  const locals = [[...uleb(1), I32], [...uleb(vLocals), V128]];
  const body = [
    ...setup,
    ...get(0), ...get(nParam), ...i32c(bytesPerPixel), I32_MUL, I32_ADD, ...set(end),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(end), I32_GE_U, 0x0d, 1,
    ...Array.from({ length: vectors }, (_, k) => step(k)).flat(),
    ...advance.flatMap((p) => [...get(p), ...i32c(bytesPerPixel), I32_ADD, ...set(p)]),
    0x0c, 0,
    0x0b, 0x0b,
    ...finish,
    0x0b,
  ];
  const code = [...vec(locals), ...body];
  return { params, code: [...uleb(code.length), ...code] };
}

interface WasmFunction {
  /** Export name. */
  name: string;
  /** Number of i32 parameters. */
  params: number;
  /** Locals and body, size-prefixed as the code section holds them. */
  code: number[];
}

/** The import of the tfjs heap as env.memory: any unshared memory, or a shared one (up to 4 GiB, as Emscripten's). */
const memoryImport = (shared: boolean) =>
  section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(shared ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00])]]));

/** A module of `functions` (i32 parameters, no results) that imports the tfjs heap as env.memory. */
function wasmModule(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = [...new Set(functions.map((f) => f.params))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types.map((p) => [0x60, ...vec(new Array(p).fill([I32])), 0x00]))),
    ...memoryImport(false),
    ...section(3, vec(functions.map((f) => uleb(types.indexOf(f.params))))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.code))),
  ]);
}

/**
 * acc + a·b on four lanes: f32x4.mul then f32x4.add, or, where fused multiply-add is switched on
 * (`setFusedMultiplyAdd`), relaxed SIMD's f32x4.relaxed_madd, one instruction (vfmadd on x86 with
 * FMA) that rounds once instead of twice, so results differ from the plain path in the last bits.
 */
function multiplyAdd(acc: number[], a: number[], b: number[]): number[] {
  return fused ? [...a, ...b, ...acc, ...simd(F32X4_RELAXED_MADD)] : [...acc, ...a, ...b, ...simd(F32X4_MUL), ...simd(F32X4_ADD)];
}

const F32X4_RELAXED_MADD = 0x105;
let fused = false;
const fmaKey = () => (fused ? ':fma' : '');

/** A one-instruction module that uses relaxed_madd: it validates only where the runtime has relaxed SIMD. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, V128, V128, V128, 0x01, V128,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this runtime compiles relaxed SIMD (Node 20 needs V8's --experimental-wasm-relaxed-simd, which the backend sets for XP_WASM_FMA=1). */
export function relaxedSimdAvailable(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/**
 * Switches the convolution kernels' multiply-adds to relaxed SIMD's fused f32x4.relaxed_madd (for
 * kernels built from now on), or back. Returns whether they are fused now: false where the runtime
 * has no relaxed SIMD.
 */
export function setFusedMultiplyAdd(on: boolean): boolean {
  fused = on && relaxedSimdAvailable();
  return fused;
}

export function fusedMultiplyAdd(): boolean {
  return fused;
}

/** `bytes` (from `wasmModule`) with its memory import declared shared, for a heap shared with helper threads. */
function importShared(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const unshared = memoryImport(false);
  const at = 8 + 2 + bytes[9]; // after the header and the type section (one size byte: a handful of types)
  if (bytes[8] !== 1 || bytes[9] >= 0x80 || !unshared.every((b, i) => bytes[at + i] === b)) throw new Error('unexpected kernel module layout');
  return new Uint8Array([...bytes.subarray(0, at), ...memoryImport(true), ...bytes.subarray(at + unshared.length)]);
}

const modules = new Map<string, WebAssembly.Module>();
const instancesByMemory = new WeakMap<WebAssembly.Memory, Map<string, WebAssembly.Exports>>();

/**
 * The exports of module `key` instantiated on this backend's heap: compiled once per process,
 * instantiated once per heap. Null where the backend does not expose its memory.
 */
function instantiateOnHeap(backend: Wasm, key: string, build: () => Uint8Array<ArrayBuffer>): WebAssembly.Exports | null {
  const memory = heapMemory(backend);
  if (!memory) return null;
  let perMemory = instancesByMemory.get(memory);
  if (!perMemory) instancesByMemory.set(memory, (perMemory = new Map()));
  let exports = perMemory.get(key);
  if (!exports) {
    const shared = isShared(memory);
    const moduleKey = shared ? `${key}:shared` : key;
    let mod = modules.get(moduleKey);
    if (!mod) modules.set(moduleKey, (mod = new WebAssembly.Module(shared ? importShared(build()) : build())));
    exports = new WebAssembly.Instance(mod, { env: { memory } }).exports;
    perMemory.set(key, exports);
  }
  return exports;
}

function build(channels: number, relu: boolean): Uint8Array<ArrayBuffer> {
  const V = channels / 4;
  const B = channels * 4;
  const act = relu ? [...zero, ...simd(F32X4_MAX)] : [];
  // Locals after the params and the i32 end pointer.
  const vloc = (params: number) => (j: number) => params + 1 + j;

  // stats(x, n, shift, s1, s2): v128 locals shift_k, a_k, b_k, tmp.
  const sL = vloc(5);
  const stats = fn(5, 1, 3 * V + 1, B,
    Array.from({ length: V }, (_, k) => [...get(2), ...load(16 * k), ...set(sL(k))]).flat(),
    (k) => [
      ...get(0), ...load(16 * k), ...act, ...get(sL(k)), ...simd(F32X4_SUB), ...tee(sL(3 * V)),
      ...get(sL(V + k)), ...simd(F32X4_ADD), ...set(sL(V + k)),
      ...get(sL(3 * V)), ...get(sL(3 * V)), ...simd(F32X4_MUL), ...get(sL(2 * V + k)), ...simd(F32X4_ADD), ...set(sL(2 * V + k)),
    ], V, [0],
    Array.from({ length: V }, (_, k) => [
      ...get(3), ...get(sL(V + k)), ...store(16 * k),
      ...get(4), ...get(sL(2 * V + k)), ...store(16 * k),
    ]).flat());

  // normalize(x, y, n, scale, offset): sc_k, of_k.
  const nL = vloc(5);
  const normalize = fn(5, 2, 2 * V, B,
    Array.from({ length: V }, (_, k) => [
      ...get(3), ...load(16 * k), ...set(nL(k)), ...get(4), ...load(16 * k), ...set(nL(V + k)),
    ]).flat(),
    (k) => [
      ...get(1),
      ...get(0), ...load(16 * k), ...act, ...get(nL(k)), ...simd(F32X4_MUL), ...get(nL(V + k)), ...simd(F32X4_ADD),
      ...store(16 * k),
    ], V, [0, 1], []);

  // gradStats(x, dy, n, mean, u, w): m_k, u_k, w_k, d.
  const gL = vloc(6);
  const gradStats = fn(6, 2, 3 * V + 1, B,
    Array.from({ length: V }, (_, k) => [...get(3), ...load(16 * k), ...set(gL(k))]).flat(),
    (k) => [
      ...get(1), ...load(16 * k), ...tee(gL(3 * V)), ...get(gL(V + k)), ...simd(F32X4_ADD), ...set(gL(V + k)),
      ...get(0), ...load(16 * k), ...act, ...get(gL(k)), ...simd(F32X4_SUB), ...get(gL(3 * V)), ...simd(F32X4_MUL),
      ...get(gL(2 * V + k)), ...simd(F32X4_ADD), ...set(gL(2 * V + k)),
    ], V, [0, 1],
    Array.from({ length: V }, (_, k) => [
      ...get(4), ...get(gL(V + k)), ...store(16 * k),
      ...get(5), ...get(gL(2 * V + k)), ...store(16 * k),
    ]).flat());

  // grad(x, dy, dx, n, g, p, q): g_k, p_k, q_k, xv. Using x rather than relu(x) in p·x is exact
  // because the ReLU mask zeroes every lane where they differ.
  const dL = vloc(7);
  const grad = fn(7, 3, 3 * V + 1, B,
    Array.from({ length: V }, (_, k) => [
      ...get(4), ...load(16 * k), ...set(dL(k)),
      ...get(5), ...load(16 * k), ...set(dL(V + k)),
      ...get(6), ...load(16 * k), ...set(dL(2 * V + k)),
    ]).flat(),
    (k) => [
      ...get(2),
      ...get(1), ...load(16 * k), ...get(dL(k)), ...simd(F32X4_MUL),
      ...get(0), ...load(16 * k), ...tee(dL(3 * V)), ...get(dL(V + k)), ...simd(F32X4_MUL), ...simd(F32X4_ADD),
      ...get(dL(2 * V + k)), ...simd(F32X4_ADD),
      ...(relu ? [...get(dL(3 * V)), ...zero, ...simd(F32X4_GT), ...simd(V128_AND)] : []),
      ...store(16 * k),
    ], V, [0, 1, 2], []);

  // infer(x, y, n, mean, scale, factor, offset): m_k, s_k, f_k, o_k.
  const iL = vloc(7);
  const infer = fn(7, 2, 4 * V, B,
    Array.from({ length: V }, (_, k) => [3, 4, 5, 6].flatMap((param, i) => [...get(param), ...load(16 * k), ...set(iL(i * V + k))])).flat(),
    (k) => [
      ...get(1),
      ...get(0), ...load(16 * k), ...act, ...get(iL(k)), ...simd(F32X4_SUB), ...get(iL(V + k)), ...simd(F32X4_MUL),
      ...get(iL(2 * V + k)), ...simd(F32X4_DIV), ...get(iL(3 * V + k)), ...simd(F32X4_ADD),
      ...store(16 * k),
    ], V, [0, 1], []);

  const names = ['stats', 'normalize', 'gradStats', 'grad', 'infer'];
  return wasmModule([stats, normalize, gradStats, grad, infer].map((f, i) => ({ name: names[i], ...f })));
}

/** SIMD loops for `channels` (a multiple of 4) bound to this backend's heap. */
export function simdLoops(backend: Wasm, channels: number, relu: boolean): SimdLoops | null {
  if (channels % 4 !== 0 || channels === 0) return null;
  return instantiateOnHeap(backend, `bn:${channels}:${relu}`, () => build(channels, relu)) as unknown as SimdLoops | null;
}

/**
 * Inner loop of the direct filter gradient (./conv2d-backprop-filter.ts):
 *   acc[ci][c] += Σ_{j<count} x[j·xStride + ci] · dy[j·Co + c]   for ci < Ci, c < Co,
 * i.e. one filter tap's contribution from one row of output pixels, over every output channel.
 * Inside, the output channels go in groups of at most 16 (`channelGroups`); tiles of T
 * input channels × G/4 vectors keep the accumulators and one dy pixel in SIMD registers, and each
 * dy vector loaded serves T multiply-adds.
 */
export type FilterGradRow = (x: number, dy: number, count: number, xStride: number, acc: number) => void;

/**
 * How `co` output channels (a multiple of 4) are split for the row kernels: groups of 16, then what
 * is left (4, 8 or 12). Channel counts that are not a multiple of 16 used to make one group of all
 * of them, whose accumulators (2 × co/4 vectors) no longer fit in the 16 SIMD registers: at 52 or
 * 104 channels V8 spilled every one of them to the stack on every multiply-add.
 */
export function channelGroups(co: number): { start: number; size: number }[] {
  if (co <= 16) return [{ start: 0, size: co }];
  const groups: { start: number; size: number }[] = [];
  for (let start = 0; start < co; start += 16) groups.push({ start, size: Math.min(16, co - start) });
  return groups;
}

/**
 * Input channels per filter-gradient tile for a group of V vectors: accumulators (T·V) plus V dy
 * vectors plus T splats stay within the 16 registers; T must divide Ci.
 */
function filterGradTile(ci: number, V: number): number {
  const want = V >= 3 ? 2 : V === 2 ? 4 : 6;
  for (let t = want; t > 1; t--) if (ci % t === 0) return t;
  return 1;
}

function buildFilterGrad(ci: number, co: number, G: number): Uint8Array<ArrayBuffer> {
  const V = G / 4;
  const T = filterGradTile(ci, V);
  // params: 0 x, 1 dy, 2 count, 3 xStride, 4 acc; i32 locals: 5 tiles left, 6 j, 7 xp, 8 dp, 9 ap, 10 xt
  const [TILES, J, XP, DP, AP, XT] = [5, 6, 7, 8, 9, 10];
  const acc = (a: number, k: number) => 11 + a * V + k;
  const dv = (k: number) => 11 + T * V + k;
  const xs = (a: number) => 11 + T * V + V + a;
  const accOffset = (a: number, k: number) => a * co * 4 + 16 * k;
  const f32load = (offset: number) => [0x2a, 2, ...uleb(offset)];
  const tile = (f: (a: number, k: number) => number[]) =>
    Array.from({ length: T }, (_, a) => Array.from({ length: V }, (_, k) => f(a, k)).flat()).flat();
  const body = [
    ...get(4), ...set(AP), ...get(0), ...set(XT), ...i32c(ci / T), ...set(TILES),
    0x03, 0x40, // loop over channel tiles
    ...tile((a, k) => [...get(AP), ...load(accOffset(a, k)), ...set(acc(a, k))]),
    ...get(XT), ...set(XP), ...get(1), ...set(DP), ...get(2), ...set(J),
    0x02, 0x40, 0x03, 0x40, // loop over pixels
    ...get(J), I32_EQZ, 0x0d, 1,
    ...Array.from({ length: V }, (_, k) => [...get(DP), ...load(16 * k), ...set(dv(k))]).flat(),
    ...Array.from({ length: T }, (_, a) => [...get(XP), ...f32load(4 * a), ...simd(0x13), ...set(xs(a))]).flat(),
    ...tile((a, k) => [
      ...multiplyAdd(get(acc(a, k)), get(xs(a)), get(dv(k))), ...set(acc(a, k)),
    ]),
    ...get(XP), ...get(3), I32_ADD, ...set(XP),
    ...get(DP), ...i32c(co * 4), I32_ADD, ...set(DP),
    ...get(J), ...i32c(1), I32_SUB, ...set(J),
    0x0c, 0,
    0x0b, 0x0b,
    ...tile((a, k) => [...get(AP), ...get(acc(a, k)), ...store(accOffset(a, k))]),
    ...get(AP), ...i32c(T * co * 4), I32_ADD, ...set(AP),
    ...get(XT), ...i32c(T * 4), I32_ADD, ...set(XT),
    ...get(TILES), ...i32c(1), I32_SUB, ...tee(TILES),
    0x0d, 0, // continue while tiles remain
    0x0b,
    0x0b,
  ];
  const locals = [[...uleb(6), I32], [...uleb(T * V + V + T), V128]];
  const code = [...vec(locals), ...body];
  return wasmModule([{ name: 'row', params: 5, code: [...uleb(code.length), ...code] }]);
}

/** The filter-gradient row kernel for Ci→Co channels (Co a multiple of 4), or null. */
export function filterGradRow(backend: Wasm, ci: number, co: number): FilterGradRow | null {
  return memoized(backend, `filterGradRow:${ci}:${co}${fmaKey()}`, () => makeFilterGradRow(backend, ci, co));
}

function makeFilterGradRow(backend: Wasm, ci: number, co: number): FilterGradRow | null {
  if (co % 4 !== 0 || co === 0 || ci === 0) return null;
  const rows: FilterGradRow[] = [];
  for (const { start, size } of channelGroups(co)) {
    const exports = instantiateOnHeap(backend, `fg:${ci}:${co}:${size}${fmaKey()}`, () => buildFilterGrad(ci, co, size));
    if (!exports) return null;
    const row = exports.row as FilterGradRow;
    rows.push(start === 0 ? row : (x, dy, count, xStride, acc) => row(x, dy + start * 4, count, xStride, acc + start * 4));
  }
  if (rows.length === 1) return rows[0];
  return (x, dy, count, xStride, acc) => {
    for (const row of rows) row(x, dy, count, xStride, acc);
  };
}

/**
 * MaxPoolGrad for 2×2 windows with stride 2, one output row per call: for each of `count`
 * output pixels and each channel vector, dy goes to the first maximum of the window in scan
 * order (tfjs's tie rule) and 0 to the other three positions. `x`/`dx` point at the window's top
 * row; `rowStride` is the byte distance to its second row.
 */
export type MaxPool2Row = (x: number, dy: number, dx: number, count: number, rowStride: number) => void;

function buildMaxPool2(c: number): Uint8Array<ArrayBuffer> {
  const V = c / 4;
  const F32X4_EQ = 0x41;
  const V128_ANDNOT = 0x4f;
  const V128_OR = 0x50;
  // params: 0 x, 1 dy, 2 dx, 3 count, 4 rowStride; i32 local 5 x2 (second row); v128 6..: a b c d m g t e
  const [X2] = [5];
  const [A, Bv, Cv, D, M, G, T, E] = [6, 7, 8, 9, 10, 11, 12, 13];
  const B = c * 4;
  const at = (ptr: number[], off: number) => [...ptr, ...load(off)];
  const out = (ptr: number[], off: number, val: number[]) => [...ptr, ...val, ...store(off)];
  const step = (k: number) => {
    const o = 16 * k;
    return [
      ...at(get(0), o), ...set(A), ...at(get(0), o + B), ...set(Bv),
      ...at(get(X2), o), ...set(Cv), ...at(get(X2), o + B), ...set(D),
      ...get(A), ...get(Bv), ...simd(F32X4_MAX), ...get(Cv), ...get(D), ...simd(F32X4_MAX), ...simd(F32X4_MAX), ...set(M),
      ...at(get(1), o), ...set(G),
      // first max wins: each later position needs equality and no earlier winner
      ...get(A), ...get(M), ...simd(F32X4_EQ), ...set(T),
      ...out(get(2), o, [...get(G), ...get(T), ...simd(V128_AND)]),
      ...get(Bv), ...get(M), ...simd(F32X4_EQ), ...get(T), ...simd(V128_ANDNOT), ...set(E),
      ...out(get(2), o + B, [...get(G), ...get(E), ...simd(V128_AND)]),
      ...get(T), ...get(E), ...simd(V128_OR), ...set(T),
      ...get(Cv), ...get(M), ...simd(F32X4_EQ), ...get(T), ...simd(V128_ANDNOT), ...set(E),
      ...get(2), ...get(4), I32_ADD, ...get(G), ...get(E), ...simd(V128_AND), ...store(o),
      ...get(T), ...get(E), ...simd(V128_OR), ...set(T),
      ...get(D), ...get(M), ...simd(F32X4_EQ), ...get(T), ...simd(V128_ANDNOT), ...set(E),
      ...get(2), ...get(4), I32_ADD, ...get(G), ...get(E), ...simd(V128_AND), ...store(o + B),
    ];
  };
  const body = [
    0x02, 0x40, 0x03, 0x40,
    ...get(3), I32_EQZ, 0x0d, 1,
    ...get(0), ...get(4), I32_ADD, ...set(X2),
    ...Array.from({ length: V }, (_, k) => step(k)).flat(),
    ...get(0), ...i32c(2 * B), I32_ADD, ...set(0),
    ...get(2), ...i32c(2 * B), I32_ADD, ...set(2),
    ...get(1), ...i32c(B), I32_ADD, ...set(1),
    ...get(3), ...i32c(1), I32_SUB, ...set(3),
    0x0c, 0,
    0x0b, 0x0b,
    0x0b,
  ];
  const locals = [[...uleb(1), I32], [...uleb(8), V128]];
  const code = [...vec(locals), ...body];
  return wasmModule([{ name: 'row', params: 5, code: [...uleb(code.length), ...code] }]);
}

/** The 2×2/stride-2 max-pool gradient row kernel for C channels (a multiple of 4), or null. */
export function maxPool2Row(backend: Wasm, c: number): MaxPool2Row | null {
  if (c % 4 !== 0 || c === 0) return null;
  const exports = instantiateOnHeap(backend, `mp:${c}`, () => buildMaxPool2(c));
  return exports && (exports.row as MaxPool2Row);
}


/**
 * Direct convolution, one output row per call: for `count` output pixels,
 *   out[p][c] = bias[c] + Σ_{kh} Σ_{j < fw·Ci} in[kh·inRow + p·pix + j] · w[kh][j][c]
 * (NHWC makes a filter row's taps × input channels one contiguous run), optional ReLU, over every
 * output channel: inside, one call per group of at most 16 (`channelGroups`). The input is already
 * padded. T output pixels share every weight vector loaded, T chosen per group so that the
 * accumulators, weights and splats fit in the 16 SIMD registers. The j loop must stay a loop: fully
 * unrolled (one straight block per filter row) V8's code for it ran 3× slower than XNNPACK; as a
 * loop it is 10–25 % faster.
 *
 * Each output's sum runs in the same order whatever the grouping and tiling, so they change speed,
 * never results.
 */
export type ConvRow = (inp: number, w: number, out: number, count: number, inRow: number, bias: number) => void;

export interface ConvShape {
  ci: number;
  co: number;
  fh: number;
  fw: number;
  /** Horizontal stride (input pixels between output pixels). */
  sw: number;
  relu: boolean;
  bias: boolean;
}

/** Output pixels per tile for a group of V channel vectors: T·V accumulators + V weights + 1 splat ≤ 16. */
function convPixelTile(V: number): number {
  return V >= 4 ? 2 : V === 3 ? 3 : V === 2 ? 4 : 6;
}

function buildConv(s: ConvShape, G: number): Uint8Array<ArrayBuffer> {
  const { ci, co, fh, fw, sw } = s;
  const V = G / 4;
  const I32_LT_U = 0x49;
  const f32load = (offset: number) => [0x2a, 2, ...uleb(offset)];
  const pix = sw * ci * 4;
  const run = fw * ci;
  // params: 0 in, 1 w, 2 out, 3 count, 4 inRow, 5 bias
  // i32 locals: 6 rowIn, 7 rowW, 8 kh left, 9 xp, 10 wp, 11 j
  const fnFor = (T: number) => {
    const acc = (t: number, k: number) => 12 + t * V + k;
    const wv = (k: number) => 12 + T * V + k;
    const xs = (t: number) => 12 + T * V + V + t;
    const body = [
      0x02, 0x40, 0x03, 0x40, // pixel tiles
      ...get(3), ...i32c(T), I32_LT_U, 0x0d, 1,
      ...Array.from({ length: T * V }, (_, i) => [
        ...(s.bias ? [...get(5), ...load(16 * (i % V))] : zero), ...set(acc(Math.floor(i / V), i % V)),
      ]).flat(),
      ...get(0), ...set(6), ...get(1), ...set(7), ...i32c(fh), ...set(8),
      0x03, 0x40, // kh
      ...get(6), ...set(9), ...get(7), ...set(10), ...i32c(run), ...set(11),
      0x03, 0x40, // j over fw·Ci
      ...Array.from({ length: V }, (_, k) => [...get(10), ...load(16 * k), ...set(wv(k))]).flat(),
      ...Array.from({ length: T }, (_, t) => [...get(9), ...f32load(t * pix), ...simd(0x13), ...set(xs(t))]).flat(),
      ...Array.from({ length: T * V }, (_, i) => {
        const t = Math.floor(i / V);
        const k = i % V;
        return [...multiplyAdd(get(acc(t, k)), get(xs(t)), get(wv(k))), ...set(acc(t, k))];
      }).flat(),
      ...get(9), ...i32c(4), I32_ADD, ...set(9),
      ...get(10), ...i32c(co * 4), I32_ADD, ...set(10),
      ...get(11), ...i32c(1), I32_SUB, ...tee(11), 0x0d, 0,
      0x0b,
      ...get(6), ...get(4), I32_ADD, ...set(6),
      ...get(7), ...i32c(run * co * 4), I32_ADD, ...set(7),
      ...get(8), ...i32c(1), I32_SUB, ...tee(8), 0x0d, 0,
      0x0b,
      ...Array.from({ length: T * V }, (_, i) => {
        const t = Math.floor(i / V);
        const k = i % V;
        return [...get(2), ...get(acc(t, k)), ...(s.relu ? [...zero, ...simd(F32X4_MAX)] : []), ...store(t * co * 4 + 16 * k)];
      }).flat(),
      ...get(0), ...i32c(T * pix), I32_ADD, ...set(0),
      ...get(2), ...i32c(T * co * 4), I32_ADD, ...set(2),
      ...get(3), ...i32c(T), I32_SUB, ...set(3),
      0x0c, 0,
      0x0b, 0x0b,
      0x0b,
    ];
    const locals = [[...uleb(6), I32], [...uleb(T * V + V + T), V128]];
    const code = [...vec(locals), ...body];
    return [...uleb(code.length), ...code];
  };
  return wasmModule([
    { name: 'rowT', params: 6, code: fnFor(convPixelTile(V)) },
    { name: 'row1', params: 6, code: fnFor(1) },
  ]);
}

/**
 * The row kernel for one output channel: out[p] = bias + Σ_kh dot(in[kh·inRow + p·pix ..], w[kh]),
 * vectorized over a filter row's fw·Ci taps (a multiple of 4) instead of over output channels, T
 * pixels sharing each weight vector; the four lanes are added at the end. Such a convolution is
 * rare going forward, but it is the input gradient of every network's first layer on one-channel
 * images (MNIST's), which tfjs's fused convolution computes although nothing uses it; XNNPACK took
 * 4 % of the seed network's step for it.
 */
function buildConvDot(s: ConvShape): Uint8Array<ArrayBuffer> {
  const { ci, fh, fw, sw } = s;
  const pix = sw * ci * 4;
  const run = fw * ci;
  const I32_LT_U = 0x49;
  const F32_ADD = 0x92;
  const F32_MAX = 0x97;
  const lane = (i: number) => [...simd(0x1f), i];
  // params: 0 in, 1 w, 2 out, 3 count, 4 inRow, 5 bias; i32 locals: 6 rowIn, 7 rowW, 8 kh left, 9 xp, 10 wp, 11 j
  const fnFor = (T: number) => {
    const acc = (t: number) => 12 + t;
    const wv = 12 + T;
    const body = [
      0x02, 0x40, 0x03, 0x40, // pixel tiles
      ...get(3), ...i32c(T), I32_LT_U, 0x0d, 1,
      ...Array.from({ length: T }, (_, t) => [...zero, ...set(acc(t))]).flat(),
      ...get(0), ...set(6), ...get(1), ...set(7), ...i32c(fh), ...set(8),
      0x03, 0x40, // kh
      ...get(6), ...set(9), ...get(7), ...set(10), ...i32c(run / 4), ...set(11),
      0x03, 0x40, // j over fw·Ci, four taps at a time
      ...get(10), ...load(0), ...set(wv),
      ...Array.from({ length: T }, (_, t) => [...multiplyAdd(get(acc(t)), [...get(9), ...load(t * pix)], get(wv)), ...set(acc(t))]).flat(),
      ...get(9), ...i32c(16), I32_ADD, ...set(9),
      ...get(10), ...i32c(16), I32_ADD, ...set(10),
      ...get(11), ...i32c(1), I32_SUB, ...tee(11), 0x0d, 0,
      0x0b,
      ...get(6), ...get(4), I32_ADD, ...set(6),
      ...get(7), ...i32c(run * 4), I32_ADD, ...set(7),
      ...get(8), ...i32c(1), I32_SUB, ...tee(8), 0x0d, 0,
      0x0b,
      ...Array.from({ length: T }, (_, t) => [
        ...get(2),
        ...get(acc(t)), ...lane(0), ...get(acc(t)), ...lane(1), F32_ADD,
        ...get(acc(t)), ...lane(2), F32_ADD, ...get(acc(t)), ...lane(3), F32_ADD,
        ...(s.bias ? [...get(5), 0x2a, 2, 0, F32_ADD] : []),
        ...(s.relu ? [0x43, 0, 0, 0, 0, F32_MAX] : []),
        0x38, 2, ...uleb(t * 4), // f32.store
      ]).flat(),
      ...get(0), ...i32c(T * pix), I32_ADD, ...set(0),
      ...get(2), ...i32c(T * 4), I32_ADD, ...set(2),
      ...get(3), ...i32c(T), I32_SUB, ...set(3),
      0x0c, 0,
      0x0b, 0x0b,
      0x0b,
    ];
    const locals = [[...uleb(6), I32], [...uleb(T + 1), V128]];
    const code = [...vec(locals), ...body];
    return [...uleb(code.length), ...code];
  };
  return wasmModule([
    { name: 'rowT', params: 6, code: fnFor(DOT_PIXEL_TILE) },
    { name: 'row1', params: 6, code: fnFor(1) },
  ]);
}

const DOT_PIXEL_TILE = 4;

/** Whole tiles of T pixels through rowT, then the pixels left over through row1. */
function tiled(ex: { rowT: ConvRow; row1: ConvRow }, T: number, pix: number, outPix: number, off: number): ConvRow {
  return (inp, w, out, count, inRow, bias) => {
    const whole = count - (count % T);
    if (whole) ex.rowT(inp, w + off, out + off, whole, inRow, bias + off);
    if (whole < count) ex.row1(inp + whole * pix, w + off, out + whole * outPix + off, count - whole, inRow, bias + off);
  };
}

const rowsByMemory = new WeakMap<WebAssembly.Memory, Map<string, unknown>>();

/**
 * `make()` once per heap and key: kernel tasks look their row kernels up per item, and composing the
 * channel groups' closures every time would give the garbage collector a few thousand a step.
 */
function memoized<T>(backend: Wasm, key: string, make: () => T | null): T | null {
  const memory = heapMemory(backend);
  if (!memory) return make();
  let perMemory = rowsByMemory.get(memory);
  if (!perMemory) rowsByMemory.set(memory, (perMemory = new Map()));
  if (perMemory.has(key)) return perMemory.get(key) as T | null;
  const made = make();
  perMemory.set(key, made);
  return made;
}

/** The direct-convolution row kernel for this shape (output channels a multiple of 4, or one), or null. */
export function convRow(backend: Wasm, shape: ConvShape): ConvRow | null {
  const { ci, co, fh, fw, sw, relu, bias } = shape;
  return memoized(backend, `convRow:${ci}:${co}:${fh}:${fw}:${sw}:${relu}:${bias}${fmaKey()}`, () => makeConvRow(backend, shape));
}

function makeConvRow(backend: Wasm, shape: ConvShape): ConvRow | null {
  const pix = shape.sw * shape.ci * 4;
  if (shape.co === 1 && shape.ci > 0 && (shape.fw * shape.ci) % 4 === 0) {
    const key = `dot:${shape.ci}:${shape.fh}:${shape.fw}:${shape.sw}:${shape.relu}:${shape.bias}${fmaKey()}`;
    const exports = instantiateOnHeap(backend, key, () => buildConvDot(shape));
    return exports && tiled(exports as { rowT: ConvRow; row1: ConvRow }, DOT_PIXEL_TILE, pix, 4, 0);
  }
  if (shape.co % 4 !== 0 || shape.co === 0 || shape.ci === 0) return null;
  const rows: ConvRow[] = [];
  for (const { start, size } of channelGroups(shape.co)) {
    const key = `conv:${shape.ci}:${shape.co}:${shape.fh}:${shape.fw}:${shape.sw}:${shape.relu}:${shape.bias}:${size}${fmaKey()}`;
    const exports = instantiateOnHeap(backend, key, () => buildConv(shape, size));
    if (!exports) return null;
    rows.push(tiled(exports as { rowT: ConvRow; row1: ConvRow }, convPixelTile(size / 4), pix, shape.co * 4, start * 4));
  }
  if (rows.length === 1) return rows[0];
  return (inp, w, out, count, inRow, bias) => {
    for (const row of rows) row(inp, w, out, count, inRow, bias);
  };
}

/**
 * Winograd F(2×2, 3×3) transforms (./winograd.ts), one row of 2×2-output tiles per call, four
 * channels per instruction; the products between them are 16 1×1 convolutions on `convRow`.
 *
 * Input: for each of `count` tiles, the 4×4 input patch d (rows `Wp` pixels of `ci` channels
 * apart, tiles two pixels apart) becomes V = Bᵀ d B, whose 16 values go to 16 planes
 * `planeStride` bytes apart (plane ξ = 4i + j, the tile's `ci` values consecutive in each).
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
 */
export type WinogradInputRow = (src: number, dst: number, count: number) => void;

/**
 * Output: for each of `count` tiles, the 16 planes' values m become Y = Aᵀ m A (2×2 pixels,
 * `OW` pixels of `co` channels per output row), plus bias, then ReLU if asked.
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1]
 */
export type WinogradOutputRow = (src: number, out: number, count: number, bias: number) => void;

/**
 * The filter gradient's transform of the output gradient: for each of `count` tiles, its 2×2 block
 * of dY (rows `OW` pixels of `co` channels apart) becomes A dY Aᵀ, whose 16 values go to 16 planes
 * `planeStride` bytes apart, as the input transform's do (the transpose of the output transform).
 *   A = [1 0; 1 1; 1 −1; 0 −1]
 */
export type WinogradGradOutputRow = (src: number, dst: number, count: number) => void;

/** Bᵀ applied to four vectors (d0..d3), as code that leaves each result in `to(i)`. */
function inputTransform1D(d: (r: number) => number[], to: (i: number) => number): number[] {
  return [
    ...d(0), ...d(2), ...simd(F32X4_SUB), ...set(to(0)),
    ...d(1), ...d(2), ...simd(F32X4_ADD), ...set(to(1)),
    ...d(2), ...d(1), ...simd(F32X4_SUB), ...set(to(2)),
    ...d(1), ...d(3), ...simd(F32X4_SUB), ...set(to(3)),
  ];
}

/**
 * A Winograd transform `(params…) → ()` over `count` tiles (param 2). For each tile, a loop over the
 * `vectors` channel vectors runs `step`; each of `pointers` is a local that starts at its param and
 * moves 16 bytes a vector, and after the tile the param moves `tileStep` bytes. Locals: the vectors
 * left (first), the pointers in order (`pointer(k)`), then `v128Locals` v128s from `firstV128`.
 */
function tileTransform(params: number, pointers: { param: number; tileStep: number }[], v128Locals: number, vectors: number,
  step: (pointer: (k: number) => number, firstV128: number) => number[]): Uint8Array<ArrayBuffer> {
  const left = params;
  const pointer = (k: number) => params + 1 + k;
  const body = [
    0x02, 0x40, 0x03, 0x40, // tiles
    ...get(2), I32_EQZ, 0x0d, 1,
    ...pointers.flatMap(({ param }, k) => [...get(param), ...set(pointer(k))]), ...i32c(vectors), ...set(left),
    0x03, 0x40, // channel vectors
    ...step(pointer, params + 1 + pointers.length),
    ...pointers.flatMap((_, k) => [...get(pointer(k)), ...i32c(16), I32_ADD, ...set(pointer(k))]),
    ...get(left), ...i32c(1), I32_SUB, ...tee(left), 0x0d, 0,
    0x0b,
    ...pointers.filter(({ tileStep }) => tileStep !== 0).flatMap(({ param, tileStep }) => [...get(param), ...i32c(tileStep), I32_ADD, ...set(param)]),
    ...get(2), ...i32c(1), I32_SUB, ...set(2),
    0x0c, 0,
    0x0b, 0x0b,
    0x0b,
  ];
  const locals = [[...uleb(1 + pointers.length), I32], [...uleb(v128Locals), V128]];
  const code = [...vec(locals), ...body];
  return wasmModule([{ name: 'row', params, code: [...uleb(code.length), ...code] }]);
}

function buildWinogradInput(ci: number, Wp: number, planeStride: number): Uint8Array<ArrayBuffer> {
  // params: 0 src, 1 dst, 2 count; v128: t[i][c] (16), then d (4)
  const pixel = (r: number, c: number) => (r * Wp + c) * ci * 4;
  return tileTransform(3, [{ param: 0, tileStep: 2 * ci * 4 }, { param: 1, tileStep: ci * 4 }], 20, ci / 4, (pointer, v) => {
    const [SP, DP] = [pointer(0), pointer(1)];
    const t = (i: number, c: number) => v + 4 * i + c;
    const dl = (r: number) => v + 16 + r;
    return [
      // Columns first: t[·][c] = Bᵀ d[·][c].
      ...Array.from({ length: 4 }, (_, c) => [
        ...Array.from({ length: 4 }, (_, r) => [...get(SP), ...load(pixel(r, c)), ...set(dl(r))]).flat(),
        ...inputTransform1D((r) => get(dl(r)), (i) => t(i, c)),
      ]).flat(),
      // Then rows: V[i][·] = Bᵀ t[i][·], stored to planes 4i..4i+3.
      ...Array.from({ length: 4 }, (_, i) => {
        const value = (j: number) => [...get(DP), ...(j === 0 ? [...get(t(i, 0)), ...get(t(i, 2)), ...simd(F32X4_SUB)]
          : j === 1 ? [...get(t(i, 1)), ...get(t(i, 2)), ...simd(F32X4_ADD)]
            : j === 2 ? [...get(t(i, 2)), ...get(t(i, 1)), ...simd(F32X4_SUB)]
              : [...get(t(i, 1)), ...get(t(i, 3)), ...simd(F32X4_SUB)]), ...store((4 * i + j) * planeStride)];
        return [0, 1, 2, 3].flatMap(value);
      }).flat(),
    ];
  });
}

function buildWinogradOutput(co: number, OW: number, planeStride: number, bias: boolean, relu: boolean): Uint8Array<ArrayBuffer> {
  // params: 0 src, 1 out, 2 count, 3 bias; v128: s[a][j] (Aᵀ over each column j, 8), m (one column, 4), bias
  const pointers = [{ param: 0, tileStep: co * 4 }, { param: 1, tileStep: 2 * co * 4 }, { param: 3, tileStep: 0 }];
  return tileTransform(4, pointers, 13, co / 4, (pointer, v) => {
    const [SP, OP, BP] = [pointer(0), pointer(1), pointer(2)];
    const s = (a: number, j: number) => v + 4 * a + j;
    const m = (i: number) => v + 8 + i;
    const BV = v + 12;
    const finish = (value: number[]) => [
      ...value,
      ...(bias ? [...get(BV), ...simd(F32X4_ADD)] : []),
      ...(relu ? [...zero, ...simd(F32X4_MAX)] : []),
    ];
    return [
      ...(bias ? [...get(BP), ...load(0), ...set(BV)] : []),
      ...Array.from({ length: 4 }, (_, j) => [
        ...Array.from({ length: 4 }, (_, i) => [...get(SP), ...load((4 * i + j) * planeStride), ...set(m(i))]).flat(),
        ...get(m(0)), ...get(m(1)), ...simd(F32X4_ADD), ...get(m(2)), ...simd(F32X4_ADD), ...set(s(0, j)),
        ...get(m(1)), ...get(m(2)), ...simd(F32X4_SUB), ...get(m(3)), ...simd(F32X4_SUB), ...set(s(1, j)),
      ]).flat(),
      ...Array.from({ length: 2 }, (_, a) => [
        ...get(OP), ...finish([...get(s(a, 0)), ...get(s(a, 1)), ...simd(F32X4_ADD), ...get(s(a, 2)), ...simd(F32X4_ADD)]),
        ...store(a * OW * co * 4),
        ...get(OP), ...finish([...get(s(a, 1)), ...get(s(a, 2)), ...simd(F32X4_SUB), ...get(s(a, 3)), ...simd(F32X4_SUB)]),
        ...store((a * OW + 1) * co * 4),
      ]).flat(),
    ];
  });
}

function buildWinogradGradOutput(co: number, OW: number, planeStride: number): Uint8Array<ArrayBuffer> {
  // params: 0 src, 1 dst, 2 count; v128: s[a][q] (A over each column q, 8), y[p][q] (4)
  // A applied to two vectors: [u0, u0 + u1, u0 − u1, −u1].
  const spread = (u0: number[], u1: number[]): number[][] => [
    u0, [...u0, ...u1, ...simd(F32X4_ADD)], [...u0, ...u1, ...simd(F32X4_SUB)], [...zero, ...u1, ...simd(F32X4_SUB)],
  ];
  return tileTransform(3, [{ param: 0, tileStep: 2 * co * 4 }, { param: 1, tileStep: co * 4 }], 12, co / 4, (pointer, v) => {
    const [SP, DP] = [pointer(0), pointer(1)];
    const sv = (a: number, q: number) => v + 2 * a + q;
    const y = (p: number, q: number) => v + 8 + 2 * p + q;
    return [
      ...[0, 1].flatMap((p) => [0, 1].flatMap((q) => [...get(SP), ...load((p * OW + q) * co * 4), ...set(y(p, q))])),
      // Columns first: s[·][q] = A y[·][q].
      ...[0, 1].flatMap((q) => spread(get(y(0, q)), get(y(1, q))).flatMap((code, a) => [...code, ...set(sv(a, q))])),
      // Then rows: m[a][·] = A s[a][·], stored to planes 4a..4a+3.
      ...[0, 1, 2, 3].flatMap((a) => spread(get(sv(a, 0)), get(sv(a, 1))).flatMap((code, b) => [
        ...get(DP), ...code, ...store((4 * a + b) * planeStride),
      ])),
    ];
  });
}

/** The input transform for `ci` channels (a multiple of 4), input rows `Wp` pixels wide, planes `planeStride` bytes apart. */
export function winogradInputRow(backend: Wasm, ci: number, Wp: number, planeStride: number): WinogradInputRow | null {
  if (ci % 4 !== 0 || ci === 0) return null;
  const exports = instantiateOnHeap(backend, `wgi:${ci}:${Wp}:${planeStride}`, () => buildWinogradInput(ci, Wp, planeStride));
  return exports && (exports.row as WinogradInputRow);
}

/** The output transform for `co` channels (a multiple of 4), output rows `OW` pixels wide. */
export function winogradOutputRow(backend: Wasm, co: number, OW: number, planeStride: number, bias: boolean, relu: boolean): WinogradOutputRow | null {
  if (co % 4 !== 0 || co === 0) return null;
  const exports = instantiateOnHeap(backend, `wgo:${co}:${OW}:${planeStride}:${bias}:${relu}`, () => buildWinogradOutput(co, OW, planeStride, bias, relu));
  return exports && (exports.row as WinogradOutputRow);
}

/** The output gradient's transform for `co` channels (a multiple of 4), dY rows `OW` pixels wide. */
export function winogradGradOutputRow(backend: Wasm, co: number, OW: number, planeStride: number): WinogradGradOutputRow | null {
  if (co % 4 !== 0 || co === 0) return null;
  const exports = instantiateOnHeap(backend, `wgd:${co}:${OW}:${planeStride}`, () => buildWinogradGradOutput(co, OW, planeStride));
  return exports && (exports.row as WinogradGradOutputRow);
}

/**
 * Column sums for the Sum kernel (./sum.ts): out[k] = Σ_r x[r·rowStride + k] for k < `channels`
 * (even), accumulated in float64, two channels per f64x2 lane pair, row after row: each channel's
 * additions are the scalar float64 loop's, in its order, so the result is the same to the bit.
 * Params: x (byte pointer at the first row's first channel), rows, out (float32, rounded once).
 */
export type ColumnSums = (x: number, rows: number, out: number) => void;

function buildColumnSums(rowStride: number, channels: number): Uint8Array<ArrayBuffer> {
  const pairs = channels / 2;
  const V128_LOAD64_ZERO = 0x5d;
  const F64X2_PROMOTE_LOW_F32X4 = 0x5f;
  const F64X2_ADD = 0xf0;
  const F64X2_EXTRACT_LANE = 0x21;
  const F32_DEMOTE_F64 = 0xb6;
  const acc = (j: number) => 3 + j;
  const body = [
    0x02, 0x40, 0x03, 0x40,
    ...get(1), I32_EQZ, 0x0d, 1,
    ...Array.from({ length: pairs }, (_, j) => [
      ...get(acc(j)), ...get(0), ...simd(V128_LOAD64_ZERO), 2, ...uleb(8 * j), ...simd(F64X2_PROMOTE_LOW_F32X4), ...simd(F64X2_ADD), ...set(acc(j)),
    ]).flat(),
    ...get(0), ...i32c(rowStride), I32_ADD, ...set(0),
    ...get(1), ...i32c(1), I32_SUB, ...set(1),
    0x0c, 0,
    0x0b, 0x0b,
    ...Array.from({ length: pairs }, (_, j) => [0, 1].flatMap((lane) => [
      ...get(2), ...get(acc(j)), ...simd(F64X2_EXTRACT_LANE), lane, F32_DEMOTE_F64, 0x38, 2, ...uleb(8 * j + 4 * lane),
    ])).flat(),
    0x0b,
  ];
  const code = [...vec([[...uleb(pairs), V128]]), ...body];
  return wasmModule([{ name: 'sums', params: 3, code: [...uleb(code.length), ...code] }]);
}

/** Column sums of `channels` (even) columns, rows `rowStride` bytes apart, or null. */
export function columnSums(backend: Wasm, rowStride: number, channels: number): ColumnSums | null {
  if (channels % 2 !== 0 || channels === 0) return null;
  const exports = instantiateOnHeap(backend, `cs:${rowStride}:${channels}`, () => buildColumnSums(rowStride, channels));
  return exports && (exports.sums as ColumnSums);
}

/**
 * Bulk moves on the heap, for the kernels' staging: a typed array's `set`, `copyWithin` or `fill`
 * on the shared heap goes a few bytes at a time (V8 cannot assume no other thread writes), and
 * JavaScript loops over a shared Float32Array run several times slower than over an unshared one;
 * memory.copy, memory.fill and f32x4.add do not.
 */
export interface HeapMoves {
  /** `rows` times: `rowBytes` bytes from src to dst (a memmove), then src += srcStride, dst += dstStride. */
  copyRows(src: number, dst: number, rows: number, srcStride: number, dstStride: number, rowBytes: number): void;
  /** `bytes` zero bytes at dst. */
  zero(dst: number, bytes: number): void;
  /** dst[i] += src[i] for `vectors` × 4 float32s (each sum rounded as the scalar float32 addition rounds it). */
  addInto(dst: number, src: number, vectors: number): void;
}

function buildHeapMoves(): Uint8Array<ArrayBuffer> {
  const MEMORY_COPY = [0xfc, ...uleb(10), 0x00, 0x00];
  const MEMORY_FILL = [0xfc, ...uleb(11), 0x00];
  const loop = (counter: number, body: number[]) => [
    0x02, 0x40, 0x03, 0x40,
    ...get(counter), I32_EQZ, 0x0d, 1,
    ...body,
    ...get(counter), ...i32c(1), I32_SUB, ...set(counter),
    0x0c, 0,
    0x0b, 0x0b,
  ];
  const code = (locals: number[][], body: number[]) => {
    const all = [...vec(locals), ...body, 0x0b];
    return [...uleb(all.length), ...all];
  };
  return wasmModule([
    {
      name: 'copyRows', params: 6,
      code: code([], loop(2, [
        ...get(1), ...get(0), ...get(5), ...MEMORY_COPY,
        ...get(0), ...get(3), I32_ADD, ...set(0),
        ...get(1), ...get(4), I32_ADD, ...set(1),
      ])),
    },
    { name: 'zero', params: 2, code: code([], [...get(0), ...i32c(0), ...get(1), ...MEMORY_FILL]) },
    {
      name: 'addInto', params: 3,
      code: code([], loop(2, [
        ...get(0), ...get(0), ...load(0), ...get(1), ...load(0), ...simd(F32X4_ADD), ...store(0),
        ...get(0), ...i32c(16), I32_ADD, ...set(0),
        ...get(1), ...i32c(16), I32_ADD, ...set(1),
      ])),
    },
  ]);
}

/** The bulk moves on this backend's heap, or null where the backend does not expose its memory. */
export function heapMoves(backend: Wasm): HeapMoves | null {
  const exports = instantiateOnHeap(backend, 'heapMoves', buildHeapMoves);
  return exports && (exports as unknown as HeapMoves);
}
