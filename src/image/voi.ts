import type { StoredImage, VoiFunction, VoiLut } from '../input/stored-image.js';
import { keptOrFresh } from '../scratch.js';

/** The stored-image fields the display transform reads. */
type DisplayInputs = Pick<StoredImage, 'bitsStored' | 'photometric' | 'window' | 'pixels' | 'rescale' | 'voiFunction' | 'voiLut'>;

/**
 * A window as DICOM PS3.3 C.11.2.1.2 defines it, from a modality value to [0, 1]. LINEAR needs width >= 1; a
 * narrower LINEAR window uses LINEAR_EXACT so that the mapping stays defined.
 */
export function windowFunction(center: number, width: number, fn: VoiFunction = 'LINEAR'): (value: number) => number {
  if (fn === 'SIGMOID') return (x) => 1 / (1 + Math.exp((-4 * (x - center)) / width));
  if (fn === 'LINEAR' && width >= 1) {
    const low = center - 0.5 - (width - 1) / 2;
    const high = center - 0.5 + (width - 1) / 2;
    return (x) => (x <= low ? 0 : x > high ? 1 : (x - (center - 0.5)) / (width - 1) + 0.5);
  }
  const low = center - width / 2;
  const high = center + width / 2;
  return (x) => (x <= low ? 0 : x > high ? 1 : (x - center) / width + 0.5);
}

/** A VOI LUT (C.11.2.1.1): values below the first mapped one take the first entry, values past the end the last. */
export function lutFunction(lut: VoiLut): (value: number) => number {
  const last = lut.data.length - 1;
  const scale = 1 / (2 ** lut.bits - 1);
  return (x) => {
    const index = Math.round(x) - lut.firstMapped;
    return Math.min(1, lut.data[index <= 0 ? 0 : index >= last ? last : index] * scale);
  };
}

/**
 * The display value in [0, 1] of one stored value, as a DICOM viewer computes it: modality rescale, then the VOI
 * (the window with its LINEAR / LINEAR_EXACT / SIGMOID function when there is one, else the VOI LUT, else the full
 * range of the stored bits), then MONOCHROME1 inverted so that bright always means dense.
 */
export function displayFunction(image: DisplayInputs): (value: number) => number {
  const invert = image.photometric === 'MONOCHROME1';
  const slope = image.rescale?.slope ?? 1;
  const intercept = image.rescale?.intercept ?? 0;
  const modality = (x: number) => x * slope + intercept;
  let voi: (value: number) => number;
  if (image.window) {
    voi = windowFunction(image.window.center, image.window.width, image.voiFunction);
  } else if (image.voiLut) {
    voi = lutFunction(image.voiLut);
  } else if (image.pixels instanceof Float32Array) {
    voi = (x) => Math.min(1, Math.max(0, x));
  } else {
    const signed = image.pixels instanceof Int16Array;
    const levels = 2 ** image.bitsStored;
    const a = modality(signed ? -levels / 2 : 0);
    const b = modality(signed ? levels / 2 - 1 : levels - 1);
    const min = Math.min(a, b);
    const range = Math.max(a, b) - min || 1;
    voi = (x) => Math.min(1, Math.max(0, (x - min) / range));
  }
  const map = slope === 1 && intercept === 0 ? voi : (x: number) => voi(modality(x));
  return invert ? (x) => 1 - map(x) : map;
}

/**
 * An image's display values as the model preprocessing reads them. An integer image keeps its stored values, as
 * indices (Int16 values viewed as their Uint16 bit patterns) into a table of display values (float32, the values
 * {@link toDisplay} gives), so the preprocessing reads 1 or 2 bytes a pixel and never writes a float32 copy of a
 * 13-megapixel image. A float image carries its display values and no table.
 */
export type DisplayImage =
  | { width: number; height: number; values: Uint8Array | Uint16Array; table: Float32Array }
  | { width: number; height: number; values: Float32Array; table: null };

/**
 * The display transform of a stored image, as a table for integer pixels ({@link DisplayImage}). `keep`: a key of a
 * buffer kept between checks (src/scratch.ts) for a 16-bit image's table (256 kB), for a caller done with it before
 * its next call with the same key; a fresh table when absent.
 */
export function displayImage(image: StoredImage, keep?: string): DisplayImage {
  const { pixels, width, height } = image;
  if (!(pixels instanceof Float32Array)) return { width, height, ...integerTable(image, pixels, keep) };
  const fn = displayFunction(image);
  const values = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) values[i] = fn(pixels[i]);
  return { width, height, values, table: null };
}

/**
 * Display values in [0, 1] (Float32Array, row-major) of a {@link DisplayImage}: its values, or its stored values
 * through its table (one pass of table reads), written into `into` when given (as many elements as pixels).
 */
export function displayValues(display: DisplayImage, into?: Float32Array): Float32Array {
  if (display.table === null) return display.values;
  const { values, table } = display;
  const result = into ?? new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) result[i] = table[values[i]];
  return result;
}

/** Stored pixels to display values in [0, 1] (Float32Array, row-major): the image the radiologist sees. */
export function toDisplay(image: StoredImage): Float32Array {
  return displayValues(displayImage(image));
}

function integerTable(image: StoredImage, pixels: Uint8Array | Uint16Array | Int16Array, keep?: string): { values: Uint8Array | Uint16Array; table: Float32Array } {
  const fn = displayFunction(image);
  if (pixels instanceof Uint8Array) {
    const table = new Float32Array(256);
    for (let i = 0; i < 256; i++) table[i] = fn(i);
    return { values: pixels, table };
  }
  const signed = pixels instanceof Int16Array;
  const table = keptOrFresh(Float32Array, keep, 65536);
  for (let i = 0; i < 65536; i++) table[i] = fn(signed && i >= 32768 ? i - 65536 : i);
  // Int16 values index the table through their two's-complement bit patterns: no offset to add per pixel.
  const values = signed ? new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length) : pixels;
  return { values, table };
}
