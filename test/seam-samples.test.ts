// The blend seam's sampling kernel (wasm/seam-samples.wat) against the JavaScript it replaced: the same residuals,
// bins and cells, the same medians and the same additions in the same order, so every cell's sum must match to the
// bit, on images with clipped regions and 8-bit levels, with and without a breast mask, at sampling steps 1 to 3.
import type { BreastMask } from '../src/image/preprocess.js';
import { BINS, binMedians, cellSums, MIN_BIN_SAMPLES, seamSamples } from '../src/detect/seam-samples.js';
import { acquire, assert, seededRandom, skinLine, sourceGrains } from './support/helpers.js';

/** The sampling and cell sums as they were in src/detect/blend-seam.ts before the kernel. */
function reference(display: Float32Array, width: number, height: number, step: number, cell: number, cellsW: number, cellsH: number, breast?: BreastMask) {
  const size: number[] = [];
  const bin: number[] = [];
  const where: number[] = [];
  const perBin = new Int32Array(BINS);
  const xEnd = Math.min(width - 1, cellsW * cell);
  const inside = (p: number, q: number, r: number) => p > 0 && p < 1 && q > 0 && q < 1 && r > 0 && r < 1;
  for (let y = 1; y < Math.min(height - 1, cellsH * cell); y += step) {
    const cellRow = ((y / cell) | 0) * cellsW;
    for (let x = 1; x < xEnd; x += step) {
      if (breast) {
        const column = Math.min(breast.width - 1, Math.floor(x / breast.block));
        const row = Math.min(breast.height - 1, Math.floor(y / breast.block));
        if (breast.mask[row * breast.width + column] !== 1) continue;
      }
      const at = (dx: number, dy: number) => display[(y + dy) * width + x + dx];
      const [a, b, c, d, e, f, g, h, i] = [at(-1, -1), at(0, -1), at(1, -1), at(-1, 0), at(0, 0), at(1, 0), at(-1, 1), at(0, 1), at(1, 1)];
      if (!inside(a, d, g) || !inside(b, e, h) || !inside(c, f, i)) continue;
      const k = Math.min(BINS - 1, Math.floor(((a + b + c + d + e + f + g + h + i) / 9) * BINS));
      size.push(Math.fround(Math.abs(a + c + g + i - 2 * (b + d + f + h) + 4 * e)));
      bin.push(k);
      where.push(cellRow + ((x / cell) | 0));
      perBin[k]++;
    }
  }
  const medians = new Float32Array(BINS);
  for (let b = 0; b < BINS; b++) {
    if (perBin[b] < MIN_BIN_SAMPLES) continue;
    const values = Float32Array.from(size.filter((_, k) => bin[k] === b)).sort();
    medians[b] = values[values.length >> 1];
  }
  // Any positive expectation per bin will do here: the sums must follow it exactly.
  const expected = Float64Array.from({ length: BINS }, (_, b) => Math.max(1e-9, medians[b] || 0.01 * (b + 1)));
  const e = new Float64Array(cellsW * cellsH);
  const c = new Float64Array(cellsW * cellsH);
  for (let k = 0; k < size.length; k++) {
    e[where[k]] += Math.min(4, size[k] / expected[bin[k]]);
    c[where[k]] += 1;
  }
  return { n: size.length, perBin, medians, expected, e, c };
}

/** A mask of `block`-px cells: an irregular breast-like blob, with holes. */
function blobMask(width: number, height: number, block: number, seed: number): BreastMask {
  const next = seededRandom(seed);
  const w = Math.ceil(width / block);
  const h = Math.ceil(height / block);
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) mask[y * w + x] = Math.hypot(x / w, (y - h / 2) / h) < 0.6 && next() > 0.05 ? 1 : 0;
  }
  return { mask, width: w, height: h, block };
}

describe('seam sampling kernel', () => {
  it("gives the JavaScript loop's samples, medians and cell sums to the bit", () => {
    const next = seededRandom(31);
    const clipped = acquire(600, 500, 5, sourceGrains[1]);
    // Clipped runs (exactly 0 and exactly 1) and a saturated label.
    for (let k = 0; k < 4000; k++) clipped[Math.floor(next() * clipped.length)] = next() < 0.5 ? 0 : 1;
    for (let y = 40; y < 90; y++) clipped.fill(1, y * 600 + 400, y * 600 + 520);
    const eightBit = acquire(700, 900, 6, sourceGrains[2]).map((v) => Math.round(v * 255) / 255);
    const cases: Array<[string, Float32Array, number, number, number, number, BreastMask | undefined]> = [
      ['1024 px phantom, step 1, cell 4, no mask', acquire(1024, 1024, 1, sourceGrains[0]), 1024, 1024, 1, 4, undefined],
      ['skin line and mask, step 1, cell 4', skinLine(acquire(1024, 768, 2, sourceGrains[3]), 1024, 768), 1024, 768, 1, 4, blobMask(1024, 768, 4, 3)],
      ['clipped taps, step 2, cell 6', clipped, 600, 500, 2, 6, blobMask(600, 500, 3, 4)],
      ['8-bit levels (ties), step 3, cell 9', eightBit, 700, 900, 3, 9, undefined],
    ];
    let compared = 0;
    for (const [name, image, width, height, step, cell, breast] of cases) {
      const cellsW = Math.floor(width / cell);
      const cellsH = Math.floor(height / cell);
      const want = reference(image, width, height, step, cell, cellsW, cellsH, breast);
      const got = seamSamples(image, width, height, step, cell, cellsW, cellsH, breast);
      assert(got.n === want.n && got.n > 1000, `${name}: ${got.n} samples, the loop took ${want.n}`);
      for (let b = 0; b < BINS; b++) assert(got.perBin[b] === want.perBin[b], `${name}: bin ${b} holds ${got.perBin[b]}, the loop ${want.perBin[b]}`);
      const medians = binMedians(got);
      for (let b = 0; b < BINS; b++) assert(Object.is(medians[b], want.medians[b]), `${name}: bin ${b} median ${medians[b]}, a sort gives ${want.medians[b]}`);
      const e = new Float64Array(cellsW * cellsH).fill(7);
      const c = new Float64Array(cellsW * cellsH).fill(7);
      cellSums(got, want.expected, 4, e, c);
      for (let i = 0; i < e.length; i++) {
        assert(Object.is(e[i], want.e[i]) && Object.is(c[i], want.c[i]), `${name}: cell ${i}: (${e[i]}, ${c[i]}), the loop (${want.e[i]}, ${want.c[i]})`);
        if (want.c[i] > 0) compared++;
      }
    }
    assert(compared > 50_000, `only ${compared} cells held samples`);
  });
});
