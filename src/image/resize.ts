import { scratch } from '../scratch.js';
import type { DisplayImage } from './voi.js';

/**
 * Area-average resize of a displayed image to `outWidth x outHeight`: each output pixel is the exact mean of the
 * source area it covers (fractional pixels weighted), which neither aliases nor blurs like bilinear. Display values
 * read through a table give the same result to the last bit as materialised ones. Written into `into` when given
 * (`outWidth * outHeight` elements).
 */
export function resizeArea(source: DisplayImage, outWidth: number, outHeight: number, into?: Float32Array): Float32Array {
  const { width, height, table } = source;
  const columns = areaWeights(width, outWidth);
  const rows = areaWeights(height, outHeight);
  // Kept between calls (src/scratch.ts): a full-field image's row pass is megabytes, whose fresh pages cost faults.
  const temp = scratch(Float64Array, 'resize.rows', height * outWidth);
  for (let y = 0; y < height; y++) {
    const rowOffset = y * width;
    for (let ox = 0; ox < outWidth; ox++) {
      const { start, weights } = columns[ox];
      const first = rowOffset + start;
      let sum = 0;
      if (table) {
        const values = source.values as Uint8Array | Uint16Array;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * table[values[first + k]];
      } else {
        const values = source.values;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * values[first + k];
      }
      temp[y * outWidth + ox] = sum;
    }
  }
  const out = into ?? new Float32Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    const { start, weights } = rows[oy];
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * temp[(start + k) * outWidth + ox];
      out[oy * outWidth + ox] = sum;
    }
  }
  return out;
}

/** Per output index: the first source index it covers and the normalised weights of the covered source pixels. */
export function areaWeights(inSize: number, outSize: number): { start: number; weights: Float64Array }[] {
  const scale = inSize / outSize;
  const result = [];
  for (let o = 0; o < outSize; o++) {
    const from = o * scale;
    const to = (o + 1) * scale;
    const start = Math.floor(from);
    const end = Math.min(inSize, Math.ceil(to));
    const weights = new Float64Array(end - start);
    for (let i = start; i < end; i++) weights[i - start] = (Math.min(to, i + 1) - Math.max(from, i)) / scale;
    result.push({ start, weights });
  }
  return result;
}
