/**
 * All-reduce between the worker threads of one data-parallel training run, over a
 * SharedArrayBuffer. Every rank combines the ranks' contributions in rank order, so all ranks get
 * bit-identical results and their model copies stay identical without broadcasting weights.
 *
 * Slots alternate between two halves of the buffer: a rank can be at most one collective ahead
 * of the slowest one, so it never overwrites a half that another rank is still reading.
 */
export interface CollectiveInit {
  sab: SharedArrayBuffer;
  rank: number;
  size: number;
  /** Capacity of one rank's slot, in float64 values. */
  slotLength: number;
}

const HEADER = 4; // int32: barrier count, barrier generation

export function collectiveBuffer(size: number, slotLength: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER * 4 + 2 * size * slotLength * 8);
}

export class Collective {
  readonly rank: number;
  readonly size: number;
  private readonly ctl: Int32Array;
  private readonly data: Float64Array;
  private readonly slotLength: number;
  private parity = 0;

  constructor(init: CollectiveInit) {
    this.rank = init.rank;
    this.size = init.size;
    this.slotLength = init.slotLength;
    this.ctl = new Int32Array(init.sab, 0, HEADER);
    this.data = new Float64Array(init.sab, HEADER * 4, 2 * init.size * init.slotLength);
  }

  barrier(): void {
    const gen = Atomics.load(this.ctl, 1);
    if (Atomics.add(this.ctl, 0, 1) === this.size - 1) {
      Atomics.store(this.ctl, 0, 0);
      Atomics.add(this.ctl, 1, 1);
      Atomics.notify(this.ctl, 1);
    } else {
      while (Atomics.load(this.ctl, 1) === gen) Atomics.wait(this.ctl, 1, gen);
    }
  }

  /**
   * Gathers every rank's `values` (same length on all ranks) and returns them in rank order.
   * The returned views are valid until the next-but-one collective.
   */
  allGather(values: ArrayLike<number>): Float64Array[] {
    if (values.length > this.slotLength) throw new Error(`collective slot too small (${values.length} > ${this.slotLength})`);
    const base = this.parity * this.size * this.slotLength;
    this.parity ^= 1;
    const mine = this.data.subarray(base + this.rank * this.slotLength, base + this.rank * this.slotLength + values.length);
    for (let i = 0; i < values.length; i++) mine[i] = values[i];
    this.barrier();
    return Array.from({ length: this.size }, (_, r) =>
      this.data.subarray(base + r * this.slotLength, base + r * this.slotLength + values.length));
  }

  /** In-place sum over ranks, accumulated in rank order. */
  allReduceSum(values: Float64Array | Float32Array): void {
    const parts = this.allGather(values);
    for (let i = 0; i < values.length; i++) {
      let s = 0;
      for (const p of parts) s += p[i];
      values[i] = s;
    }
  }
}

let current: Collective | null = null;

/** The collective that batch-norm kernels synchronize their statistics over (SyncBN), if any. */
export function activeCollective(): Collective | null {
  return current;
}

export function setActiveCollective(c: Collective | null): void {
  current = c;
}
