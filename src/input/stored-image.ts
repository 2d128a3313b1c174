import type { PixelArray } from '../protocol.js';

/**
 * An image as stored, before any display transform: one grey value per pixel, row-major, with what is needed to
 * display it the way a viewer would. Every input format decodes to this.
 */
export interface StoredImage {
  pixels: PixelArray;
  width: number;
  height: number;
  /** Significant bits of each value (1-16); 32 for float input, whose values are display values in [0, 1]. */
  bitsStored: number;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  window: { center: number; width: number } | null;
  /** What the bytes were, for the report: `'raw'`, `'png'`, `'jpeg'`, `'imagedata'`, `'imagebitmap'`. */
  format: string;
}

/** Largest width or height accepted; larger images are refused before any allocation. */
export const MAX_DIMENSION = 16384;
