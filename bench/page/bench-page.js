// The bench page: the built SDK (/dist/index.js) as a viewer uses it, beside raw onnxruntime-web in a worker of its
// own (raw-worker.js). bench/run.mjs calls `window.cadguardBench` one measurement at a time; each returns the raw
// samples, pair by pair, and the driver computes medians and ratios. Timing lives here, never in the tests.
import { createGuard } from '/dist/index.js';

const CACHE = 'cadguard-v1';
const runtimeUrl = new URL('/dist/ort-wasm-simd-threaded.asyncify.wasm', location.href).href;

/** A raw worker with a promise per call. */
function rawWorker() {
  const worker = new Worker(new URL('./raw-worker.js', import.meta.url), { type: 'module' });
  const waiting = new Map();
  let next = 1;
  worker.onmessage = ({ data }) => {
    const { resolve, reject } = waiting.get(data.id);
    waiting.delete(data.id);
    if (data.error) reject(new Error(`raw worker: ${data.error}`));
    else resolve(data.result);
  };
  return {
    call(method, args = {}, transfer = []) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, method, args }, transfer);
      });
    },
    terminate: () => worker.terminate(),
  };
}

/** The classifier of a manifest: its URL and input shape. */
async function classifierOf(manifestUrl) {
  const url = new URL(manifestUrl, location.href);
  const manifest = await (await fetch(url)).json();
  const model = manifest.models.find((m) => m.role === 'classifier');
  return { id: model.id, url: new URL(model.file, url).href, shape: model.input.shape, preprocess: model.input.preprocess, batch: model.input.batch ?? 'static' };
}

/**
 * A synthetic 16-bit mammogram-like image (ellipse on the left, seeded noise): no real images in the bench. With
 * `emptyBackground` the area outside the breast is exactly 0, as full-field "for presentation" images deliver it.
 */
function syntheticImage(width, height, seed = 1, emptyBackground = false) {
  const pixels = new Uint16Array(width * height);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    const dy = (y - height / 2) / (height * 0.45);
    for (let x = 0; x < width; x++) {
      const dx = x / (width * 0.8);
      const r = dx * dx + dy * dy;
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = ((state >>> 0) / 4294967296 - 0.5) * 0.04;
      const value = r < 1 ? 0.35 + 0.3 * (1 - r) + 0.05 * Math.sin(x * 0.03) * Math.cos(y * 0.02) + noise : emptyBackground ? 0 : 0.03 + noise;
      pixels[y * width + x] = Math.round(Math.min(1, Math.max(0, value)) * 65535);
    }
  }
  return pixels;
}

/** The same image as a model tensor for the raw side: same shape, values normalised directly. */
function tensorOf(pixels) {
  const tensor = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) tensor[i] = (pixels[i] / 65535 - 0.5) / 0.25;
  return tensor;
}

const guardOptions = (backend, manifestUrl, extra = {}) => ({ backend, manifestUrl, allowSoftwareAdapter: true, ...extra });

async function timed(work) {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

/**
 * Every start begins from the same state: terminated workers (and their runtimes' shared memories) are collected
 * first, or each repetition starts slower than the last.
 */
async function settle() {
  for (let k = 0; k < 3; k++) globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
}

window.cadguardBench = {
  /** What the figures were measured on. */
  async machine() {
    let adapter = null;
    const gpu = navigator.gpu;
    if (gpu) {
      const found = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
      if (found) {
        const info = found.info;
        adapter = { vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: Boolean(info.isFallbackAdapter ?? found.isFallbackAdapter) };
      }
    }
    return { userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated: globalThis.crossOriginIsolated === true, adapter, measureMemory: typeof performance.measureUserAgentSpecificMemory === 'function' };
  },

  /**
   * Items 1 and 2, pair by pair: check() classifier-only, a raw session.run of the same classifier on a tensor of
   * the same image and shape, and a full check(). The image is at the model's input size, so the pixel work is
   * small and the figure isolates what the SDK adds around the model (item 4 measures full-field pixels).
   */
  async overhead({ backend, manifestUrl, threads, reps, warmup, batches = false }) {
    const model = await classifierOf(manifestUrl);
    const [, , height, width] = model.shape;
    const pixels = syntheticImage(width, height, 7);
    const tensor = tensorOf(pixels);
    const guard = await createGuard(guardOptions(backend, manifestUrl, { threads }));
    const raw = rawWorker();
    try {
      const info = await guard.info();
      await raw.call('start', { backend, threads, wasmUrl: runtimeUrl, modelUrl: model.url });
      const image = () => ({ data: pixels.slice(), width, height, bitsStored: 16 });
      const sdk = async (integrity) => {
        const input = image();
        return timed(() => guard.check(input, { integrity, heatmap: false }));
      };
      const rawRun = async (n = 1) => {
        const data = new Float32Array(n * tensor.length);
        for (let k = 0; k < n; k++) data.set(tensor, k * tensor.length);
        return timed(() => raw.call('run', { data, shape: [n, 1, height, width] }, [data.buffer]));
      };
      // Batches of 2 and 3 of the same raw run: what a batch costs on this backend against one image, which is what
      // feature squeezing's extra inputs cost whether they run as a batch of their own or with the classifier's.
      const sides = batches && model.batch === 'dynamic' ? ['raw', 'off', 'full', 'raw2', 'raw3'] : ['raw', 'off', 'full'];
      const samples = [];
      for (let i = 0; i < warmup + reps; i++) {
        // Alternate the order so neither side always runs right after the other's garbage.
        const order = i % 2 ? sides : [sides[1], sides[0], ...sides.slice(2)];
        const row = {};
        for (const side of order) {
          if (side === 'raw') {
            const { ms, result } = await rawRun();
            row.raw = ms;
            row.rawInWorker = result.ms;
          } else if (side === 'raw2' || side === 'raw3') {
            row[`${side}InWorker`] = (await rawRun(Number(side.slice(3)))).result.ms;
          } else {
            const { ms, result } = await sdk(side === 'full');
            row[side] = ms;
            row[`${side}Timings`] = result.timings;
            if (side === 'full') row.signalMs = Object.fromEntries(result.integrity.signals.filter((s) => s.ms !== undefined).map((s) => [s.id, s.ms]));
            row.backend = result.backend;
          }
        }
        if (i >= warmup) samples.push(row);
      }
      return { model, info, samples };
    } finally {
      raw.terminate();
      await guard.dispose();
    }
  },

  /**
   * Item 7: the full guard on larger images. The classifier and the residual detector read a fixed-size tensor; the
   * noise signals and the content model read every display pixel, so their share grows with the image.
   */
  async signalsBySize({ backend, manifestUrl, threads, sizes, reps, warmUpChecks }) {
    const guard = await createGuard(guardOptions(backend, manifestUrl, { threads }));
    try {
      // A fresh guard's first checks run on code the browser has not optimised yet (item 8): warmed up first, the
      // few checks per size measure each signal at its steady cost.
      await guard.warmUp({ checks: warmUpChecks });
      const bySize = [];
      for (const { width, height, emptyBackground = false } of sizes) {
        const pixels = syntheticImage(width, height, 5, emptyBackground);
        const samples = [];
        for (let i = 0; i < reps + 1; i++) {
          const result = await guard.check({ data: pixels.slice(), width, height, bitsStored: 16 }, { heatmap: false });
          // The first check of a new size is a warm-up (WebAssembly memory growth, new buffer sizes).
          if (i > 0) samples.push({ classify: result.timings.classify, total: result.timings.total, signalMs: Object.fromEntries(result.integrity.signals.filter((s) => s.ms !== undefined).map((s) => [s.id, s.ms])) });
        }
        bySize.push({ width, height, emptyBackground, samples });
      }
      return { bySize };
    } finally {
      await guard.dispose();
    }
  },

  /**
   * Item 8: the first full checks of an image after createGuard(), in a guard that starts cold, one that ran
   * warmUp() first and one that ran it at the image's own size (fresh guards, in turn). The cold guard goes on to
   * `coldChecks` checks: its last ones show the steady speed the warm-up is meant to reach.
   */
  async firstCheck({ backend, manifestUrl, threads, reps, width, height, coldChecks, warmChecks }) {
    const pixels = syntheticImage(width, height, 7);
    const checks = async (guard, count) => {
      const ms = [];
      for (let i = 0; i < count; i++) ms.push((await timed(() => guard.check({ data: pixels.slice(), width, height, bitsStored: 16 }, { heatmap: false }))).ms);
      return ms;
    };
    const started = async (warm) => {
      await settle();
      const guard = await createGuard(guardOptions(backend, manifestUrl, { threads }));
      try {
        // warm: false (cold), 'default' (warmUp() at its own 512x512) or 'sized' (warmUp() at the image's size).
        const warmUp = warm ? await timed(() => guard.warmUp(warm === 'sized' ? { width, height } : {})) : null;
        return { warmUpMs: warmUp?.ms ?? null, warmUpCheckMs: warmUp?.result.checkMs ?? null, checkMs: await checks(guard, warm ? warmChecks : coldChecks) };
      } finally {
        await guard.dispose();
      }
    };
    const samples = [];
    for (let i = 0; i < reps; i++) samples.push({ cold: await started(false), warmed: await started('default'), sized: await started('sized') });
    return { samples };
  },

  /**
   * Item 3: createGuard() until ready with an empty asset cache, a raw session created in a fresh worker from the
   * same files, then createGuard() again with the cache filled by the first.
   */
  async coldStart({ backend, manifestUrl, threads, reps }) {
    const model = await classifierOf(manifestUrl);
    const samples = [];
    const sdkStart = async () => {
      const { ms, result: guard } = await timed(() => createGuard(guardOptions(backend, manifestUrl, { threads })));
      const diagnostics = await guard.diagnostics();
      await guard.dispose();
      return { ms, startup: diagnostics.startup };
    };
    const waitForCache = async () => {
      const cache = await caches.open(CACHE);
      for (let tries = 0; tries < 200; tries++) {
        const keys = (await cache.keys()).map((request) => request.url.split('?')[0]);
        if (keys.includes(runtimeUrl) && keys.includes(model.url)) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    };
    for (let i = 0; i < reps; i++) {
      await caches.delete(CACHE);
      const row = {};
      const rawStart = async () => {
        const raw = rawWorker();
        const { ms, result } = await timed(() => raw.call('start', { backend, threads, wasmUrl: runtimeUrl, modelUrl: model.url }));
        const firstRun = await raw.call('firstRun', { shape: [1, ...model.shape.slice(1)] });
        raw.terminate();
        return { ms, stages: { ...result.stages, firstRunAfterStart: firstRun.ms } };
      };
      await settle();
      if (i % 2) {
        row.raw = await rawStart();
        await settle();
        row.first = await sdkStart();
      } else {
        row.first = await sdkStart();
        await settle();
        row.raw = await rawStart();
      }
      row.cacheFilled = await waitForCache();
      await settle();
      row.second = await sdkStart();
      samples.push(row);
    }
    await caches.delete(CACHE);
    const raw = rawWorker();
    const compile = await raw.call('compileOnly', { wasmUrl: runtimeUrl });
    raw.terminate();
    return { model, samples, compile };
  },

  /**
   * Item 4: the SDK's pixel path on a full-field 16-bit image (decode with its SHA-256, VOI window, crop and
   * resize: report.timings.decode + preprocess of a classifier-only check) against a plain copy of the same buffer.
   */
  async pixels({ backend, manifestUrl, threads, reps, width, height }) {
    const base = syntheticImage(width, height, 3);
    const guard = await createGuard(guardOptions(backend, manifestUrl, { threads }));
    const raw = rawWorker();
    try {
      const samples = [];
      for (let i = 0; i < reps + 1; i++) {
        const floorInput = base.slice();
        const floors = await raw.call('floors', { pixels: floorInput }, [floorInput.buffer]);
        const input = base.slice();
        const report = await guard.check({ data: input, width, height, bitsStored: 16 }, { integrity: false, heatmap: false });
        const { decode, preprocess } = report.timings;
        if (i > 0) samples.push({ decode, preprocess, pixels: decode + preprocess, copy: floors.copyMs, sha256: floors.sha256Ms });
      }
      return { samples };
    } finally {
      raw.terminate();
      await guard.dispose();
    }
  },

  /** Item 5: memory after `marks` full checks (JS heaps and WebAssembly memory of the page and its workers). */
  async memory({ backend, manifestUrl, threads, marks, size }) {
    const pixels = syntheticImage(size, size, 5);
    const guard = await createGuard(guardOptions(backend, manifestUrl, { threads }));
    const measure = async () => {
      for (let k = 0; k < 3; k++) globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const diagnostics = await guard.diagnostics();
      let total = null;
      if (typeof performance.measureUserAgentSpecificMemory === 'function') {
        // The browser answers at its next convenient GC, which can take tens of seconds.
        const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 90_000));
        const result = await Promise.race([performance.measureUserAgentSpecificMemory().catch(() => null), timeout]);
        total = result?.bytes ?? null;
      }
      return { allBytes: total, pageHeap: performance.memory?.usedJSHeapSize ?? null, workerHeap: diagnostics.jsHeapBytes };
    };
    try {
      const results = {};
      let done = 0;
      for (const mark of marks) {
        for (; done < mark; done++) await guard.check({ data: pixels.slice(), width: size, height: size, bitsStored: 16 });
        results[mark] = await measure();
      }
      return { results, checks: done };
    } finally {
      await guard.dispose();
    }
  },
};
