// Noise texture's WebAssembly kernel (wasm/texture-tiles.wat) against the JavaScript loop it replaced: the same box
// sums, residuals and per-tile sums added in the same order, so every tile's four sums must match to the bit, on
// images whose width and height leave partial tiles, with clipped and flat regions, and with tiles wider than the
// box filter's reach and narrower.
import { textureSums } from '../src/detect/texture-tiles.js';
import { assert, seededRandom, syntheticBreast } from './support/helpers.js';

const BOX = 5;

/** The loop as it was in src/detect/noise-texture.ts before the kernel: per tile [sum, energy, horizontal, vertical]. */
function reference(display: Float32Array, width: number, height: number, tile: number, mapWidth: number, mapHeight: number): Map<number, number[]> {
  const found = new Map<number, number[]>();
  const half = BOX >> 1;
  const stripRows = tile + 2 * half;
  // One band of tile rows at a time, so a full-field image never needs a second full-size buffer.
  const rowSums = new Float64Array(stripRows * width);
  const residual = new Float64Array(tile * width);
  const columnSums = new Float64Array(width);
  const clampRow = (y: number) => Math.min(height - 1, Math.max(0, y));
  for (let ty = 0; ty < mapHeight; ty++) {
    const y0 = 1 + ty * tile;
    if (y0 + tile > height) break;
    for (let s = 0; s < stripRows; s++) {
      const row = clampRow(y0 - half + s) * width;
      const out = s * width;
      let sum = 0;
      for (let k = -half; k <= half; k++) sum += display[row + Math.min(width - 1, Math.max(0, k))];
      for (let x = 0; x < width; x++) {
        rowSums[out + x] = sum;
        sum += display[row + Math.min(width - 1, x + half + 1)] - display[row + Math.max(0, x - half)];
      }
    }
    const norm = 1 / (BOX * BOX);
    // Vertical box sums slide down the band: two operations per pixel instead of BOX.
    columnSums.fill(0);
    for (let s = 0; s < BOX; s++) for (let x = 0; x < width; x++) columnSums[x] += rowSums[s * width + x];
    for (let r = 0; r < tile; r++) {
      const row = (y0 + r) * width;
      const out = r * width;
      for (let x = 0; x < width; x++) residual[out + x] = display[row + x] - columnSums[x] * norm;
      if (r + 1 < tile) {
        const add = (r + BOX) * width;
        const drop = r * width;
        for (let x = 0; x < width; x++) columnSums[x] += rowSums[add + x] - rowSums[drop + x];
      }
    }
    for (let tx = 0; tx < mapWidth; tx++) {
      const x0 = 1 + tx * tile;
      if (x0 + tile > width) break;
      const x1 = x0 + tile;
      let sum = 0;
      let energy = 0;
      let horizontal = 0;
      let vertical = 0;
      for (let r = 0; r < tile; r++) {
        const base = r * width;
        const row = (y0 + r) * width;
        const below = r + 1 < tile ? base + width : -1;
        for (let x = x0; x < x1; x++) {
          const v = residual[base + x];
          sum += display[row + x];
          energy += v * v;
          if (below >= 0) vertical += v * residual[below + x];
        }
        for (let x = x0; x + 1 < x1; x++) horizontal += residual[base + x] * residual[base + x + 1];
      }
      found.set(ty * mapWidth + tx, [sum, energy, horizontal, vertical]);
    }
  }
  return found;
}

describe('texture tiles kernel', () => {
  it("gives the JavaScript loop's tile sums to the bit", () => {
    const random = seededRandom(5);
    const cases: { name: string; width: number; height: number; tile: number; image: Float32Array }[] = [];
    const breast = syntheticBreast(333, 290, 4, 'right');
    for (let y = 100; y < 160; y++) for (let x = 40; x < 90; x++) breast[y * 333 + x] = 0.5;
    cases.push({ name: 'breast with a flat fill, partial tiles', width: 333, height: 290, tile: 16, image: breast });
    cases.push({ name: '8-bit levels', width: 333, height: 290, tile: 16, image: breast.map((v) => Math.round(v * 255) / 255) });
    cases.push({ name: 'tiles of 3 (narrower than the box)', width: 47, height: 38, tile: 3, image: Float32Array.from({ length: 47 * 38 }, () => random()) });
    cases.push({ name: 'tiles of 52 (a full-field grid)', width: 420, height: 380, tile: 52, image: syntheticBreast(420, 380, 6) });
    for (const { name, width, height, tile, image } of cases) {
      const mapWidth = Math.floor((width - 2) / tile);
      const mapHeight = Math.floor((height - 2) / tile);
      const want = reference(image, width, height, tile, mapWidth, mapHeight);
      const { sums, across, down } = textureSums(image, width, height, tile, mapWidth, mapHeight);
      let mismatches = 0;
      for (const [index, values] of want) {
        if (!values.every((v, j) => Object.is(v, sums[4 * index + j]))) mismatches++;
      }
      assert(want.size === across * down && want.size > 0, `${name}: ${want.size} tiles summed by the loop, ${across} x ${down} by the kernel`);
      assert(mismatches === 0, `${name}: ${mismatches} of ${want.size} tiles differ from the loop`);
    }
  });
});
