/**
 * Noise consistency: every acquisition chain leaves noise whose level depends on the local intensity in one smooth
 * way across the whole image. An inpainted region is too smooth, a spliced one carries another chain's noise: both
 * break that relation locally. Each tile's noise is compared with what the SAME image's other tiles predict at that
 * intensity, so a scanner with more or less noise overall is not flagged; only a local break is.
 */
import type { BreastMask } from '../image/preprocess.js';
import type { DisplayImage } from '../image/voi.js';
import { MIN_TILES, medianInPlace, noiseTileGrid, TILE_LEVEL_MAX, TILE_LEVEL_MIN, tileOnBreast, type NoiseMap } from './noise-tiles.js';
import { tileNoise } from './tile-noise.js';

/**
 * Residuals per tile side that a tile's estimate needs. Tiles grow with the image (about 64 along the long side), so a
 * full-field image's 64-px tile holds 16 times the residuals of a 1024-px film's 16-px tile; a tile of 64 px or more
 * (images of about 4,100 px) is read at every `floor(tile / 32)`-th pixel each way, still four times the residuals
 * the calibration images' tiles give, and the cost stops growing with the pixel count (3328 x 4096: 270 -> 72 ms in
 * Node). The price, on synthetic 3328 x 4096 images of five sources: a smooth fill of radius 40 px reads 17.7-29.2
 * instead of 22.7-45.4 (all above the bundled suspicious level, about 10.4), one of radius 24 px 8.6-13.4 instead of
 * 10.8-21.4 (2 of 10 fall below it, none did); clean images 1.8-5.2 instead of 1.7-8.3.
 */
const SAMPLED_SIDE = 32;

/** Result of {@link noiseConsistency}: the largest |mean z| of the log-noise deviation; |z| per tile as the map. */
export type NoiseConsistency = NoiseMap;

/**
 * Computes the statistic on display values (row-major, [0, 1]). The residual is the lag-2 second difference along x
 * taken of the lag-2 second difference along y (Immerkaer's 3x3 noise mask, dilated to a step of 2): it cancels ramps
 * and every edge that runs along a row or a column (film borders, burnt-in labels, the paddle), which a plain
 * Laplacian turns into "noise".
 * A tile's noise is the mean of the smallest quarter of its |residual| values, so edges at other angles and texture
 * may fill three quarters of a tile, and quantised 8-bit images still give a continuous estimate. With `breast`, a
 * tile whose centre lies off the breast counts only when it is too smooth.
 */
export function noiseConsistency(display: Float32Array, width: number, height: number, breast?: BreastMask, step = quantisationStep(display)): NoiseConsistency {
  const { tile, mapWidth, mapHeight } = noiseTileGrid(width, height);
  const count = mapWidth * mapHeight;
  const stride = Math.max(1, Math.floor(tile / SAMPLED_SIDE));
  // A tile smoother than the quantisation step cannot show its noise: flat 8-bit film and a 16-bit detector differ
  // there only in how they were stored, so every estimate is floored at a quarter of the image's own step.
  const floor = Math.max(1e-5, 0.25 * step);
  // Pixels at either end of the display range are clipped (a detector's empty background, a saturated label): their
  // noise cannot be seen, and counting them makes a tile on the breast edge look far too smooth. Only the ends: a
  // flat region at any other level stays the inpainting trace this signal looks for. A tile mostly clipped is mostly
  // background: its few other pixels (the skin line) say little about the noise (tileNoise leaves it out).
  const { level: meanLevel, noise } = tileNoise(display, width, height, { tile, mapWidth, mapHeight, stride, levelMin: TILE_LEVEL_MIN, levelMax: TILE_LEVEL_MAX });
  const logNoise = noise.map((n) => (Number.isNaN(n) ? n : Math.log(Math.max(floor, n))));
  let tiles = 0;
  for (let i = 0; i < count; i++) if (!Number.isNaN(logNoise[i])) tiles++;
  const valid = new Uint32Array(tiles);
  for (let i = 0, k = 0; i < count; i++) if (!Number.isNaN(logNoise[i])) valid[k++] = i;
  const map = new Float32Array(count);
  if (tiles < MIN_TILES) return { value: 0, map, mapWidth, mapHeight, tiles };

  // Expected log-noise at a given intensity: a robust line, so a manipulated region (few tiles, far off the line)
  // cannot pull it to itself, even where it is the only region of its intensity.
  const [intercept, slope] = robustLine(Float64Array.from(valid, (i) => meanLevel[i]), Float64Array.from(valid, (i) => logNoise[i]));
  const deviation = new Float64Array(count).fill(Number.NaN);
  for (const i of valid) deviation[i] = logNoise[i] - (intercept + slope * meanLevel[i]);
  const spread = Math.max(0.05, 1.4826 * medianInPlace(Float64Array.from(valid, (i) => Math.abs(deviation[i]))));
  if (breast) {
    // Off the breast only "too smooth" counts. Burnt-in letters with diagonal strokes (N, M, X) are edges the residual
    // does not cancel and read as noise (8.6-13.7 on clean smooth sources); nothing there matters to a CAD result.
    // "Too smooth" stays: it is where a perturbation of the rest of the image shows (flat labels and background
    // beside perturbed tissue), and an inpainted patch is too smooth wherever it lies.
    for (const i of valid) {
      if (deviation[i] > 0 && !tileOnBreast(breast, tile, i % mapWidth, Math.floor(i / mapWidth))) deviation[i] = 0;
    }
  }

  let value = 0;
  for (let ty = 0; ty < mapHeight; ty++) {
    for (let tx = 0; tx < mapWidth; tx++) {
      const i = ty * mapWidth + tx;
      if (!Number.isNaN(deviation[i])) map[i] = Math.min(1, Math.abs(deviation[i] / spread) / 6);
      if (tx + 1 >= mapWidth || ty + 1 >= mapHeight) continue;
      let sum = 0;
      let used = 0;
      for (const j of [i, i + 1, i + mapWidth, i + mapWidth + 1]) {
        if (Number.isNaN(deviation[j])) continue;
        sum += deviation[j];
        used++;
      }
      if (used < 3) continue;
      value = Math.max(value, Math.abs(sum / used / spread));
    }
  }
  return { value, map, mapWidth, mapHeight, tiles };
}

/**
 * Fits y = a + b x robustly: Theil-Sen (median of pairwise slopes, breakdown 29 %) so that a cluster of manipulated
 * tiles at one end of the intensity range cannot tilt the line, then Tukey-biweight reweighting from there.
 */
function robustLine(xs: Float64Array, ys: Float64Array): [intercept: number, slope: number] {
  const n = xs.length;
  // Every step-th pair (i < j) in row order, about 20,000 in all: the pairs are numbered, and each row jumps straight
  // to its first pair whose number is a multiple of step (visiting all n^2/2 pairs cost more than the slopes).
  const step = Math.max(1, Math.floor((n * (n - 1)) / 2 / 20000));
  // Each row visits at most ceil(pairs / step) pairs.
  const slopes = new Float64Array(Math.ceil((n * (n - 1)) / 2 / step) + n);
  let count = 0;
  let rowStart = 0;
  for (let i = 0; i < n; i++) {
    const pairs = n - 1 - i;
    for (let k = (step - (rowStart % step)) % step; k < pairs; k += step) {
      const j = i + 1 + k;
      const dx = xs[j] - xs[i];
      if (Math.abs(dx) > 1e-6) slopes[count++] = (ys[j] - ys[i]) / dx;
    }
    rowStart += pairs;
  }
  let slope = count ? medianInPlace(slopes.subarray(0, count)) : 0;
  let intercept = medianInPlace(ys.map((y, i) => y - slope * xs[i]));
  const residuals = new Float64Array(n);
  const sizes = new Float64Array(n);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < n; i++) {
      residuals[i] = ys[i] - intercept - slope * xs[i];
      sizes[i] = Math.abs(residuals[i]);
    }
    const scale = Math.max(1e-6, 1.4826 * medianInPlace(sizes));
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      const u = residuals[i] / (4.685 * scale);
      const w = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
      sw += w;
      sx += w * xs[i];
      sy += w * ys[i];
      sxx += w * xs[i] * xs[i];
      sxy += w * xs[i] * ys[i];
    }
    const denominator = sw * sxx - sx * sx;
    if (sw === 0 || Math.abs(denominator) < 1e-12) break;
    slope = (sw * sxy - sx * sy) / denominator;
    intercept = (sy - slope * sx) / sw;
  }
  return [intercept, slope];
}

/**
 * Typical gap between neighbouring display levels present in the image (0 for continuous values): the median gap
 * between the distinct values of every `stride`-th pixel, about 65,536 of them. Given a {@link DisplayImage} with a
 * table, the same levels are read as the table entries of the stored values present, which sorts a few thousand
 * distinct levels instead of every sampled pixel (same levels, same gaps, same value).
 */
export function quantisationStep(display: Float32Array | DisplayImage): number {
  if (display instanceof Float32Array) return medianGap(sortNonNegative(sampleEvery(display)));
  if (display.table === null) return medianGap(sortNonNegative(sampleEvery(display.values)));
  const { values, table } = display;
  const present = new Uint8Array(table.length);
  const stride = sampleStride(values.length);
  let distinct = 0;
  for (let i = 0; i < values.length; i += stride) {
    distinct += 1 - present[values[i]];
    present[values[i]] = 1;
  }
  const levels = new Float32Array(distinct);
  for (let v = 0, j = 0; v < present.length; v++) if (present[v]) levels[j++] = table[v];
  return medianGap(sortNonNegative(levels));
}

const sampleStride = (length: number) => Math.max(1, Math.floor(length / 65536));

function sampleEvery(display: Float32Array): Float32Array {
  const stride = sampleStride(display.length);
  const sample = new Float32Array(Math.ceil(display.length / stride));
  for (let i = 0, j = 0; i < display.length; i += stride, j++) sample[j] = display[i];
  return sample;
}

/** Median of the positive gaps between neighbours of sorted values (0 when all are equal). */
function medianGap(sorted: Float32Array): number {
  const gaps = new Float64Array(sorted.length);
  let count = 0;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i] - sorted[i - 1];
    if (gap > 0) gaps[count++] = gap;
  }
  return count ? medianInPlace(gaps.subarray(0, count)) : 0;
}

/**
 * Sorts float32 values ascending. Display values are >= 0, whose bit patterns sort like the numbers, so three 11-bit
 * radix passes over the bits (all three histograms from one read) replace a comparison sort; anything else (a
 * negative value) takes the ordinary sort.
 */
function sortNonNegative(values: Float32Array): Float32Array {
  const keys = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const counts = new Uint32Array(3 * 2048);
  for (let i = 0; i < keys.length; i++) {
    let key = keys[i];
    if (key === 0x80000000) keys[i] = key = 0; // -0 sorts as 0
    else if (key > 0x7f800000) return values.sort(); // negative or NaN
    counts[key & 0x7ff]++;
    counts[2048 + ((key >>> 11) & 0x7ff)]++;
    counts[4096 + (key >>> 22)]++;
  }
  let from: Uint32Array = keys;
  let to: Uint32Array = new Uint32Array(keys.length);
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * 2048;
    const shift = pass * 11;
    for (let digit = 0, total = 0; digit < 2048; digit++) {
      const n = counts[base + digit];
      counts[base + digit] = total;
      total += n;
    }
    for (let i = 0; i < from.length; i++) to[counts[base + ((from[i] >>> shift) & 0x7ff)]++] = from[i];
    [from, to] = [to, from];
  }
  return new Float32Array(from.buffer, from.byteOffset, from.length);
}
