/**
 * The tile grid and robust statistics the noise signals share (noise consistency, noise texture; the blend seam maps
 * its ring onto the same grid): they judge each region against the same image's others, and their maps overlay as one
 * tamper heatmap.
 */
import { onBreast, type BreastMask } from '../image/preprocess.js';

/** A per-tile statistic of one image: the value that is calibrated and the map behind it. */
export interface NoiseMap {
  /** The statistic: the largest mean z over blocks of neighbouring tiles (0 when too few tiles to judge). */
  value: number;
  /** Per-tile z scaled to [0, 1] (z / 6, clipped), row-major over the tile grid: a tamper heatmap. */
  map: Float32Array;
  mapWidth: number;
  mapHeight: number;
  /** Tiles that took part (inside the intensity range and large enough). */
  tiles: number;
}

/** Tiles darker or brighter than this (background, saturated film) do not show their noise. */
export const TILE_LEVEL_MIN = 0.05;
export const TILE_LEVEL_MAX = 0.97;
/** Below this many usable tiles an image cannot define its own normal: the statistic is 0. */
export const MIN_TILES = 16;

/** Tile side: about 64 tiles along the long side, never under 16 pixels. */
export function noiseTileSize(width: number, height: number): number {
  return Math.max(16, Math.round(Math.max(width, height) / 64));
}

/** The tile grid: tiles start one pixel in (a residual needs neighbours; wider ones skip what they cannot reach). */
export function noiseTileGrid(width: number, height: number): { tile: number; mapWidth: number; mapHeight: number } {
  const tile = noiseTileSize(width, height);
  return { tile, mapWidth: Math.max(1, Math.floor((width - 2) / tile)), mapHeight: Math.max(1, Math.floor((height - 2) / tile)) };
}

/** Whether tile (tx, ty) of a {@link noiseTileGrid} with side `tile` has its centre on the breast. */
export function tileOnBreast(breast: BreastMask, tile: number, tx: number, ty: number): boolean {
  return onBreast(breast, 1 + tx * tile + (tile >> 1), 1 + ty * tile + (tile >> 1));
}

/** Median of the values (exact). */
export function median(list: ArrayLike<number>): number {
  return medianInPlace(new Float64Array(list));
}

/** Median of the values (exact), reordering them: for an array of the caller's own that it no longer needs in order. */
export function medianInPlace(values: Float64Array): number {
  // Selection instead of a sort: the Theil-Sen slopes alone are up to 20,000 values per image.
  const mid = values.length >> 1;
  const upper = quickSelect(values, values.length, mid);
  if (values.length % 2) return upper;
  let lower = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < mid; i++) if (values[i] > lower) lower = values[i];
  return 0.5 * (lower + upper);
}

/** k-th smallest of the first n values (Hoare selection, in place; afterwards no value before index k is larger). */
export function quickSelect(values: Float32Array | Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}
