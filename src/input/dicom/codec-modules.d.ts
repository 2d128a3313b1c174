// The Cornerstone codecs ship Emscripten factories (CommonJS, no types) and jpeg-lossless-decoder-js ships
// none for its ESM build: these are the parts cadguard uses.

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options: { locateFile(path: string): string }) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options: { locateFile(path: string): string }) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (options: { locateFile(path: string): string }) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (options: { locateFile(path: string): string }) => Promise<unknown>;
  export default factory;
}
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBufferLike, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
