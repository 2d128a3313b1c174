/**
 * mammo-crop-v1: displayed mammogram -> classifier tensor.
 *
 * This file mirrors `models/train/preprocess.py` step for step; change both together and
 * regenerate `test/fixtures/preprocess/` (`models/train/make_parity_fixtures.py`). Every
 * discrete decision (threshold, mask, side, crop box) is taken on exact integers or on float64
 * values built by the same IEEE operations in the same order as the Python twin, so the two
 * agree exactly on them; only resize and normalisation sums may differ in their last bits.
 */
import { keptOrFresh, scratch } from '../scratch.js';
import type { DisplayImage } from './voi.js';

/** Result of {@link preprocessMammogram}. */
export interface PreprocessResult {
  /** Model tensor, S*S float32, row-major (the model input is [1,1,S,S]). */
  tensor: Float32Array;
  /** Breast mask at model resolution (1 = breast), S*S. */
  mask: Uint8Array;
  /** True when the image was mirrored horizontally so the chest wall is on the left. */
  flipped: boolean;
  /** Crop box in source (display) pixel coordinates, before flipping: the model tensor covers exactly this box (mirrored when flipped). */
  crop: { x: number; y: number; width: number; height: number };
}

const QUANT_LEVELS = 4096;
const LOWRES_TARGET = 256;
const HIST_BINS = 256;
const OPEN_RADIUS = 2;

/**
 * The breast at block resolution, in display coordinates (not mirrored): cell (x, y) covers display pixels
 * [x * block, (x + 1) * block) x [y * block, (y + 1) * block). The whole image when nothing stands out.
 */
export interface BreastMask {
  /** 1 = breast, row-major, `width * height`. */
  mask: Uint8Array;
  width: number;
  height: number;
  /** Display pixels per cell side. */
  block: number;
}

/** Whether display pixel (x, y) lies on the breast. */
export function onBreast(breast: BreastMask, x: number, y: number): boolean {
  const cx = Math.min(breast.width - 1, Math.floor(x / breast.block));
  const cy = Math.min(breast.height - 1, Math.floor(y / breast.block));
  return breast.mask[cy * breast.width + cx] === 1;
}

/** Whether any display pixel of [x0, x1) x [y0, y1) lies on the breast. */
export function touchesBreast(breast: BreastMask, x0: number, y0: number, x1: number, y1: number): boolean {
  const cx1 = Math.min(breast.width - 1, Math.floor((x1 - 1) / breast.block));
  const cy1 = Math.min(breast.height - 1, Math.floor((y1 - 1) / breast.block));
  for (let cy = Math.floor(y0 / breast.block); cy <= cy1; cy++) {
    for (let cx = Math.floor(x0 / breast.block); cx <= cx1; cx++) if (breast.mask[cy * breast.width + cx] === 1) return true;
  }
  return false;
}

/**
 * The first steps of mammo-crop-v1 (below): quantise, block-average to at most 256 px, threshold at half the Otsu
 * level, open, keep the largest component, fill holes. The noise signals and the content detector read it too,
 * whatever the classifier's own preprocessing.
 */
export function breastMask(display: DisplayImage): BreastMask {
  const { width, height } = display;
  const block = Math.max(1, Math.ceil(Math.max(width, height) / LOWRES_TARGET));
  const lowW = Math.ceil(width / block);
  const lowH = Math.ceil(height / block);
  const low = blockMeans(display, block, lowW, lowH);

  let maskLow: Uint8Array | null = null;
  const threshold = halfOtsuThreshold(low);
  if (threshold >= 0) {
    // The steps' masks are kept between checks (src/scratch.ts): only the filled mask leaves this function.
    const foreground = scratch(Uint8Array, 'mask.foreground', low.length);
    for (let i = 0; i < low.length; i++) foreground[i] = low[i] > threshold ? 1 : 0;
    // The opening cuts thin bridges (film edges, label tapes) between the breast and other blobs.
    const eroded = squareFilter(foreground, lowW, lowH, OPEN_RADIUS, true, scratch(Uint8Array, 'mask.eroded', low.length));
    const { component, componentSize } = largestComponent(eroded, lowW, lowH);
    if (componentSize * 50 >= lowW * lowH) {
      maskLow = fillHoles(squareFilter(component, lowW, lowH, OPEN_RADIUS, false, scratch(Uint8Array, 'mask.dilated', low.length)), lowW, lowH);
    }
  }
  if (maskLow === null) maskLow = new Uint8Array(lowW * lowH).fill(1);
  return { mask: maskLow, width: lowW, height: lowH, block };
}

/**
 * Preprocess one displayed mammogram with mammo-crop-v1.
 *
 * Steps: quantise to 4096 levels; block-average to at most 256 px; threshold at half the Otsu
 * level; erode 5x5, keep the largest 4-connected component, dilate back, fill holes (whole image
 * when nothing stands out); mirror so that the chest wall (the bounding-box half holding more
 * breast) is on the left; square crop box of side max(width, height) of the breast's bounding
 * box, anchored at the chest wall and shifted inside the image where it fits (pixels beyond the
 * image read as 0, so the box may extend past the edges); exact area-average resize to
 * `size` x `size`; zero mean / unit variance over breast pixels, 0 outside the breast.
 *
 * @param display - MONOCHROME2 display values in [0,1] (after VOI), row-major, `width * height` (>= 1 x 1; the
 *   method is meant for >= 16 x 16): materialised, or stored values read through their display table, with the same
 *   result to the last bit. Values outside [0,1] are clamped; NaN reads as 0.
 * @param size - Model input side S (the manifest's `input.shape[2]`).
 * @param breast - {@link breastMask} of the same display, when the caller has it already.
 * @param keep - A key of buffers kept between checks (src/scratch.ts) to write the tensor and mask into, for a caller
 *   that is done with them before its next call with the same key (a fresh array's first writes cost page faults,
 *   about a third of this function's time on a 512 x 512 image in a Chromium worker); fresh arrays when absent.
 * @returns The model tensor, its breast mask, the flip flag and the crop box.
 */
export function preprocessMammogram(display: DisplayImage, size: number, breast: BreastMask = breastMask(display), keep?: string): PreprocessResult {
  const { width, height } = display;
  const { mask: maskLow, width: lowW, height: lowH, block } = breast;

  let bx0 = lowW;
  let bx1 = -1;
  let by0 = lowH;
  let by1 = -1;
  for (let y = 0; y < lowH; y++) {
    for (let x = 0; x < lowW; x++) {
      if (maskLow[y * lowW + x]) {
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        if (y > by1) by1 = y;
      }
    }
  }
  const half = Math.floor((bx1 - bx0 + 1) / 2);
  let left = 0;
  let right = 0;
  for (let y = 0; y < lowH; y++) {
    for (let x = bx0; x < bx0 + half; x++) left += maskLow[y * lowW + x];
    for (let x = bx1 + 1 - half; x <= bx1; x++) right += maskLow[y * lowW + x];
  }
  const flipped = right > left;

  const px0 = bx0 * block;
  const px1 = Math.min(width, (bx1 + 1) * block);
  const py0 = by0 * block;
  const py1 = Math.min(height, (by1 + 1) * block);
  const side = Math.max(px1 - px0, py1 - py0);
  let y0 = py0 + Math.floor((py1 - py0 - side) / 2);
  if (side <= height) y0 = Math.min(Math.max(y0, 0), height - side);
  let x0 = flipped ? px1 - side : px0;
  if (side <= width) x0 = Math.min(Math.max(x0, 0), width - side);

  const resized = areaResize(display, x0, y0, side, size);
  const cellY = cellCentres(y0, side, size, height, block);
  const cellX = cellCentres(x0, side, size, width, block);
  const mask = keptOrFresh(Uint8Array, keep && `${keep}.mask`, size * size);
  let maskSum = 0;
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      const lx = cellX[flipped ? size - 1 - ox : ox];
      const ly = cellY[oy];
      const inside = lx >= 0 && ly >= 0 ? maskLow[ly * lowW + lx] : 0;
      mask[oy * size + ox] = inside;
      maskSum += inside;
    }
  }
  if (maskSum === 0) {
    mask.fill(1);
    maskSum = size * size;
  }

  const tensor = normalise(resized, mask, maskSum, size, flipped, keptOrFresh(Float32Array, keep && `${keep}.tensor`, size * size));
  return { tensor, mask, flipped, crop: { x: x0, y: y0, width: side, height: side } };
}

/** Clamped display value (NaN -> 0), identical to the Python `np.where(d > 0, min(d, 1), 0)`. */
function clampUnit(value: number): number {
  return value > 0 ? (value < 1 ? value : 1) : 0;
}

/** Quantised level of a display value, as the Python twin computes it. */
function level(value: number): number {
  return Math.floor(clampUnit(value) * QUANT_LEVELS + 0.5);
}

function blockMeans(display: DisplayImage, block: number, lowW: number, lowH: number): Float64Array {
  const { width, height } = display;
  // Per stored value once, not per pixel: a 13-megapixel image then costs one table read a pixel.
  let levels: Uint16Array | null = null;
  if (display.table) {
    levels = scratch(Uint16Array, 'preprocess.levels', display.table.length);
    for (let i = 0; i < levels.length; i++) levels[i] = level(display.table[i]);
  }
  // Sums of integer levels are exact in float64, so they match numpy's int64 sums in any order.
  // Kept between checks (src/scratch.ts), like the resize's and the mask's working buffers: none leaves this file.
  const sums = scratch(Float64Array, 'preprocess.sums', lowW * lowH).fill(0);
  for (let y = 0; y < height; y++) {
    const rowBase = Math.floor(y / block) * lowW;
    const rowStart = y * width;
    for (let bx = 0; bx < lowW; bx++) {
      const start = rowStart + bx * block;
      const end = rowStart + Math.min(width, (bx + 1) * block);
      let sum = 0;
      if (levels) {
        const values = display.values as Uint8Array | Uint16Array;
        for (let p = start; p < end; p++) sum += levels[values[p]];
      } else {
        const values = display.values;
        for (let p = start; p < end; p++) sum += level(values[p]);
      }
      sums[rowBase + bx] += sum;
    }
  }
  for (let by = 0; by < lowH; by++) {
    const rows = Math.min(block, height - by * block);
    for (let bx = 0; bx < lowW; bx++) {
      const count = rows * Math.min(block, width - bx * block);
      sums[by * lowW + bx] = sums[by * lowW + bx] / count;
    }
  }
  return sums;
}

function halfOtsuThreshold(low: Float64Array): number {
  const hist = new Float64Array(HIST_BINS);
  for (let i = 0; i < low.length; i++) hist[Math.min(HIST_BINS - 1, Math.floor(low[i] / 16))] += 1;
  let total = 0;
  let totalSum = 0;
  for (let b = 0; b < HIST_BINS; b++) {
    total += hist[b];
    totalSum += b * hist[b];
  }
  let best = -1;
  let bestBin = -1;
  let w0 = 0;
  let s0 = 0;
  for (let t = 0; t < HIST_BINS - 1; t++) {
    w0 += hist[t];
    s0 += t * hist[t];
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const d = s0 / w0 - (totalSum - s0) / w1;
    const between = w0 * w1 * (d * d);
    if (between > best) {
      best = between;
      bestBin = t;
    }
  }
  return bestBin < 0 ? -1 : (bestBin + 1) * 8;
}

function squareFilter(src: Uint8Array, lowW: number, lowH: number, radius: number, erode: boolean, out: Uint8Array): Uint8Array {
  // Running counts of ones in the (2r+1)-wide window, clipped at the edges: a full window of ones erodes to 1 (so
  // nothing within r of the edge survives erosion), any one dilates to 1. The same sets as an AND/OR per window,
  // at two additions a pixel instead of 2r+1 reads.
  const span = 2 * radius + 1;
  const horiz = scratch(Uint8Array, 'mask.horizontal', src.length);
  for (let y = 0; y < lowH; y++) {
    const row = y * lowW;
    let count = 0;
    for (let k = 0; k < Math.min(radius, lowW); k++) count += src[row + k];
    for (let x = 0; x < lowW; x++) {
      if (x + radius < lowW) count += src[row + x + radius];
      if (x > radius) count -= src[row + x - radius - 1];
      horiz[row + x] = erode ? (count === span ? 1 : 0) : (count > 0 ? 1 : 0);
    }
  }
  const counts = scratch(Uint8Array, 'mask.counts', lowW).fill(0);
  for (let k = 0; k < Math.min(radius, lowH); k++) {
    for (let x = 0; x < lowW; x++) counts[x] += horiz[k * lowW + x];
  }
  for (let y = 0; y < lowH; y++) {
    const row = y * lowW;
    const entering = y + radius < lowH ? (y + radius) * lowW : -1;
    const leaving = y > radius ? (y - radius - 1) * lowW : -1;
    for (let x = 0; x < lowW; x++) {
      let count = counts[x];
      if (entering >= 0) count += horiz[entering + x];
      if (leaving >= 0) count -= horiz[leaving + x];
      counts[x] = count;
      out[row + x] = erode ? (count === span ? 1 : 0) : (count > 0 ? 1 : 0);
    }
  }
  return out;
}

function largestComponent(
  foreground: Uint8Array,
  lowW: number,
  lowH: number,
): { component: Uint8Array; componentSize: number } {
  const labels = scratch(Int32Array, 'mask.labels', foreground.length).fill(0);
  const queue = scratch(Int32Array, 'mask.queue', foreground.length);
  let label = 0;
  let bestLabel = 0;
  let bestSize = 0;
  for (let start = 0; start < foreground.length; start++) {
    if (!foreground[start] || labels[start]) continue;
    label += 1;
    labels[start] = label;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const i = queue[head++];
      const y = Math.floor(i / lowW);
      const x = i - y * lowW;
      if (y > 0 && foreground[i - lowW] && !labels[i - lowW]) { labels[i - lowW] = label; queue[tail++] = i - lowW; }
      if (y < lowH - 1 && foreground[i + lowW] && !labels[i + lowW]) { labels[i + lowW] = label; queue[tail++] = i + lowW; }
      if (x > 0 && foreground[i - 1] && !labels[i - 1]) { labels[i - 1] = label; queue[tail++] = i - 1; }
      if (x < lowW - 1 && foreground[i + 1] && !labels[i + 1]) { labels[i + 1] = label; queue[tail++] = i + 1; }
    }
    // Strictly greater: on equal sizes the component met first in raster order wins, as in Python.
    if (tail > bestSize) {
      bestSize = tail;
      bestLabel = label;
    }
  }
  const component = scratch(Uint8Array, 'mask.component', foreground.length);
  for (let i = 0; i < labels.length; i++) component[i] = bestLabel && labels[i] === bestLabel ? 1 : 0;
  return { component, componentSize: bestSize };
}

function fillHoles(mask: Uint8Array, lowW: number, lowH: number): Uint8Array {
  const outside = scratch(Uint8Array, 'mask.outside', mask.length).fill(0);
  const queue = scratch(Int32Array, 'mask.queue', mask.length);
  let head = 0;
  let tail = 0;
  const seed = (i: number) => {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < lowW; x++) {
    seed(x);
    seed((lowH - 1) * lowW + x);
  }
  for (let y = 0; y < lowH; y++) {
    seed(y * lowW);
    seed(y * lowW + lowW - 1);
  }
  while (head < tail) {
    const i = queue[head++];
    const y = Math.floor(i / lowW);
    const x = i - y * lowW;
    if (y > 0 && !mask[i - lowW] && !outside[i - lowW]) { outside[i - lowW] = 1; queue[tail++] = i - lowW; }
    if (y < lowH - 1 && !mask[i + lowW] && !outside[i + lowW]) { outside[i + lowW] = 1; queue[tail++] = i + lowW; }
    if (x > 0 && !mask[i - 1] && !outside[i - 1]) { outside[i - 1] = 1; queue[tail++] = i - 1; }
    if (x < lowW - 1 && !mask[i + 1] && !outside[i + 1]) { outside[i + 1] = 1; queue[tail++] = i + 1; }
  }
  const filled = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) filled[i] = 1 - outside[i];
  return filled;
}

/** Area-average weights of `size` outputs over the box [origin, origin + side) clipped to [0, limit). */
interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weights: Float64Array;
}

function areaWeights(origin: number, side: number, size: number, limit: number): AxisWeights {
  const scale = side / size;
  const first = new Int32Array(size);
  const count = new Int32Array(size);
  const offset = new Int32Array(size);
  const weights = new Float64Array(size * (Math.ceil(scale) + 2));
  let used = 0;
  for (let o = 0; o < size; o++) {
    const start = o * scale;
    const end = (o + 1) * scale;
    const last = Math.ceil(end) - 1;
    offset[o] = used;
    first[o] = -1;
    for (let p = Math.floor(start); p <= last; p++) {
      const source = origin + p;
      if (source < 0 || source >= limit) continue;
      if (first[o] < 0) first[o] = source;
      weights[used++] = (Math.min(end, p + 1) - Math.max(start, p)) / scale;
      count[o] += 1;
    }
  }
  return { first, count, offset, weights };
}

function areaResize(display: DisplayImage, x0: number, y0: number, side: number, size: number): Float64Array {
  const { width, height } = display;
  const { first, count, offset, weights } = areaWeights(x0, side, size, width);
  const wy = areaWeights(y0, side, size, height);
  // Clamped float32 values stay exact in float32; the smaller table stays in cache better.
  let clamped: Float32Array | null = null;
  if (display.table) {
    clamped = scratch(Float32Array, 'preprocess.clamped', display.table.length);
    for (let i = 0; i < clamped.length; i++) clamped[i] = clampUnit(display.table[i]);
  }
  const out = scratch(Float64Array, 'preprocess.resized', size * size).fill(0);
  const row = scratch(Float64Array, 'preprocess.row', size);
  // Stream source rows once: each row is resized horizontally, then added to the outputs it feeds.
  let firstOutput = 0;
  const rowStart = Math.max(0, y0);
  const rowEnd = Math.min(height, y0 + side);
  for (let y = rowStart; y < rowEnd; y++) {
    const base = y * width;
    if (clamped) {
      const values = display.values as Uint8Array | Uint16Array;
      for (let ox = 0; ox < size; ox++) {
        const source = base + first[ox];
        const weight = offset[ox];
        const n = count[ox];
        let sum = 0;
        for (let k = 0; k < n; k++) sum += weights[weight + k] * clamped[values[source + k]];
        row[ox] = sum;
      }
    } else {
      const values = display.values;
      for (let ox = 0; ox < size; ox++) {
        const source = base + first[ox];
        const weight = offset[ox];
        const n = count[ox];
        let sum = 0;
        for (let k = 0; k < n; k++) sum += weights[weight + k] * clampUnit(values[source + k]);
        row[ox] = sum;
      }
    }
    while (firstOutput < size && (wy.count[firstOutput] === 0 || wy.first[firstOutput] + wy.count[firstOutput] <= y)) {
      firstOutput++;
    }
    for (let oy = firstOutput; oy < size && wy.count[oy] > 0 && wy.first[oy] <= y; oy++) {
      const weight = wy.weights[wy.offset[oy] + (y - wy.first[oy])];
      const target = oy * size;
      for (let ox = 0; ox < size; ox++) out[target + ox] += weight * row[ox];
    }
  }
  return out;
}

function cellCentres(origin: number, side: number, size: number, limit: number, block: number): Int32Array {
  const scale = side / size;
  const cells = new Int32Array(size);
  for (let o = 0; o < size; o++) {
    const p = Math.floor(origin + (o + 0.5) * scale);
    cells[o] = p >= 0 && p < limit ? Math.floor(p / block) : -1;
  }
  return cells;
}

function normalise(resized: Float64Array, mask: Uint8Array, maskSum: number, size: number, flipped: boolean, tensor: Float32Array): Float32Array {
  // Mirrored in place (the resize's buffer is this file's own), so that every pass below reads in the tensor's order:
  // the sums then add the same values in the same order as before the mirror, to the last bit.
  if (flipped) {
    for (let row = 0; row < size * size; row += size) resized.subarray(row, row + size).reverse();
  }
  const n = size * size;
  let sum = 0;
  for (let i = 0; i < n; i++) if (mask[i]) sum += resized[i];
  const mean = sum / maskSum;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i]) {
      const d = resized[i] - mean;
      squares += d * d;
    }
  }
  let std = Math.sqrt(squares / maskSum);
  if (std < 1e-6) std = 1;
  for (let i = 0; i < n; i++) tensor[i] = mask[i] ? (resized[i] - mean) / std : 0;
  return tensor;
}
