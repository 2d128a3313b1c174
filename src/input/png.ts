import { convertIndexedToRgb, decode } from 'fast-png';
import { GuardError } from '../errors.js';
import { checkDimension } from './raw-pixels.js';
import type { StoredImage } from './stored-image.js';

/**
 * Decodes PNG in the worker at full precision. Browser decoders drop 16-bit PNG to 8 bits, which would change
 * the very values the guard must judge, so PNG never goes through `createImageBitmap`.
 */
export function decodePng(bytes: Uint8Array): StoredImage {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (error) {
    throw new GuardError('decode-failed', `PNG could not be decoded: ${(error as Error).message}`);
  }
  const width = checkDimension('width', png.width);
  const height = checkDimension('height', png.height);
  const count = width * height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const channels = rgb.length / count;
    return toGrey(rgb, width, height, channels, 8);
  }
  let { data } = png;
  const { depth, channels } = png;
  if (depth < 8 && data.length !== count * channels) data = unpackBits(data as Uint8Array, width, height, depth);
  if (data.length !== count * channels) {
    throw new GuardError('decode-failed', `PNG pixel data has ${data.length} values, expected ${count * channels} for ${width} x ${height} x ${channels}`);
  }
  return toGrey(data, width, height, channels, depth);
}

/** Low bit depths arrive packed, rows padded to whole bytes. */
function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function toGrey(data: ArrayLike<number>, width: number, height: number, channels: number, depth: number): StoredImage {
  const count = width * height;
  const grey = depth > 8 ? new Uint16Array(count) : new Uint8Array(count);
  if (channels <= 2) {
    // Grey, or grey + alpha: the alpha channel is not part of the image.
    for (let i = 0; i < count; i++) grey[i] = data[i * channels];
  } else {
    for (let i = 0; i < count; i++) {
      const r = data[i * channels];
      const g = data[i * channels + 1];
      const b = data[i * channels + 2];
      grey[i] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  return { pixels: grey, width, height, bitsStored: Math.max(depth, 1), photometric: 'MONOCHROME2', window: null, format: 'png' };
}
