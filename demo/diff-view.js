// The difference view: attacked vs original, through pixelmatch. An L-inf perturbation of a few grey levels is
// invisible and below pixelmatch's colour threshold, so the change is amplified first: the "attacked" side is
// original + gain x (attacked - original), both through the same window; pixelmatch then marks every pixel whose
// amplified change it can see.
import pixelmatch from '../node_modules/pixelmatch/index.js';
import { toGreyRgba } from './view.js';

/** pixelmatch's colour threshold (0-1, its default): documented in the view's caption. */
export const PIXELMATCH_THRESHOLD = 0.1;

/** Gain that makes a change of `maxChange` stored units span half the window. */
export function amplification(maxChange, window) {
  if (maxChange <= 0) return 1;
  return Math.max(1, Math.round((0.5 * window.width) / maxChange));
}

/** Largest |attacked - original| in stored units. */
export function largestChange(original, attacked) {
  let max = 0;
  for (let i = 0; i < original.data.length; i++) max = Math.max(max, Math.abs(attacked.data[i] - original.data[i]));
  return max;
}

/**
 * Draws the pixelmatch difference of `attacked` against `original` into `canvas`.
 * @returns {{gain: number, differing: number, fraction: number, maxChange: number}}
 */
export function drawDifference(canvas, original, attacked, window) {
  const { width, height } = original;
  const maxChange = largestChange(original, attacked);
  const gain = amplification(maxChange, window);
  const amplifiedData = new Float32Array(original.data.length);
  for (let i = 0; i < amplifiedData.length; i++) amplifiedData[i] = original.data[i] + gain * (attacked.data[i] - original.data[i]);
  const before = toGreyRgba(original, window);
  const after = toGreyRgba({ ...original, data: amplifiedData }, window);
  const output = new Uint8ClampedArray(width * height * 4);
  const differing = pixelmatch(before, after, output, width, height, { threshold: PIXELMATCH_THRESHOLD, alpha: 0.25, diffColor: [255, 40, 40], diffColorAlt: [40, 200, 255] });
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').putImageData(new ImageData(output, width, height), 0, 0);
  return { gain, differing, fraction: differing / (width * height), maxChange };
}
