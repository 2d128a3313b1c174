// Noise consistency's WebAssembly kernel (wasm/tile-noise.wat) against the JavaScript loop it replaced: the same
// residuals, the same selection and the same additions in the same order, so every tile's level and noise must match
// to the bit, on images with clipped regions, 8-bit levels (ties at the cut), sampled grids and tiles too small.
import { quickSelect } from '../src/detect/noise-tiles.js';
import { tileNoise, type TileNoiseGrid } from '../src/detect/tile-noise.js';
import { assert, seededRandom, syntheticBreast } from './support/helpers.js';

/** The loop as it was in src/detect/noise-consistency.ts before the kernel. */
function reference(display: Float32Array, width: number, height: number, grid: TileNoiseGrid): { level: Float64Array; noise: Float64Array } {
  const { tile, mapWidth, mapHeight, stride } = grid;
  const level = new Float64Array(mapWidth * mapHeight);
  const noise = new Float64Array(mapWidth * mapHeight).fill(Number.NaN);
  const values = new Float32Array(Math.ceil(tile / stride) ** 2);
  const second = (j: number): number => {
    const [left, middle, right] = [display[j - 2], display[j], display[j + 2]];
    if (left <= 0 || left >= 1 || middle <= 0 || middle >= 1 || right <= 0 || right >= 1) return Number.NaN;
    return left - 2 * middle + right;
  };
  const up = 2 * width;
  for (let ty = 0; ty < mapHeight; ty++) {
    for (let tx = 0; tx < mapWidth; tx++) {
      let n = 0;
      let seen = 0;
      let inside = 0;
      let sum = 0;
      const y0 = 1 + ty * tile;
      const x0 = 1 + tx * tile;
      for (let y = Math.max(2, y0), yEnd = Math.min(height - 2, y0 + tile); y < yEnd; y += stride) {
        for (let x = Math.max(2, x0), xEnd = Math.min(width - 2, x0 + tile); x < xEnd; x += stride) {
          const i = y * width + x;
          const centre = display[i];
          seen++;
          if (centre <= 0 || centre >= 1) continue;
          sum += centre;
          inside++;
          const residual = second(i - up) - 2 * second(i) + second(i + up);
          if (Number.isNaN(residual)) continue;
          values[n++] = Math.abs(residual);
        }
      }
      const index = ty * mapWidth + tx;
      const mean = sum / inside;
      level[index] = mean;
      if (n < 64 || n < 0.5 * seen || mean < grid.levelMin || mean > grid.levelMax) continue;
      const last = Math.floor(n * 0.25);
      const cut = quickSelect(values, n, last);
      let kept = last + 1;
      let total = 0;
      for (let k = 0; k <= last; k++) total += values[k];
      for (let k = last + 1; k < n; k++) {
        if (values[k] <= cut) {
          total += values[k];
          kept++;
        }
      }
      noise[index] = total / kept;
    }
  }
  return { level, noise };
}

const same = (a: number, b: number): boolean => Object.is(a, b);

describe('tile noise kernel', () => {
  it("gives the JavaScript loop's levels and noise to the bit", () => {
    const random = seededRandom(12);
    const cases: { name: string; width: number; height: number; tile: number; stride: number; image: Float32Array }[] = [];
    const breast = syntheticBreast(300, 260, 3);
    // A clipped label and a saturated band: taps at 0 and 1 inside tiles.
    for (let y = 20; y < 60; y++) for (let x = 200; x < 280; x++) breast[y * 300 + x] = (x + y) % 9 < 3 ? 1 : 0;
    cases.push({ name: 'float breast with clipped label', width: 300, height: 260, tile: 16, stride: 1, image: breast });
    cases.push({ name: '8-bit levels (ties at the cut)', width: 300, height: 260, tile: 16, stride: 1, image: breast.map((v) => Math.round(v * 255) / 255) });
    // A saturated marker inside the tissue: residuals beside it have only their left, right, upper or lower taps clipped.
    const marked = syntheticBreast(300, 260, 5);
    for (let y = 101; y < 140; y++) for (let x = 61; x < 81; x++) marked[y * 300 + x] = 1;
    cases.push({ name: 'saturated marker in the tissue', width: 300, height: 260, tile: 16, stride: 1, image: marked });
    cases.push({ name: 'sampled grid, odd sizes', width: 517, height: 389, tile: 70, stride: 2, image: syntheticBreast(517, 389, 8, 'right') });
    // Stride 3: rows two above and below a centre row are not centre rows themselves (the kernel reads them too).
    cases.push({ name: 'sampled grid, stride 3', width: 611, height: 433, tile: 100, stride: 3, image: syntheticBreast(611, 433, 9) });
    cases.push({ name: 'tiles of 3', width: 40, height: 33, tile: 3, stride: 1, image: Float32Array.from({ length: 40 * 33 }, () => random()) });
    for (const { name, width, height, tile, stride, image } of cases) {
      const grid = { tile, mapWidth: Math.floor((width - 2) / tile), mapHeight: Math.floor((height - 2) / tile), stride, levelMin: 0.05, levelMax: 0.97 };
      const want = reference(image, width, height, grid);
      const got = tileNoise(image, width, height, grid);
      let mismatches = 0;
      let judged = 0;
      for (let i = 0; i < want.level.length; i++) {
        if (!same(got.level[i], want.level[i]) || !same(got.noise[i], want.noise[i])) mismatches++;
        if (!Number.isNaN(want.noise[i])) judged++;
      }
      assert(mismatches === 0, `${name}: ${mismatches} of ${want.level.length} tiles differ from the loop`);
      // Tiles of 3 hold too few residuals to be judged; every other case must judge most tiles.
      assert(tile === 3 ? judged === 0 : judged > want.level.length / 3, `${name}: ${judged} of ${want.level.length} tiles judged`);
    }
  });
});
