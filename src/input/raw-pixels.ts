import { GuardError } from '../errors.js';
import type { RawPixels } from '../protocol.js';
import { MAX_DIMENSION, type StoredImage } from './stored-image.js';

function invalid(message: string, details?: Record<string, unknown>): never {
  throw new GuardError('invalid-input', message, details);
}

/** Checks a width or height: an integer in 1..MAX_DIMENSION. */
export function checkDimension(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DIMENSION) {
    invalid(`${name} must be an integer from 1 to ${MAX_DIMENSION}, got ${String(value)}`, { [name]: value });
  }
  return value;
}

const typeBits = new Map<string, number>([
  ['Uint8Array', 8],
  ['Uint16Array', 16],
  ['Int16Array', 16],
  ['Float32Array', 32],
]);

/** Validates raw pixels field by field, naming the offending value and what is allowed. */
export function fromRawPixels(raw: RawPixels): StoredImage {
  const { data } = raw;
  const typeName = data?.constructor?.name ?? typeof data;
  const maxBits = typeBits.get(typeName);
  if (!ArrayBuffer.isView(data) || maxBits === undefined) {
    invalid(`pixels.data must be a Uint8Array, Uint16Array, Int16Array or Float32Array, got ${typeName}`);
  }
  const width = checkDimension('width', raw.width);
  const height = checkDimension('height', raw.height);
  if (data.length !== width * height) {
    invalid(`pixels.data has ${data.length} values but width x height = ${width} x ${height} = ${width * height} (one grey value per pixel)`, {
      length: data.length,
      width,
      height,
    });
  }
  const isFloat = data instanceof Float32Array;
  let bitsStored = isFloat ? 32 : raw.bitsStored ?? maxBits;
  if (!isFloat && (!Number.isInteger(bitsStored) || bitsStored < 1 || bitsStored > maxBits)) {
    invalid(`bitsStored must be an integer from 1 to ${maxBits} for ${typeName}, got ${String(raw.bitsStored)}`);
  }
  const photometric = raw.photometric ?? 'MONOCHROME2';
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    invalid(`photometric must be 'MONOCHROME1' or 'MONOCHROME2', got ${JSON.stringify(raw.photometric)}`);
  }
  const window = readWindow(raw.windowCenter, raw.windowWidth);
  if (isFloat) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        invalid(`pixels.data[${i}] is ${data[i]}: float pixels must be finite`, { index: i, x: i % width, y: Math.floor(i / width) });
      }
    }
    bitsStored = 32;
  }
  return { pixels: data, width, height, bitsStored, photometric, window, format: 'raw' };
}

/** Both window values or neither; the width must be positive. */
export function readWindow(center: unknown, width: unknown): StoredImage['window'] {
  if (center === undefined && width === undefined) return null;
  if (typeof center !== 'number' || !Number.isFinite(center) || typeof width !== 'number' || !Number.isFinite(width) || width <= 0) {
    invalid(`windowCenter and windowWidth must be given together as finite numbers with windowWidth > 0, got center ${String(center)}, width ${String(width)}`);
  }
  return { center, width };
}
