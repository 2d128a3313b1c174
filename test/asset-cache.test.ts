import { createGuard } from '../dist/index.js';
import { assert, fixtureManifest } from './support/helpers.js';

const cacheName = 'cadguard-v1';
const modelPath = '/test/fixtures/models/tiny-classifier.onnx';
const runtimePath = '/dist/ort-wasm-simd-threaded.asyncify.wasm';

/** Paths requested while `work` ran. */
async function requestsDuring(work: () => Promise<void>): Promise<string[]> {
  const before = await (await fetch('/__requests')).json();
  await work();
  const after = await (await fetch(`/__requests?since=${before.total}`)).json();
  return after.requests.map((r: { path: string }) => r.path);
}

/** Waits until the cache holds `paths` (the guard stores assets without delaying its start). */
async function cached(paths: string[]): Promise<void> {
  const cache = await caches.open(cacheName);
  for (let tries = 0; tries < 100; tries++) {
    const keys = (await cache.keys()).map((request) => new URL(request.url).pathname);
    if (paths.every((path) => keys.includes(path))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the cache never held ${paths.join(', ')}`);
}

async function startAndStop(options: { cache?: boolean } = {}): Promise<Record<string, string>> {
  const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm', ...options });
  try {
    const report = await guard.check({ data: new Uint8Array(64 * 64).fill(90), width: 64, height: 64 });
    assert(report.cad.score >= 0 && report.cad.score <= 1, 'the guard works');
    // Diagnostic only (not on the Guard interface): where each asset came from.
    const diagnostics = await (guard as unknown as { diagnostics(): Promise<{ startup: { sources: Record<string, string> } }> }).diagnostics();
    return diagnostics.startup.sources;
  } finally {
    await guard.dispose();
  }
}

describe('asset cache', () => {
  beforeEach(async () => {
    await caches.delete(cacheName);
  });
  after(async () => {
    await caches.delete(cacheName);
  });

  it('reads the runtime and the models from Cache Storage on the second start', async () => {
    const first = await startAndStop();
    assert(first.runtime === 'network' && first['tiny-classifier'] === 'network', JSON.stringify(first));
    await cached([modelPath, runtimePath]);
    let second: Record<string, string> = {};
    const paths = await requestsDuring(async () => {
      second = await startAndStop();
    });
    assert(second.runtime === 'cache' && second['tiny-classifier'] === 'cache', JSON.stringify(second));
    assert(!paths.includes(modelPath) && !paths.includes(runtimePath), `nothing fetched again: ${paths.join(', ')}`);
  });

  it('drops a corrupted cached model and fetches it again (the cache is never trusted)', async () => {
    await startAndStop();
    await cached([modelPath]);
    const cache = await caches.open(cacheName);
    const modelUrl = new URL(modelPath, location.href).href;
    const good = new Uint8Array(await (await cache.match(modelUrl))!.arrayBuffer());
    const bad = good.slice();
    bad[bad.length - 10] ^= 0xff;
    await cache.put(modelUrl, new Response(bad));
    // Re-fetched by the guard (the browser's HTTP cache may answer it, so the server log need not show it).
    const sources = await startAndStop();
    assert(sources['tiny-classifier'] === 'network', `re-fetched: ${JSON.stringify(sources)}`);
    for (let tries = 0; tries < 100; tries++) {
      const stored = await cache.match(modelUrl);
      const bytes = stored ? new Uint8Array(await stored.arrayBuffer()) : null;
      if (bytes && bytes.length === good.length && bytes.every((value, i) => value === good[i])) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the cache never got the good copy back');
  });

  it('with cache: false, fetches every start and stores nothing', async () => {
    const sources = await startAndStop({ cache: false });
    assert(sources.runtime === 'network' && sources['tiny-classifier'] === 'network', JSON.stringify(sources));
    const keys = await (await caches.open(cacheName)).keys();
    assert(keys.length === 0, `nothing stored: ${keys.map((k) => k.url).join(', ')}`);
  });
});
