import type { StoredImage } from '../input/stored-image.js';

/**
 * The display value in [0, 1] of one stored value: the window (DICOM PS3.3 C.11.2.1.2 LINEAR) when there is one,
 * else the full range of the stored bits; MONOCHROME1 inverted so that bright always means dense.
 */
export function displayFunction(image: Pick<StoredImage, 'bitsStored' | 'photometric' | 'window' | 'pixels'>): (value: number) => number {
  const invert = image.photometric === 'MONOCHROME1';
  let map: (value: number) => number;
  if (image.window) {
    const { center, width } = image.window;
    if (width >= 1) {
      const low = center - 0.5 - (width - 1) / 2;
      const high = center - 0.5 + (width - 1) / 2;
      map = (x) => (x <= low ? 0 : x > high ? 1 : (x - (center - 0.5)) / (width - 1) + 0.5);
    } else {
      // LINEAR needs width >= 1; narrower windows use LINEAR_EXACT so the mapping stays defined.
      map = (x) => Math.min(1, Math.max(0, (x - center) / width + 0.5));
    }
  } else if (image.pixels instanceof Float32Array) {
    map = (x) => Math.min(1, Math.max(0, x));
  } else {
    const signed = image.pixels instanceof Int16Array;
    const levels = 2 ** image.bitsStored;
    const min = signed ? -levels / 2 : 0;
    const max = signed ? levels / 2 - 1 : levels - 1;
    map = (x) => Math.min(1, Math.max(0, (x - min) / (max - min)));
  }
  return invert ? (x) => 1 - map(x) : map;
}

/**
 * Stored pixels to display values in [0, 1] (Float32Array, row-major): the image the radiologist sees.
 * Integer types go through a lookup table, which keeps a 13-megapixel image to one pass of table reads.
 */
export function toDisplay(image: StoredImage): Float32Array {
  const { pixels } = image;
  const display = new Float32Array(pixels.length);
  const fn = displayFunction(image);
  if (pixels instanceof Float32Array) {
    for (let i = 0; i < pixels.length; i++) display[i] = fn(pixels[i]);
    return display;
  }
  const offset = pixels instanceof Int16Array ? 32768 : 0;
  const size = pixels instanceof Uint8Array ? 256 : 65536;
  const lut = new Float32Array(size);
  for (let i = 0; i < size; i++) lut[i] = fn(i - offset);
  for (let i = 0; i < pixels.length; i++) display[i] = lut[pixels[i] + offset];
  return display;
}
