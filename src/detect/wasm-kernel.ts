/**
 * What the signals' small WebAssembly kernels (wasm/*.wat, compiled into src/detect/*-wasm.ts) share: compiled from
 * bytes in the bundle on first use (a few hundred bytes: synchronous compilation is allowed in a worker; nothing is
 * fetched), and a memory that grows to the largest image seen and is kept.
 */

const PAGE = 65536;

/** A getter for the kernel's exports, compiling `bytes` on its first call. */
export function lazyKernel<T>(bytes: Uint8Array<ArrayBuffer>): () => T {
  let exports: T | null = null;
  return () => (exports ??= new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as T);
}

/** `offset` rounded up to a multiple of 16 bytes: where a kernel's next array may start (any view type, SIMD loads). */
export function aligned(offset: number): number {
  return Math.ceil(offset / 16) * 16;
}

/** Grows the memory to at least `bytes` (kept: the next image of the same size needs it again). */
export function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const missing = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (missing > 0) memory.grow(missing);
}
