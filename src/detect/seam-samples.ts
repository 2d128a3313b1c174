/**
 * The blend seam's noise samples on a small WebAssembly kernel (wasm/seam-samples.wat, compiled into
 * seam-samples-wasm.ts): the 3x3 residual of every `step`-th pixel with its intensity bin and cell, each bin's median,
 * and each cell's sum of relative noise. Once the rings ran in WebAssembly these JavaScript loops were most of the
 * seam's cost. The kernel does the same IEEE operations in the same order as the loops it replaced (the reference in
 * test/seam-samples.test.ts), so the values are bit-identical. Like the other kernels it needs WebAssembly and, under
 * a Content-Security-Policy, `'wasm-unsafe-eval'`; it is compiled from bytes in the bundle (nothing is fetched).
 */
import type { BreastMask } from '../image/preprocess.js';
import { SEAM_SAMPLES_WASM } from './seam-samples-wasm.js';
import { aligned, lazyKernel, reserve } from './wasm-kernel.js';

/** Intensity bins of the noise-intensity relation, and the samples a bin needs to count. */
export const BINS = 64;
export const MIN_BIN_SAMPLES = 200;

interface Kernel {
  memory: WebAssembly.Memory;
  sampleRow(up: number, mid: number, down: number, xEnd: number, step: number, cell: number, cellRow: number, maskRow: number, maskColumn: number, size: number, bin: number, where: number, perBin: number, n: number): number;
  digitCounts(size: number, bin: number, n: number, prefix: number, above: number, shift: number, mask: number, counts: number): void;
  cellSums(size: number, bin: number, where: number, n: number, expected: number, cap: number, e: number, c: number): void;
}

const seamKernel = lazyKernel<Kernel>(SEAM_SAMPLES_WASM);

/** Byte offsets of the kernel's arrays. */
interface Layout {
  maskColumn: number;
  mask: number;
  perBin: number;
  prefix: number;
  expected: number;
  counts: number;
  size: number;
  where: number;
  bin: number;
  e: number;
  c: number;
  end: number;
}

/** The arrays laid out one after another: three image rows first (at 0), then the rest. */
function layout(width: number, maskBytes: number, capacity: number, cells: number): Layout {
  const maskColumn = aligned(12 * width);
  const mask = aligned(maskColumn + 4 * width);
  const perBin = aligned(mask + maskBytes);
  const prefix = aligned(perBin + 4 * BINS);
  const expected = aligned(prefix + 4 * BINS);
  const counts = aligned(expected + 8 * BINS);
  const size = aligned(counts + 4 * (BINS << 11));
  const where = aligned(size + 4 * capacity);
  const bin = aligned(where + 4 * capacity);
  const e = aligned(bin + capacity);
  const c = e + 8 * cells;
  return { maskColumn, mask, perBin, prefix, expected, counts, size, where, bin, e, c, end: c + 8 * cells };
}

/**
 * The residual samples of one image, held in the kernel's memory: valid until the next {@link seamSamples} or
 * {@link selectInBins} call (the kernel has one memory).
 */
export interface SeamSamples {
  /** Samples taken. */
  n: number;
  /** Samples per bin. */
  perBin: Int32Array;
  /** Where they lie in the kernel's memory. */
  at: Layout;
  cells: number;
}

/**
 * Every `step`-th pixel each way within whole cells (`cell` px, `cellsW` x `cellsH`), on the breast and with no
 * clipped tap: the size of its 3x3 noise residual (Immerkaer's mask: it cancels a local plane, keeps the pixel
 * noise), its intensity bin (the 3x3 mean) and its cell.
 */
export function seamSamples(display: Float32Array, width: number, height: number, step: number, cell: number, cellsW: number, cellsH: number, breast?: BreastMask): SeamSamples {
  const k = seamKernel();
  const cells = cellsW * cellsH;
  const at = layout(width, breast ? breast.mask.length : 0, Math.ceil(width / step) * Math.ceil(height / step), cells);
  reserve(k.memory, at.end);
  const { buffer } = k.memory;
  if (breast) {
    const columns = new Int32Array(buffer, at.maskColumn, width);
    for (let x = 0; x < width; x++) columns[x] = Math.min(breast.width - 1, Math.floor(x / breast.block));
    new Uint8Array(buffer, at.mask, breast.mask.length).set(breast.mask);
  }
  const perBin = new Int32Array(buffer, at.perBin, BINS).fill(0);
  // Image row r is held in slot r % 3: a sampled row and its two neighbours, each row copied once when step is 1.
  const rows = new Float32Array(buffer, 0, 3 * width);
  const held = [-1, -1, -1];
  const slot = (r: number) => 4 * width * (r % 3);
  const xEnd = Math.min(width - 1, cellsW * cell);
  let n = 0;
  for (let y = 1; y < Math.min(height - 1, cellsH * cell); y += step) {
    for (let r = y - 1; r <= y + 1; r++) {
      if (held[r % 3] === r) continue;
      rows.set(display.subarray(r * width, (r + 1) * width), (r % 3) * width);
      held[r % 3] = r;
    }
    const maskRow = breast ? at.mask + Math.min(breast.height - 1, Math.floor(y / breast.block)) * breast.width : -1;
    n = k.sampleRow(slot(y - 1), slot(y), slot(y + 1), xEnd, step, cell, ((y / cell) | 0) * cellsW, maskRow, at.maskColumn, at.size, at.bin, at.where, at.perBin, n);
  }
  return { n, perBin: perBin.slice(), at, cells };
}

/**
 * Each cell's sum of the samples' relative noise, min(cap, size / expected[bin]), and its count of samples, written
 * into `e` and `c` (overwritten whole, `cellsW * cellsH` long).
 */
export function cellSums(samples: SeamSamples, expected: Float64Array, cap: number, e: Float64Array, c: Float64Array): void {
  const k = seamKernel();
  const { at, n, cells } = samples;
  new Float64Array(k.memory.buffer, at.expected, BINS).set(expected);
  const sums = new Float64Array(k.memory.buffer, at.e, cells).fill(0);
  const counts = new Float64Array(k.memory.buffer, at.c, cells).fill(0);
  k.cellSums(at.size, at.bin, at.where, n, at.expected, cap, at.e, at.c);
  e.set(sums);
  c.set(counts);
}

/** Radix digits of {@link binMedians}: 11, 11 and 10 bits of a float32's pattern, high to low. */
const DIGITS = [
  { shift: 21, width: 11 },
  { shift: 10, width: 11 },
  { shift: 0, width: 10 },
] as const;

/**
 * Each filled bin's sample of rank floor(count / 2) in ascending order: its median, the upper one of an even count;
 * 0 for the bins with fewer than {@link MIN_BIN_SAMPLES}.
 *
 * The samples are >= 0 (sizes of residuals), whose float32 bit patterns order like the numbers, so three radix
 * passes over all samples at once, each keeping only those whose higher digits match their bin's median so far,
 * find the exact element a selection per bin would.
 */
export function binMedians(samples: SeamSamples): Float32Array {
  const k = seamKernel();
  const { at, n, perBin } = samples;
  const counts = new Int32Array(k.memory.buffer, at.counts, BINS << 11);
  // Per bin: the digits found so far (-1: not searched) and the rank left within them.
  const prefix = new Int32Array(k.memory.buffer, at.prefix, BINS).fill(-1);
  const rank = new Int32Array(BINS);
  for (let b = 0; b < BINS; b++) {
    if (perBin[b] < MIN_BIN_SAMPLES) continue;
    prefix[b] = 0;
    rank[b] = perBin[b] >> 1;
  }
  let above = 32; // the bits the prefix holds are those above this one
  for (const { shift, width } of DIGITS) {
    counts.fill(0);
    k.digitCounts(at.size, at.bin, n, at.prefix, above, shift, (1 << width) - 1, at.counts);
    for (let b = 0; b < BINS; b++) {
      if (prefix[b] < 0) continue;
      let digit = 0;
      let left = rank[b];
      while (left >= counts[(b << 11) | digit]) left -= counts[(b << 11) | digit++];
      prefix[b] = (prefix[b] << width) | digit;
      rank[b] = left;
    }
    above = shift;
  }
  const chosen = new Float32Array(BINS);
  const bits = new Uint32Array(chosen.buffer);
  for (let b = 0; b < BINS; b++) if (prefix[b] >= 0) bits[b] = prefix[b];
  return chosen;
}

/**
 * {@link binMedians} of samples given as arrays: `size`, the first n samples' values (>= 0), `bin`, their bins (below
 * {@link BINS}), `perBin`, how many each bin has. Copies them into the kernel's memory.
 */
export function selectInBins(size: Float32Array, bin: Uint8Array, n: number, perBin: Int32Array): Float32Array {
  const k = seamKernel();
  const at = layout(0, 0, n, 0);
  reserve(k.memory, at.end);
  new Float32Array(k.memory.buffer, at.size, n).set(size.subarray(0, n));
  new Uint8Array(k.memory.buffer, at.bin, n).set(bin.subarray(0, n));
  return binMedians({ n, perBin, at, cells: 0 });
}
