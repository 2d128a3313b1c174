/**
 * Feature squeezing (Xu, Evans and Qi, NDSS 2018): an adversarial perturbation is brittle, so the classifier's
 * score moves when the input is squeezed (smoothed, or its bit depth reduced), while a clean image's score barely
 * does. Model-agnostic: it protects any classifier, a vendor's own included.
 */

/**
 * The squeezed variants, concatenated as one batch: 3x3 median, then bit-depth reduction. Written into `into` when
 * given (twice the tensor's length, overwritten whole).
 */
export function squeezedBatch(tensor: Float32Array, width: number, height: number, into?: Float32Array): Float32Array {
  const batch = into ?? new Float32Array(tensor.length * 2);
  median3x3(tensor, width, height, batch.subarray(0, tensor.length));
  reduceBitDepth(tensor, batch.subarray(tensor.length), 5);
  return batch;
}

/** Number of squeezed variants in {@link squeezedBatch}. */
export const SQUEEZE_VARIANTS = 2;

/** The signal: the largest change of the classifier's score under any squeezer. */
export function squeezeDisagreement(score: number, squeezedScores: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < squeezedScores.length; i++) worst = Math.max(worst, Math.abs(score - squeezedScores[i]));
  return worst;
}

/**
 * 3x3 median with replicated borders. Each column of three is sorted once and shared by the three windows that
 * contain it; the median of the window is then med3(largest column minimum, median of column medians, smallest
 * column maximum), exactly the median of its nine values (Paeth, Graphics Gems 1990) at a fraction of a full sort.
 */
export function median3x3(source: Float32Array, width: number, height: number, out: Float32Array): void {
  const low = new Float32Array(width);
  const mid = new Float32Array(width);
  const high = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const row = y * width;
    const down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) {
      const a = source[up + x];
      const b = source[row + x];
      const c = source[down + x];
      const ab = Math.min(a, b);
      const AB = Math.max(a, b);
      low[x] = Math.min(ab, c);
      high[x] = Math.max(AB, c);
      mid[x] = Math.max(ab, Math.min(AB, c));
    }
    for (let x = 0; x < width; x++) {
      const l = x > 0 ? x - 1 : 0;
      const r = x < width - 1 ? x + 1 : width - 1;
      const lows = Math.max(Math.max(low[l], low[x]), low[r]);
      const highs = Math.min(Math.min(high[l], high[x]), high[r]);
      const m0 = mid[l];
      const m1 = mid[x];
      const m2 = mid[r];
      const mids = Math.max(Math.min(m0, m1), Math.min(Math.max(m0, m1), m2));
      out[row + x] = Math.max(Math.min(lows, mids), Math.min(Math.max(lows, mids), highs));
    }
  }
}

/**
 * Bit-depth reduction in the tensor's own range: 2^bits levels between its minimum and maximum. The tensor is
 * standardised per image, so this is the same relative squeeze whatever the source's bit depth.
 */
export function reduceBitDepth(source: Float32Array, out: Float32Array, bits: number): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < source.length; i++) {
    const value = source[i];
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const levels = 2 ** bits - 1;
  const step = max > min ? (max - min) / levels : 1;
  for (let i = 0; i < source.length; i++) out[i] = min + Math.round((source[i] - min) / step) * step;
}
