/**
 * Feature squeezing (Xu, Evans and Qi, NDSS 2018): an adversarial perturbation is brittle, so the classifier's
 * score moves when the input is squeezed (smoothed, or its bit depth reduced), while a clean image's score barely
 * does. Model-agnostic: it protects any classifier, a vendor's own included.
 */

/** The squeezed variants, concatenated as one batch: 3x3 median, then bit-depth reduction. */
export function squeezedBatch(tensor: Float32Array, width: number, height: number): Float32Array {
  const batch = new Float32Array(tensor.length * 2);
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

/** 3x3 median with replicated borders (Paeth's 19-exchange median-of-9 network: no sort per pixel). */
export function median3x3(source: Float32Array, width: number, height: number, out: Float32Array): void {
  const p = new Float64Array(9);
  const order = (a: number, b: number) => {
    if (p[a] > p[b]) {
      const t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
  };
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const row = y * width;
    const down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) {
      const left = Math.max(0, x - 1);
      const right = Math.min(width - 1, x + 1);
      p[0] = source[up + left]; p[1] = source[up + x]; p[2] = source[up + right];
      p[3] = source[row + left]; p[4] = source[row + x]; p[5] = source[row + right];
      p[6] = source[down + left]; p[7] = source[down + x]; p[8] = source[down + right];
      order(1, 2); order(4, 5); order(7, 8); order(0, 1); order(3, 4); order(6, 7);
      order(1, 2); order(4, 5); order(7, 8); order(0, 3); order(5, 8); order(4, 7);
      order(3, 6); order(1, 4); order(2, 5); order(4, 7); order(4, 2); order(6, 4);
      order(4, 2);
      out[row + x] = p[4];
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
    min = Math.min(min, source[i]);
    max = Math.max(max, source[i]);
  }
  const levels = 2 ** bits - 1;
  const step = max > min ? (max - min) / levels : 1;
  for (let i = 0; i < source.length; i++) out[i] = min + Math.round((source[i] - min) / step) * step;
}
