/**
 * Compressed pixel data -> decoded samples, through the Cornerstone WebAssembly codecs and a pure-JS JPEG lossless
 * decoder.
 *
 * Why the .wasm paths are spelt out here: each codec is an Emscripten factory that, left alone, looks for its
 * .wasm next to `document.currentScript` or the worker's own URL. Bundled into a chunk under `dist/chunks/`, that
 * guess is wrong, and hosts that move the package's files break it further. So every factory gets a `locateFile`
 * that resolves the .wasm against the guard's `assetBase` (`dist/codecs/`, where the build copies them): local
 * files only, never a CDN, and no eval (the factories are built without dynamic code, so they run under
 * `script-src 'self' 'wasm-unsafe-eval'`). Each codec is imported lazily, so a PNG check loads none of them.
 */
import { GuardError } from '../../errors.js';
import type { PixelEncoding } from './transfer-syntax.js';

/** What a codec hands back: samples as bytes (little-endian for 16-bit) and the frame it found. */
export interface DecodedFrame {
  bytes: Uint8Array;
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}

/** The embind decoder classes share this shape. */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

type WasmModule = Record<string, new () => WasmDecoder>;

interface WasmCodec {
  load(): Promise<{ default: unknown }>;
  className: string;
}

const wasmCodecs: Partial<Record<PixelEncoding, WasmCodec>> = {
  'jpeg-baseline': { load: () => import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs'), className: 'JPEGDecoder' },
  'jpeg-ls': { load: () => import('@cornerstonejs/codec-charls/decodewasmjs'), className: 'JpegLSDecoder' },
  'jpeg-2000': { load: () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'), className: 'J2KDecoder' },
  htj2k: { load: () => import('@cornerstonejs/codec-openjph/wasmjs'), className: 'HTJ2KDecoder' },
};

// One instance per codec, created on first use. A decode that throws (a WebAssembly trap or an Emscripten abort)
// may leave the instance's memory corrupt, so that instance is dropped and the next decode starts a fresh one.
const instances = new Map<PixelEncoding, Promise<WasmModule>>();

function instance(encoding: PixelEncoding, codec: WasmCodec, assetBase: string): Promise<WasmModule> {
  let module = instances.get(encoding);
  if (!module) {
    module = (async () => {
      const imported = await codec.load();
      let factory = imported.default as unknown;
      if (typeof factory !== 'function' && typeof (factory as { default?: unknown })?.default === 'function') {
        factory = (factory as { default: unknown }).default;
      }
      if (typeof factory !== 'function') throw new Error('the codec module exports no factory');
      return (await (factory as (options: object) => Promise<WasmModule>)({
        locateFile: (path: string) => new URL(`codecs/${path}`, assetBase).href,
      })) as WasmModule;
    })();
    module.catch(() => instances.delete(encoding));
    instances.set(encoding, module);
  }
  return module;
}

/** Decodes one compressed frame. Failures are `decode-failed`, naming the codec. */
export async function decodeCompressedFrame(encoding: PixelEncoding, bytes: Uint8Array, assetBase: string, bitsAllocated: number): Promise<DecodedFrame> {
  if (encoding === 'jpeg-lossless') return decodeJpegLossless(bytes, bitsAllocated);
  const codec = wasmCodecs[encoding];
  if (!codec) throw new GuardError('decode-failed', `no decoder for ${encoding}`);
  let module: WasmModule;
  try {
    module = await instance(encoding, codec, assetBase);
  } catch (error) {
    throw new GuardError('decode-failed', `the ${codec.className} codec could not be loaded from ${new URL('codecs/', assetBase).href}: ${(error as Error)?.message ?? String(error)}`);
  }
  let decoder: WasmDecoder | null = null;
  try {
    decoder = new module[codec.className]();
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    return {
      bytes: decoder.getDecodedBuffer().slice(),
      width: info.width,
      height: info.height,
      bitsPerSample: info.bitsPerSample,
      componentCount: info.componentCount,
    };
  } catch (error) {
    instances.delete(encoding);
    const message = error instanceof Error ? error.message : typeof error === 'number' ? `codec error ${error}` : String(error);
    throw new GuardError('decode-failed', `${codec.className} could not decode the pixel data: ${message}`);
  } finally {
    try {
      decoder?.delete();
    } catch {
      // The instance is already dropped; a failed delete on a broken instance is expected.
    }
  }
}

async function decodeJpegLossless(bytes: Uint8Array, bitsAllocated: number): Promise<DecodedFrame> {
  const { Decoder } = await import('jpeg-lossless-decoder-js');
  const frame = readJpegFrameHeader(bytes);
  try {
    const numBytes = bitsAllocated <= 8 ? 1 : 2;
    const decoded = new Decoder().decode(bytes.buffer, bytes.byteOffset, bytes.length, numBytes);
    const out = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength).slice();
    return { bytes: out, width: frame?.width ?? 0, height: frame?.height ?? 0, bitsPerSample: frame?.precision ?? numBytes * 8, componentCount: frame?.components ?? 1 };
  } catch (error) {
    throw new GuardError('decode-failed', `the JPEG lossless decoder could not decode the pixel data: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** Frame size of a compressed stream, read from its header without decoding, or null when it has none. */
export function peekFrameSize(encoding: PixelEncoding, bytes: Uint8Array): { width: number; height: number; precision: number } | null {
  if (encoding === 'jpeg-2000' || encoding === 'htj2k') {
    // SOC (FF4F) then SIZ (FF51): Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz (PS 15444-1 A.5.1).
    if (bytes.length < 26 || bytes[0] !== 0xff || bytes[1] !== 0x4f || bytes[2] !== 0xff || bytes[3] !== 0x51) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = view.getUint32(8) - view.getUint32(16);
    const height = view.getUint32(12) - view.getUint32(20);
    return { width, height, precision: 0 };
  }
  const frame = readJpegFrameHeader(bytes);
  return frame && { width: frame.width, height: frame.height, precision: frame.precision };
}

/** The first SOFn (or JPEG-LS SOF55) header of a JPEG stream. */
function readJpegFrameHeader(bytes: Uint8Array): { width: number; height: number; precision: number; components: number } | null {
  let at = 2;
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isSof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isSof) {
      return {
        precision: bytes[at + 4],
        height: (bytes[at + 5] << 8) | bytes[at + 6],
        width: (bytes[at + 7] << 8) | bytes[at + 8],
        components: bytes[at + 9],
      };
    }
    if (marker === 0xda || length < 2) return null;
    at += 2 + length;
  }
  return null;
}
