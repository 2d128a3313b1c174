/**
 * Noise texture's band loop on a small WebAssembly kernel (wasm/texture-tiles.wat, compiled into
 * texture-tiles-wasm.ts): the 5x5 high-pass residual of one band of tile rows and, per tile, the sums the signal
 * reads. It was the signal's whole cost in JavaScript and the largest JavaScript cost of a full-field check. The kernel
 * does the same IEEE operations in the same order as the loop it replaced (the reference in
 * test/texture-tiles.test.ts), so the values are bit-identical.
 */
import { TEXTURE_TILES_WASM } from './texture-tiles-wasm.js';
import { aligned, lazyKernel, reserve } from './wasm-kernel.js';

interface Kernel {
  memory: WebAssembly.Memory;
  textureBand(width: number, tile: number, tiles: number, band: number, rowSums: number, residual: number, columns: number, out: number): void;
}

const textureKernel = lazyKernel<Kernel>(TEXTURE_TILES_WASM);
/** Rows of the box filter either side of a pixel (5x5). */
const HALF = 2;

/**
 * Per tile of the grid (`tile` px, tile (tx, ty) from pixel 1 + t tile each way, row-major), four sums over its
 * pixels: display values, squared residual, residual times its right neighbour (within the tile), residual times the
 * one below (within the tile); the residual is each pixel minus the mean of its 5x5 neighbourhood (edges repeated).
 * Only the first `across` x `down` tiles fit whole in the image and are summed.
 */
export function textureSums(display: Float32Array, width: number, height: number, tile: number, mapWidth: number, mapHeight: number): { sums: Float64Array; across: number; down: number } {
  const k = textureKernel();
  const rows = tile + 2 * HALF;
  const band = 0;
  const rowSums = aligned(4 * rows * width);
  // Rings: the box sums of six band rows and two residual rows (the kernel makes each as it needs it).
  const residual = rowSums + 8 * 6 * width;
  const columns = residual + 8 * 2 * width;
  const out = columns + 8 * width;
  reserve(k.memory, out + 32 * mapWidth);
  const sums = new Float64Array(4 * mapWidth * mapHeight);
  // Tile t ends at 1 + (t + 1) tile, which must not pass the image's edge.
  const across = Math.min(mapWidth, Math.floor((width - 1) / tile));
  const down = Math.min(mapHeight, Math.floor((height - 1) / tile));
  const pixels = new Float32Array(k.memory.buffer, band, rows * width);
  for (let ty = 0; ty < down; ty++) {
    const y0 = 1 + ty * tile;
    for (let s = 0; s < rows; s++) {
      const y = Math.min(height - 1, Math.max(0, y0 - HALF + s));
      pixels.set(display.subarray(y * width, (y + 1) * width), s * width);
    }
    k.textureBand(width, tile, across, band, rowSums, residual, columns, out);
    sums.set(new Float64Array(k.memory.buffer, out, 4 * across), 4 * ty * mapWidth);
  }
  return { sums, across, down };
}
