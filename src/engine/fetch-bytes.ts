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
