/**
 * Noise texture: an acquisition chain's noise has its own grain (film grain and detector blur correlate neighbouring
 * pixels, each image in its own way). A region filled in afterwards (inpainting, a synthesised patch) carries the
 * forger's noise instead, usually whiter. Tile by tile, the lag-1 correlation of the high-pass residual is compared
 * with what the SAME image's tiles of similar intensity show, so a scanner with a finer or coarser grain is not
 * flagged; only a region whiter than the rest of its own image is. The high-pass residual also holds the tissue's own
 * fine structure; where there is little (flat tissue), the residual is the noise alone, so a chain whose noise is
 * whiter than its structure (a low-resolution digitiser that interpolates the scan, then adds white electronic noise)
 * shows whiter flat regions in every clean image. The expectation is therefore lowered towards the median of the
 * neighbours' flatter part, as far as the image's own flat tissue usually lies below: a region is judged against the
 * image's own noise, not its structure.
 */
import type { BreastMask } from '../image/preprocess.js';
import { MIN_TILES, median, medianInPlace, noiseTileGrid, TILE_LEVEL_MAX, TILE_LEVEL_MIN, tileOnBreast, type NoiseMap } from './noise-tiles.js';
import { textureSums } from './texture-tiles.js';

/** Result of {@link noiseTexture}: the largest mean z by which a 3x3 tile block is whiter than expected (>= 0). */
export type NoiseTexture = NoiseMap;

/** Expected correlation at a tile: median over the 2 x 50 tiles nearest in intensity (rank window). */
const RANK_HALF_WINDOW = 50;
const MIN_SPREAD = 0.02;
/**
 * The flatter part of the intensity neighbours (the share with the least residual energy), and how far below their
 * median its median may pull the expectation, in multiples of the image's median such gap. Chosen on validation
 * images (450 clean through nine simulated sources, 17 removals, calibrated as cadguard-calibrate does): the
 * low-resolution digitiser's largest clean z fell from 2.79 to 1.46, no clean image reached the suspicious threshold
 * (1 before), removals stayed 16 of 17 (median z 6.9, was 6.3). Without the cap, a synthetic white fill of
 * radius 80 px with 70 % of the image's noise fell from 4.9 to 2.9 (3.4 with it); shares 0.35 to 0.45 behaved alike.
 */
const FLAT_SHARE = 0.4;
const FLAT_GAP_CAP = 2;
/**
 * Tiles per block side, and the fewest judged tiles a block needs. 3x3 rather than noise consistency's 2x2: a tile's
 * correlation is a noisy estimate (256 residuals on a 1024-px image), and a lesion's removal covers more than four
 * tiles, so nine tiles lift a fill clearly above the clean tail. Chosen on validation images (17 removals, 450 clean
 * images through eight simulated sources): 16 of 17 above the clean 99th percentile against 14 with 2x2.
 */
const BLOCK = 3;
const BLOCK_MIN_TILES = 7;

/**
 * Computes the statistic on display values (row-major, [0, 1]). Tiles and map grid are those of noise consistency
 * (so the two heatmaps overlay); only whole tiles inside the intensity range take part, and with `breast` only tiles
 * whose centre lies on the breast: outside it (unexposed film base, a detector's open field) the grain is the
 * medium's own, often whiter than tissue, and nothing there matters to the CAD result. Chosen on validation images:
 * the clean maximum fell from 3.5 to 2.5 (an unexposed film base was the largest), removals stayed 16 of 17.
 */
export function noiseTexture(display: Float32Array, width: number, height: number, breast?: BreastMask): NoiseTexture {
  const { tile, mapWidth, mapHeight } = noiseTileGrid(width, height);
  const count = mapWidth * mapHeight;
  const level = new Float64Array(count);
  const corrH = new Float64Array(count).fill(Number.NaN);
  const corrV = new Float64Array(count).fill(Number.NaN);
  const energies = new Float64Array(count);
  const { sums, across, down } = textureSums(display, width, height, tile, mapWidth, mapHeight);
  for (let ty = 0; ty < down; ty++) {
    for (let tx = 0; tx < across; tx++) {
      const index = ty * mapWidth + tx;
      const mean = sums[4 * index] / (tile * tile);
      const energy = sums[4 * index + 1];
      level[index] = mean;
      if (mean < TILE_LEVEL_MIN || mean > TILE_LEVEL_MAX || energy <= 1e-20) continue;
      if (breast && !tileOnBreast(breast, tile, tx, ty)) continue;
      energies[index] = energy;
      corrH[index] = sums[4 * index + 2] / energy;
      corrV[index] = sums[4 * index + 3] / energy;
    }
  }
  const valid: number[] = [];
  for (let i = 0; i < count; i++) if (!Number.isNaN(corrH[i])) valid.push(i);
  const map = new Float32Array(count);
  if (valid.length < MIN_TILES) return { value: 0, map, mapWidth, mapHeight, tiles: valid.length };

  // Tiles ordered by intensity: each is compared with its neighbours in that order (a running median), which follows
  // film's non-linear grain-intensity relation; a filled region is a few tiles and cannot move the median.
  const order = valid.slice().sort((a, b) => level[a] - level[b]);
  const zH = whiteness(corrH, energies, order);
  const zV = whiteness(corrV, energies, order);
  const z = new Float64Array(count).fill(Number.NaN);
  for (const i of valid) {
    z[i] = 0.5 * (zH[i] + zV[i]);
    map[i] = Math.min(1, Math.max(0, z[i]) / 6);
  }
  let value = 0;
  for (let ty = 0; ty + BLOCK <= mapHeight; ty++) {
    for (let tx = 0; tx + BLOCK <= mapWidth; tx++) {
      let sum = 0;
      let judged = 0;
      for (let dy = 0; dy < BLOCK; dy++) {
        for (let dx = 0; dx < BLOCK; dx++) {
          const zj = z[(ty + dy) * mapWidth + tx + dx];
          if (Number.isNaN(zj)) continue;
          sum += zj;
          judged++;
        }
      }
      if (judged >= BLOCK_MIN_TILES) value = Math.max(value, sum / judged);
    }
  }
  return { value, map, mapWidth, mapHeight, tiles: valid.length };
}

/**
 * Per tile: how far its correlation lies BELOW what its intensity neighbours lead one to expect, in robust units. The
 * expectation is their median, lowered towards the median of their flatter part, but by at most FLAT_GAP_CAP times the
 * image's typical such gap: a fill with weaker noise than the image is itself the flattest part of its neighbours and
 * would otherwise become its own reference.
 */
function whiteness(corr: Float64Array, energy: Float64Array, order: number[]): Float64Array {
  const n = order.length;
  const inOrder = Float64Array.from(order, (i) => corr[i]);
  const energyInOrder = Float64Array.from(order, (i) => energy[i]);
  const size = Math.min(n, 2 * RANK_HALF_WINDOW + 1);
  const flatRank = Math.floor((size - 1) * FLAT_SHARE);
  // The window slides by one tile at a time: keep it sorted (one removal, one insertion) instead of sorting it anew.
  const window = inOrder.slice(0, size).sort();
  const energyWindow = energyInOrder.slice(0, size).sort();
  const flat = new Float64Array(size);
  const neighbours = new Float64Array(n);
  const gap = new Float64Array(n);
  let start = 0;
  for (let j = 0; j < n; j++) {
    const wanted = Math.max(0, Math.min(j - RANK_HALF_WINDOW, n - size));
    if (j > 0 && start === wanted) {
      neighbours[j] = neighbours[j - 1];
      gap[j] = gap[j - 1];
      continue;
    }
    while (start < wanted) {
      slide(window, inOrder[start], inOrder[start + size]);
      slide(energyWindow, energyInOrder[start], energyInOrder[start + size]);
      start++;
    }
    const mid = size >> 1;
    neighbours[j] = size % 2 ? window[mid] : 0.5 * (window[mid - 1] + window[mid]);
    const flatBelow = energyWindow[flatRank];
    let flatCount = 0;
    for (let k = start; k < start + size; k++) if (energyInOrder[k] <= flatBelow) flat[flatCount++] = inOrder[k];
    gap[j] = Math.max(0, neighbours[j] - medianInPlace(flat.subarray(0, flatCount)));
  }
  const gapCap = FLAT_GAP_CAP * median(gap);
  const deviation = new Float64Array(corr.length).fill(Number.NaN);
  for (let j = 0; j < n; j++) deviation[order[j]] = neighbours[j] - Math.min(gap[j], gapCap) - inOrder[j];
  const spread = Math.max(MIN_SPREAD, 1.4826 * median(Float64Array.from(order, (i) => Math.abs(deviation[i]))));
  for (const i of order) deviation[i] /= spread;
  return deviation;
}

/** Replaces `leaving` by `entering` in the ascending `window`, keeping it ascending. */
function slide(window: Float64Array, leaving: number, entering: number): void {
  let at = lowerBound(window, leaving);
  const last = window.length - 1;
  if (entering >= leaving) {
    while (at < last && window[at + 1] < entering) {
      window[at] = window[at + 1];
      at++;
    }
  } else {
    while (at > 0 && window[at - 1] > entering) {
      window[at] = window[at - 1];
      at--;
    }
  }
  window[at] = entering;
}

function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
