import { GuardError } from '../errors.js';
import { fromRgba } from './rgba.js';
import type { StoredImage } from './stored-image.js';

/** Reads an ImageBitmap's pixels without colour conversion: the grey values are what the viewer displayed. */
export function fromImageBitmap(bitmap: ImageBitmap, format: string): StoredImage {
  const { width, height } = bitmap;
  if (width === 0 || height === 0) throw new GuardError('invalid-input', `${format} has no pixels (width ${width}, height ${height}); was it closed or transferred already?`);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (!context) throw new GuardError('decode-failed', 'OffscreenCanvas 2D context is not available in this worker');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return fromRgba(context.getImageData(0, 0, width, height).data, width, height, format);
}

/** JPEG is 8-bit, so the browser's decoder loses nothing; colour conversion is switched off. */
export async function decodeJpeg(bytes: Uint8Array): Promise<StoredImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch (error) {
    throw new GuardError('decode-failed', `JPEG could not be decoded: ${(error as Error).message}`);
  }
  return fromImageBitmap(bitmap, 'jpeg');
}
