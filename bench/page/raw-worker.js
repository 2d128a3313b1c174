// The raw side of the bench: onnxruntime-web as a host would use it without cadguard, in a module worker, loaded
// from the very file the SDK's worker imports (/dist/ort.webgpu.bundle.min.mjs) and configured the same way (the
// runtime's WASM fetched and handed over as wasmBinary, same thread count). Also the floors the pixel path is
// compared with (a plain copy, a SHA-256). Plain postMessage: {id, method, args} -> {id, result | error}.
let ort = null;
let session = null;

const methods = {
  /** Cold start: import the runtime, fetch its WASM and the model, create the session. Milliseconds per stage. */
  async start({ backend, threads, wasmUrl, modelUrl }) {
    const stages = {};
    let mark = performance.now();
    const stage = (name) => {
      const now = performance.now();
      stages[name] = now - mark;
      mark = now;
    };
    ort = await import('/dist/ort.webgpu.bundle.min.mjs');
    stage('import');
    ort.env.logLevel = 'error';
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? threads : 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { wasm: wasmUrl };
    ort.env.wasm.wasmBinary = new Uint8Array(await (await fetch(wasmUrl)).arrayBuffer());
    stage('runtimeFetch');
    const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
    stage('modelFetch');
    session = await ort.InferenceSession.create(model, { executionProviders: [backend], graphOptimizationLevel: 'all' });
    stage('session');
    return { stages, inputName: session.inputNames[0] };
  },

  /**
   * The first run of a fresh session on `shape`: kernels and shaders warm up here. Not part of the raw start; the
   * profile sets it beside the SDK's start, whose validation run is such a first run.
   */
  async firstRun({ shape }) {
    const size = shape.reduce((a, b) => a * b, 1);
    const started = performance.now();
    const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(size).fill(0.5), shape) });
    for (const tensor of Object.values(results)) tensor.dispose();
    return { ms: performance.now() - started };
  },

  /** One run on `data` with `shape`; the in-worker time of session.run alone. */
  async run({ data, shape }) {
    const feed = new ort.Tensor('float32', data, shape);
    const started = performance.now();
    const results = await session.run({ [session.inputNames[0]]: feed });
    const ms = performance.now() - started;
    for (const tensor of Object.values(results)) tensor.dispose();
    return { ms };
  },

  /** Compiling the runtime's WASM alone (no instantiation): part of the cold-start profile. */
  async compileOnly({ wasmUrl }) {
    const bytes = await (await fetch(wasmUrl)).arrayBuffer();
    const started = performance.now();
    await WebAssembly.compile(bytes);
    return { ms: performance.now() - started, bytes: bytes.byteLength };
  },

  /** The memory-bandwidth floor: a plain copy of the stored pixels, and a SHA-256 of them (the SDK hashes every image). */
  async floors({ pixels }) {
    let started = performance.now();
    const copy = new Uint16Array(pixels.buffer).slice();
    const copyMs = performance.now() - started;
    started = performance.now();
    await crypto.subtle.digest('SHA-256', copy);
    return { copyMs, sha256Ms: performance.now() - started };
  },

  async dispose() {
    await session?.release();
    session = null;
    return {};
  },
};

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    self.postMessage({ id, result: await methods[method](args) });
  } catch (error) {
    self.postMessage({ id, error: String(error?.stack ?? error) });
  }
};
