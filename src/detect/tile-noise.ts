/**
 * Noise consistency's tile loop on a small WebAssembly kernel (wasm/tile-noise.wat, compiled into tile-noise-wasm.ts):
 * each tile's mean level and the mean of the smallest quarter of its |residual| values. In JavaScript it was most of
 * the signal's cost, and a browser worker reads typed arrays slower than WebAssembly reads its memory (README,
 * Benchmarks). The kernel does the same IEEE operations in the same order as the loop it replaced (the reference in
 * test/tile-noise.test.ts), so the values are bit-identical. Like the blend seam's kernel it needs WebAssembly and,
 * under a Content-Security-Policy, `'wasm-unsafe-eval'`; it is compiled from bytes in the bundle (nothing is fetched).
 */
import { TILE_NOISE_WASM } from './tile-noise-wasm.js';
import { aligned, lazyKernel, reserve } from './wasm-kernel.js';

interface Kernel {
  memory: WebAssembly.Memory;
  tileRow(width: number, ya: number, yb: number, mapWidth: number, tile: number, stride: number, levelMin: number, levelMax: number, scratch: number, records: number, seconds: number, flags: number): void;
}

const tileKernel = lazyKernel<Kernel>(TILE_NOISE_WASM);

/** What {@link tileNoise} reads: the tile grid, the sampling stride and the accepted range of tile levels. */
export interface TileNoiseGrid {
  tile: number;
  mapWidth: number;
  mapHeight: number;
  /** Every stride-th pixel each way. */
  stride: number;
  levelMin: number;
  levelMax: number;
}

/**
 * Per tile (row-major over the grid), from display values in [0, 1]: `level`, the mean of its pixels strictly
 * inside (0, 1), and `noise`, the mean of the smallest quarter of its |residual| values (ties at the cut included),
 * or NaN when it has fewer than 64 of them, fewer than half its pixels give one, or its level lies outside
 * [levelMin, levelMax]. The residual at (x, y) is the lag-2 second difference along x of the lag-2 second difference
 * along y, none where one of its nine taps is clipped (0 or 1). Tile (tx, ty) holds the pixels from
 * max(2, 1 + t tile) to min(side - 2, 1 + (t + 1) tile) each way, every stride-th one.
 */
export function tileNoise(display: Float32Array, width: number, height: number, grid: TileNoiseGrid): { level: Float64Array; noise: Float64Array } {
  const { tile, mapWidth, mapHeight, stride } = grid;
  const k = tileKernel();
  // One row of tiles at a time: its rows and the two above and below it, so the memory stays a band of the image.
  const bandPixels = width * (tile + 4);
  const residuals = aligned(4 * bandPixels);
  const records = aligned(residuals + 4 * Math.ceil(tile / stride) ** 2);
  // Per band pixel a second difference (double) and a clipped-tap flag (byte), found once per band row.
  const seconds = aligned(records + 16 * mapWidth);
  const flags = seconds + 8 * bandPixels;
  reserve(k.memory, flags + bandPixels);
  const level = new Float64Array(mapWidth * mapHeight);
  const noise = new Float64Array(mapWidth * mapHeight);
  for (let ty = 0; ty < mapHeight; ty++) {
    const y0 = 1 + ty * tile;
    const ya = Math.max(2, y0);
    const yb = Math.min(height - 2, y0 + tile);
    const first = ya - 2;
    const rows = Math.max(0, Math.min(height, yb + 2) - first);
    new Float32Array(k.memory.buffer, 0, rows * width).set(display.subarray(first * width, (first + rows) * width));
    k.tileRow(width, ya - first, yb - first, mapWidth, tile, stride, grid.levelMin, grid.levelMax, residuals, records, seconds, flags);
    const out = new Float64Array(k.memory.buffer, records, 2 * mapWidth);
    for (let tx = 0; tx < mapWidth; tx++) {
      level[ty * mapWidth + tx] = out[2 * tx];
      noise[ty * mapWidth + tx] = out[2 * tx + 1];
    }
  }
  return { level, noise };
}
