import { GuardError } from '../errors.js';
import { checkDimension } from './raw-pixels.js';
import type { StoredImage } from './stored-image.js';

/**
 * RGBA pixels (from ImageData, an ImageBitmap or a decoded JPEG) to one grey channel. Greyscale images (R = G = B,
 * which is what a mammogram is) keep their exact values; colour ones get Rec. 601 luma.
 */
export function fromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, format: string): StoredImage {
  checkDimension('width', width);
  checkDimension('height', height);
  if (rgba.length !== width * height * 4) {
    throw new GuardError('invalid-input', `${format} has ${rgba.length} bytes, expected width x height x 4 = ${width * height * 4}`);
  }
  const grey = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
    const r = rgba[j];
    const g = rgba[j + 1];
    const b = rgba[j + 2];
    grey[i] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return { pixels: grey, width, height, bitsStored: 8, photometric: 'MONOCHROME2', window: null, format };
}
