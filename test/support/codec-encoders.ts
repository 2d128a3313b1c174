// The Cornerstone codecs' own encoders, loaded in the test page (not under the strict CSP) from node_modules, to
// build compressed DICOM fixtures. Each full build is a classic script that defines one global factory.

export type CompressedKind = 'jpeg-baseline' | 'jpeg-ls' | 'jpeg-2000' | 'htj2k';

interface Encoder {
  getDecodedBuffer(frameInfo: object): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  setQuality?(...args: unknown[]): void;
  setNearLossless?(value: number): void;
  delete(): void;
}
type Codec = Record<string, new () => Encoder>;

const builds: Record<CompressedKind, { script: string; global: string; className: string }> = {
  'jpeg-baseline': { script: 'codec-libjpeg-turbo-8bit/dist/libjpegturbowasm.js', global: 'libjpegturbowasm', className: 'JPEGEncoder' },
  'jpeg-ls': { script: 'codec-charls/dist/charlswasm.js', global: 'CharLSWASM', className: 'JpegLSEncoder' },
  'jpeg-2000': { script: 'codec-openjpeg/dist/openjpegwasm.js', global: 'OpenJPEGWASM', className: 'J2KEncoder' },
  htj2k: { script: 'codec-openjph/dist/openjphjs.js', global: 'Module', className: 'HTJ2KEncoder' },
};

const loaded = new Map<CompressedKind, Promise<Codec>>();

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

function codec(kind: CompressedKind): Promise<Codec> {
  let promise = loaded.get(kind);
  if (!promise) {
    const build = builds[kind];
    const folder = `/node_modules/@cornerstonejs/${build.script.slice(0, build.script.lastIndexOf('/') + 1)}`;
    promise = loadScript(`/node_modules/@cornerstonejs/${build.script}`).then(() => {
      const factory = (globalThis as unknown as Record<string, (options: object) => Promise<Codec>>)[build.global];
      return factory({ locateFile: (path: string) => folder + path });
    });
    loaded.set(kind, promise);
  }
  return promise;
}

/**
 * Encodes one grey frame. Lossless by default (JPEG-LS, JPEG 2000, HTJ2K); JPEG baseline is 8-bit lossy at
 * `quality`; `nearLossless` sets JPEG-LS NEAR.
 */
export async function encodeFrame(
  kind: CompressedKind,
  pixels: Uint8Array | Uint16Array | Int16Array,
  width: number,
  height: number,
  options: { bitsPerSample: number; isSigned?: boolean; quality?: number; nearLossless?: number },
): Promise<Uint8Array> {
  const module = await codec(kind);
  const encoder = new module[builds[kind].className]();
  try {
    const frameInfo = { width, height, bitsPerSample: options.bitsPerSample, componentCount: 1, isSigned: options.isSigned ?? false, isUsingColorTransform: false };
    if (kind === 'jpeg-baseline') encoder.setQuality!(options.quality ?? 100);
    if (kind === 'jpeg-ls' && options.nearLossless) encoder.setNearLossless!(options.nearLossless);
    encoder.getDecodedBuffer(frameInfo).set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    encoder.encode();
    return encoder.getEncodedBuffer().slice();
  } finally {
    encoder.delete();
  }
}
