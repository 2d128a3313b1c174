/**
 * The blend seam's innermost loop on a small WebAssembly kernel (wasm/ring-sums.wat, compiled into
 * ring-sums-wasm.ts): each candidate ring's per-slot noise sum and sample count, read off row prefix sums, and the
 * ring judged from them (which sectors count, which one is its statistic). It was the bulk of the blend seam's cost
 * in JavaScript, which reads typed arrays slower in a browser worker than WebAssembly reads its memory (README,
 * Benchmarks). The kernel does the same IEEE operations in the same order as the JavaScript it replaced, so the
 * values are bit-identical (test/ring-sums.test.ts). It needs WebAssembly SIMD and, under a Content-Security-Policy,
 * `'wasm-unsafe-eval'`, as onnxruntime-web's own runtime does; it is compiled from bytes in the bundle (nothing is
 * fetched).
 */
import { RING_SUMS_WASM } from './ring-sums-wasm.js';
import { aligned, lazyKernel, reserve } from './wasm-kernel.js';

interface Kernel {
  memory: WebAssembly.Memory;
  ringSums(bases: number, n: number, lower: number, upper: number, slotEnd: number, slots: number, out: number): void;
  judgeRings(pairs: number, n: number, enough: number, minSectors: number, weakest: number, sectors: number, out: number): void;
}

/** How {@link RingSums.judge} judges a ring of 8 sectors (blend-seam.ts sets them). */
export interface RingRule {
  /** Samples each of the 24 slots needs (a sector's two sides count together in a whole ring). */
  enough: Float64Array;
  /** Fewest sectors a ring partly off the breast is judged on. */
  minSectors: number;
  /** The statistic is the sector this many from the top of the judged sectors' ascending order. */
  weakest: number;
}

const ringKernel = lazyKernel<Kernel>(RING_SUMS_WASM);
/** The newest RingSums: the kernel has one memory, so only the newest one's prefix sums are in it. */
let newest = 0;

/** A ring's runs, grouped by slot: each run's ends relative to a centre, in prefix entries (pairs); where each slot's end. */
export interface SlotRuns {
  lower: Int32Array;
  upper: Int32Array;
  /** slotEnd[s + 1]: the end of slot s's runs (slotEnd[0] = 0). */
  slotEnd: Int32Array;
}

/**
 * One octave's interleaved row prefix sums (noise sum, sample count) held in the kernel's memory, judged radius after
 * radius. One at a time: a new one takes the memory, and the older one's `sums` throws. The memory grows to the
 * largest image seen and is kept (about 4 MB: the seam's cells scale with the image, about 256 a side).
 */
export class RingSums {
  private readonly bytes: number;
  private readonly generation = ++newest;

  /** Copies `prefix` (pairs, as blend-seam.ts lays them out) into the kernel's memory. */
  constructor(prefix: Float64Array) {
    this.bytes = prefix.byteLength;
    const { memory } = ringKernel();
    reserve(memory, this.bytes);
    new Float64Array(memory.buffer, 0, prefix.length).set(prefix);
  }

  /**
   * Per-slot (sum, count) pairs of the rings at `bases` (centres as pair offsets into the prefix rows): `slots`
   * pairs per centre, centre after centre. The view is valid until the next call. (blend-seam.ts asks for
   * {@link RingSums.judge}; test/ring-sums.test.ts reads the sums themselves.)
   */
  sums(runs: SlotRuns, bases: Int32Array): Float64Array {
    const { out, n, slots } = this.sumInto(runs, bases);
    return new Float64Array(ringKernel().memory.buffer, out, 2 * slots * n);
  }

  /**
   * The rings at `bases` (8 sectors, 24 slots: feathers, inner sides, outer sides), judged by `rule`: per ring three
   * numbers, its pool (9: whole, on the breast all round; 6-8: the number of sectors judged on a ring partly off it;
   * -1: not judged), and the feather mean and side mean of the sector that is its statistic (the caller takes the
   * log of their ratio). The view is valid until the next call.
   */
  judge(runs: SlotRuns, bases: Int32Array, rule: RingRule): Float64Array {
    const { out, n, slots } = this.sumInto(runs, bases);
    if (slots !== 24 || rule.enough.length !== 24) throw new Error(`RingSums.judge: rings of 8 sectors have 24 slots, got ${slots}`);
    const k = ringKernel();
    const enough = out + 16 * slots * n;
    const sectors = enough + 8 * 24;
    // The kernel's scratch for a ring's sectors: 24 doubles and 8 counts.
    const judged = sectors + 8 * 24 + 32;
    reserve(k.memory, judged + 24 * n);
    new Float64Array(k.memory.buffer, enough, 24).set(rule.enough);
    k.judgeRings(out, n, enough, rule.minSectors, rule.weakest, sectors, judged);
    return new Float64Array(k.memory.buffer, judged, 3 * n);
  }

  /** Writes the per-slot pairs of the rings at `bases` into the kernel memory; where they start. */
  private sumInto(runs: SlotRuns, bases: Int32Array): { out: number; n: number; slots: number } {
    if (this.generation !== newest) throw new Error('RingSums: a newer RingSums has replaced these prefix sums in the kernel memory');
    const slots = runs.slotEnd.length - 1;
    const k = ringKernel();
    const n = bases.length;
    const lower = aligned(this.bytes);
    const upper = aligned(lower + 4 * runs.lower.length);
    const slotEnd = aligned(upper + 4 * runs.upper.length);
    const basesAt = aligned(slotEnd + 4 * runs.slotEnd.length);
    const out = aligned(basesAt + 4 * n);
    reserve(k.memory, out + 16 * slots * n);
    const buffer = k.memory.buffer;
    new Int32Array(buffer, lower, runs.lower.length).set(runs.lower);
    new Int32Array(buffer, upper, runs.upper.length).set(runs.upper);
    new Int32Array(buffer, slotEnd, runs.slotEnd.length).set(runs.slotEnd);
    new Int32Array(buffer, basesAt, n).set(bases);
    k.ringSums(basesAt, n, lower, upper, slotEnd, slots, out);
    return { out, n, slots };
  }
}
