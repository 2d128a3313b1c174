/**
 * onnxruntime-web, loaded once per worker. The WebGPU build is used for both backends: its WASM binary runs the
 * CPU kernels too. The binary is fetched from the package's own files (with progress), never from a CDN.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { fetchAsset, type AssetSource } from './fetch-bytes.js';

export { ort };

/** File name of the runtime binary the build copies next to the bundle. */
export const RUNTIME_WASM = 'ort-wasm-simd-threaded.asyncify.wasm';

/** Approximate size, for progress when the server sends no Content-Length. */
const RUNTIME_WASM_BYTES = 26_781_914;

/** Threads actually used: WASM threads need SharedArrayBuffer, which only a cross-origin-isolated page has. */
export function effectiveThreads(requested: number): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(requested, 16));
}

/** Sets onnxruntime's environment before its first session; only the first call has an effect. */
export async function configureRuntime(options: {
  assetBase: string;
  threads: number;
  device: GPUDevice | null;
  onProgress: (loaded: number, total: number | null) => void;
  /** Asset cache to read the binary from and store it in; null fetches it. */
  cache?: Cache | null;
}): Promise<AssetSource> {
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = effectiveThreads(options.threads);
  ort.env.wasm.proxy = false;
  const wasmUrl = new URL(RUNTIME_WASM, options.assetBase).href;
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  const key = `${wasmUrl}?onnxruntime-web=${ort.env.versions?.web ?? 'unknown'}`;
  const { bytes, source } = await fetchAsset(wasmUrl, options.onProgress, { expectedBytes: RUNTIME_WASM_BYTES, cache: options.cache ?? null, key });
  ort.env.wasm.wasmBinary = bytes;
  if (options.device) ort.env.webgpu.device = options.device;
  return source;
}
