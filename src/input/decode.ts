import { GuardError } from '../errors.js';
import type { ImageInput, RawPixels, ViewerImage, ViewerWire } from '../protocol.js';
import { decodeJpeg, fromImageBitmap } from './browser-image.js';
import { decodePng } from './png.js';
import { fromRawPixels } from './raw-pixels.js';
import { fromRgba } from './rgba.js';
import type { StoredImage } from './stored-image.js';
import { fromViewerImage } from './viewer-image.js';

/** What decoding needs besides the image: where the codecs are, and which VOI a DICOM or viewer image uses. */
export interface DecodeOptions {
  /** Folder URL holding `codecs/`. @defaultValue the folder of this module */
  assetBase?: string;
  /** @defaultValue 0 */
  voiIndex?: number;
  /** @defaultValue false */
  acceptsForProcessing?: boolean;
}

/** ImageData crosses to the worker as its RGBA bytes (transferred), since ImageData itself cannot be transferred. */
export interface RgbaWire {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** What the worker receives as `image`. */
export type WireImage = Exclude<ImageInput, ImageData | ViewerImage> | RgbaWire | ViewerWire;

function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Sniffs encoded bytes by their signature, never by a file name. */
export async function decodeBytes(bytes: Uint8Array, options: DecodeOptions = {}): Promise<StoredImage> {
  if (bytes.length === 0) throw new GuardError('invalid-input', 'the image bytes are empty (0 bytes)');
  if (pngSignature.every((value, i) => bytes[i] === value)) return decodePng(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes);
  if (isDicom(bytes)) {
    const { decodeDicom } = await import('./dicom/decode-dicom.js');
    return decodeDicom(bytes, {
      assetBase: options.assetBase ?? new URL('./', import.meta.url).href,
      voiIndex: options.voiIndex ?? 0,
      acceptsForProcessing: options.acceptsForProcessing ?? false,
    });
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new GuardError('unsupported-format', `unrecognised image bytes (first bytes ${head}); cadguard reads PNG (8/16-bit), JPEG and DICOM Part 10 (with the DICM marker at byte 128)`);
}

/** Any accepted input to stored pixels. */
export async function decodeImage(image: WireImage, options: DecodeOptions = {}): Promise<StoredImage> {
  if (image instanceof ArrayBuffer) return decodeBytes(new Uint8Array(image), options);
  if (typeof Blob !== 'undefined' && image instanceof Blob) return decodeBytes(new Uint8Array(await image.arrayBuffer()), options);
  if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) return fromImageBitmap(image, 'imagebitmap');
  if (ArrayBuffer.isView(image)) {
    throw new GuardError('invalid-input', `a bare ${image.constructor.name} has no dimensions: pass {data, width, height} or the encoded bytes as an ArrayBuffer`);
  }
  if (typeof image === 'object' && image !== null) {
    if ('rgba' in image) return fromRgba(image.rgba, image.width, image.height, 'imagedata');
    if ('viewer' in image) return fromViewerImage(image, options.voiIndex ?? 0);
    if ('data' in image) return fromRawPixels(image as RawPixels);
  }
  const kind = image === null ? 'null' : typeof image === 'object' ? (image as object).constructor?.name ?? 'object' : typeof image;
  throw new GuardError(
    'invalid-input',
    `check() takes RawPixels {data, width, height}, ImageData, ImageBitmap, a viewer image (getPixelData()), or PNG/JPEG/DICOM bytes as Blob or ArrayBuffer; got ${kind}`,
  );
}
