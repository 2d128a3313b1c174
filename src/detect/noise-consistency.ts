/**
 * Noise consistency: every acquisition chain leaves noise whose level depends on the local intensity in one smooth
 * way across the whole image. An inpainted region is too smooth, a spliced one carries another chain's noise: both
 * break that relation locally. Each tile's noise is compared with what the SAME image's other tiles predict at that
 * intensity, so a scanner with more or less noise overall is not flagged; only a local break is.
 */
import type { BreastMask } from '../image/preprocess.js';
import { MIN_TILES, median, noiseTileGrid, quickSelect, TILE_LEVEL_MAX, TILE_LEVEL_MIN, tileOnBreast, type NoiseMap } from './noise-tiles.js';

/** Share of a tile's residuals, smallest first, that its noise estimate keeps (the rest may be structure). */
const KEEP = 0.25;

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
export function noiseConsistency(display: Float32Array, width: number, height: number, breast?: BreastMask): NoiseConsistency {
  const { tile, mapWidth, mapHeight } = noiseTileGrid(width, height);
  const count = mapWidth * mapHeight;
  const logNoise = new Float64Array(count).fill(Number.NaN);
  const meanLevel = new Float64Array(count);
  const step = Math.max(1, Math.floor(tile / SAMPLED_SIDE));
  const values = new Float32Array(Math.ceil(tile / step) ** 2);
  // A tile smoother than the quantisation step cannot show its noise: flat 8-bit film and a 16-bit detector differ
  // there only in how they were stored, so every estimate is floored at a quarter of the image's own step.
  const floor = Math.max(1e-5, 0.25 * quantisationStep(display));
  // Pixels at either end of the display range are clipped (a detector's empty background, a saturated label): their
  // noise cannot be seen, and counting them makes a tile on the breast edge look far too smooth. Only the ends: a
  // flat region at any other level stays the inpainting trace this signal looks for.
  const up = 2 * width;
  for (let ty = 0; ty < mapHeight; ty++) {
    for (let tx = 0; tx < mapWidth; tx++) {
      let n = 0;
      let seen = 0;
      let inside = 0;
      let sum = 0;
      const y0 = 1 + ty * tile;
      const x0 = 1 + tx * tile;
      for (let y = Math.max(2, y0), yEnd = Math.min(height - 2, y0 + tile); y < yEnd; y += step) {
        for (let x = Math.max(2, x0), xEnd = Math.min(width - 2, x0 + tile); x < xEnd; x += step) {
          const i = y * width + x;
          const centre = display[i];
          seen++;
          if (centre <= 0 || centre >= 1) continue;
          sum += centre;
          inside++;
          const residual = secondDifference(display, i - up) - 2 * secondDifference(display, i) + secondDifference(display, i + up);
          // NaN when a tap is clipped: that residual would measure the edge of the background, not noise.
          if (Number.isNaN(residual)) continue;
          values[n++] = Math.abs(residual);
        }
      }
      const index = ty * mapWidth + tx;
      const mean = sum / inside;
      meanLevel[index] = mean;
      // A tile mostly clipped is mostly background: its few other pixels (the skin line) say little about the noise.
      if (n < 64 || n < 0.5 * seen || mean < TILE_LEVEL_MIN || mean > TILE_LEVEL_MAX) continue;
      const last = Math.floor(n * KEEP);
      const cut = quickSelect(values, n, last);
      // Selection left every value up to `last` at most `cut`: only those after it need a look (ties count).
      let kept = last + 1;
      let total = 0;
      for (let k = 0; k <= last; k++) total += values[k];
      for (let k = last + 1; k < n; k++) {
        if (values[k] <= cut) {
          total += values[k];
          kept++;
        }
      }
      logNoise[index] = Math.log(Math.max(floor, total / kept));
    }
  }
  const valid: number[] = [];
  for (let i = 0; i < count; i++) if (!Number.isNaN(logNoise[i])) valid.push(i);
  const map = new Float32Array(count);
  if (valid.length < MIN_TILES) return { value: 0, map, mapWidth, mapHeight, tiles: valid.length };

  // Expected log-noise at a given intensity: a robust line, so a manipulated region (few tiles, far off the line)
  // cannot pull it to itself, even where it is the only region of its intensity.
  const expected = robustLine(valid.map((i) => meanLevel[i]), valid.map((i) => logNoise[i]));
  const deviation = new Float64Array(count).fill(Number.NaN);
  for (const i of valid) deviation[i] = logNoise[i] - expected(meanLevel[i]);
  const spread = Math.max(0.05, 1.4826 * median(valid.map((i) => Math.abs(deviation[i]))));
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
      const block = [i, i + 1, i + mapWidth, i + mapWidth + 1].filter((j) => !Number.isNaN(deviation[j]));
      if (block.length < 3) continue;
      const mean = block.reduce((s, j) => s + deviation[j], 0) / block.length / spread;
      value = Math.max(value, Math.abs(mean));
    }
  }
  return { value, map, mapWidth, mapHeight, tiles: valid.length };
}

/** display[j-2] - 2 display[j] + display[j+2]; NaN when one of the three is clipped (0 or 1). */
function secondDifference(display: Float32Array, j: number): number {
  const left = display[j - 2];
  const middle = display[j];
  const right = display[j + 2];
  if (left <= 0 || left >= 1 || middle <= 0 || middle >= 1 || right <= 0 || right >= 1) return Number.NaN;
  return left - 2 * middle + right;
}

/**
 * Fits y = a + b x robustly: Theil-Sen (median of pairwise slopes, breakdown 29 %) so that a cluster of manipulated
 * tiles at one end of the intensity range cannot tilt the line, then Tukey-biweight reweighting from there.
 */
function robustLine(xs: number[], ys: number[]): (x: number) => number {
  const n = xs.length;
  const slopes: number[] = [];
  // Every step-th pair (i < j) in row order, about 20,000 in all: the pairs are numbered, and each row jumps straight
  // to its first pair whose number is a multiple of step (visiting all n^2/2 pairs cost more than the slopes).
  const step = Math.max(1, Math.floor((n * (n - 1)) / 2 / 20000));
  let rowStart = 0;
  for (let i = 0; i < n; i++) {
    const pairs = n - 1 - i;
    for (let k = (step - (rowStart % step)) % step; k < pairs; k += step) {
      const j = i + 1 + k;
      const dx = xs[j] - xs[i];
      if (Math.abs(dx) > 1e-6) slopes.push((ys[j] - ys[i]) / dx);
    }
    rowStart += pairs;
  }
  let slope = slopes.length ? median(slopes) : 0;
  let intercept = median(ys.map((y, i) => y - slope * xs[i]));
  for (let round = 0; round < 4; round++) {
    const residuals = ys.map((y, i) => y - intercept - slope * xs[i]);
    const scale = Math.max(1e-6, 1.4826 * median(residuals.map(Math.abs)));
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    residuals.forEach((r, i) => {
      const u = r / (4.685 * scale);
      const w = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
      sw += w;
      sx += w * xs[i];
      sy += w * ys[i];
      sxx += w * xs[i] * xs[i];
      sxy += w * xs[i] * ys[i];
    });
    const denominator = sw * sxx - sx * sx;
    if (sw === 0 || Math.abs(denominator) < 1e-12) break;
    slope = (sw * sxy - sx * sy) / denominator;
    intercept = (sy - slope * sx) / sw;
  }
  return (x) => intercept + slope * x;
}

/** Typical gap between neighbouring display levels present in the image (0 for continuous values). */
export function quantisationStep(display: Float32Array): number {
  const stride = Math.max(1, Math.floor(display.length / 65536));
  const sample = new Float32Array(Math.ceil(display.length / stride));
  for (let i = 0, j = 0; i < display.length; i += stride, j++) sample[j] = display[i];
  const sorted = sortNonNegative(sample);
  const gaps = new Float64Array(sorted.length);
  let count = 0;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i] - sorted[i - 1];
    if (gap > 0) gaps[count++] = gap;
  }
  return count ? median(gaps.subarray(0, count)) : 0;
}

/**
 * Sorts float32 values ascending. Display values are >= 0, whose bit patterns sort like the numbers, so two 16-bit
 * radix passes over the bits replace a comparison sort (about 5x faster on the 65,536 samples); anything else
 * (a negative value) takes the ordinary sort.
 */
function sortNonNegative(values: Float32Array): Float32Array {
  const keys = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === 0x80000000) keys[i] = 0; // -0 sorts as 0
    else if (keys[i] > 0x7f800000) return values.sort(); // negative or NaN
  }
  const buffer = new Uint32Array(keys.length);
  const counts = new Uint32Array(65537);
  let from: Uint32Array = keys;
  let to: Uint32Array = buffer;
  for (let shift = 0; shift < 32; shift += 16) {
    counts.fill(0);
    for (let i = 0; i < from.length; i++) counts[((from[i] >>> shift) & 0xffff) + 1]++;
    for (let d = 1; d < counts.length; d++) counts[d] += counts[d - 1];
    for (let i = 0; i < from.length; i++) to[counts[(from[i] >>> shift) & 0xffff]++] = from[i];
    [from, to] = [to, from];
  }
  return new Float32Array(from.buffer, from.byteOffset, from.length);
}
