import { GuardError } from '../errors.js';

/**
 * Fetches an asset of the package, reporting bytes as they arrive so a viewer can draw a progress bar.
 * `expectedBytes` stands in for a missing Content-Length (compressed or chunked responses).
 */
export async function fetchBytes(
  url: string,
  onProgress: (loaded: number, total: number | null) => void,
  expectedBytes?: number,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (error) {
    throw new GuardError('model-load', `could not fetch ${url}: ${(error as Error).message}. Check the URL and that the file is served.`);
  }
  if (!response.ok) throw new GuardError('model-load', `could not fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  return readWithProgress(response, onProgress, expectedBytes);
}

/** Reads a response's body, reporting bytes as they arrive (a cached read reports progress like a download). */
async function readWithProgress(response: Response, onProgress: (loaded: number, total: number | null) => void, expectedBytes?: number): Promise<Uint8Array> {
  const header = Number(response.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : expectedBytes ?? null;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress(bytes.byteLength, total ?? bytes.byteLength);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Cache Storage name of the package's assets (the runtime's WASM and the model files). */
export const ASSET_CACHE = 'cadguard-v1';

/** Where an asset's bytes came from. */
export type AssetSource = 'cache' | 'network';

/**
 * The asset cache, or null when caching is off or unavailable (`caches` exists only in secure contexts, and a
 * browser may refuse storage): the guard then simply fetches every start.
 */
export async function openAssetCache(enabled: boolean): Promise<Cache | null> {
  if (!enabled || typeof caches === 'undefined') return null;
  try {
    return await caches.open(ASSET_CACHE);
  } catch {
    return null;
  }
}

/**
 * {@link fetchBytes} through the asset cache: a cached copy is read when there is one (unless `network` forces a
 * fetch), else the asset is fetched and stored. The cache is never trusted: callers verify what they read (model
 * bytes against the manifest's SHA-256; the runtime by compiling it and reproducing every model's validation
 * output). `key` defaults to the URL; the runtime's key carries onnxruntime's version, so an upgraded package never
 * reads an older binary.
 */
export async function fetchAsset(
  url: string,
  onProgress: (loaded: number, total: number | null) => void,
  options: { expectedBytes?: number; cache: Cache | null; key?: string; network?: boolean },
): Promise<{ bytes: Uint8Array; source: AssetSource }> {
  const { cache, key = url } = options;
  if (cache && !options.network) {
    const hit = await cache.match(key).catch(() => undefined);
    if (hit) return { bytes: await readWithProgress(hit, onProgress, options.expectedBytes), source: 'cache' };
  }
  const bytes = await fetchBytes(url, onProgress, options.expectedBytes);
  // Not awaited: storing must not delay the start, and a failed write (quota) only means fetching next time.
  // The Response copies the bytes, so onnxruntime may take ownership of them.
  cache?.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'application/octet-stream' } })).catch(() => undefined);
  return { bytes, source: 'network' };
}
