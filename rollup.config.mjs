// Two entries (the main-thread door and the worker) built from one table. onnxruntime-web stays a separate,
// untouched file: its WASM threads re-import their own module as worker script, so it must not be merged.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';

const ortDist = 'node_modules/onnxruntime-web/dist';
const ortModule = 'ort.webgpu.bundle.min.mjs';
const copies = [
  [`${ortDist}/${ortModule}`, `dist/${ortModule}`],
  [`${ortDist}/ort-wasm-simd-threaded.asyncify.wasm`, 'dist/ort-wasm-simd-threaded.asyncify.wasm'],
  [`${ortDist}/ort-wasm-simd-threaded.asyncify.mjs`, 'dist/ort-wasm-simd-threaded.asyncify.mjs'],
  ...readdirSync('models')
    .filter((file) => file.endsWith('.onnx') || file.endsWith('.json') || file.endsWith('.md'))
    .map((file) => [`models/${file}`, `dist/models/${file}`]),
  // The DICOM codecs' WebAssembly, fetched lazily by src/input/dicom/codecs.ts from dist/codecs/.
  ...[
    'codec-openjpeg/dist/openjpegwasm_decode.wasm',
    'codec-charls/dist/charlswasm_decode.wasm',
    'codec-libjpeg-turbo-8bit/dist/libjpegturbowasm_decode.wasm',
    'codec-openjph/dist/openjphjs.wasm',
  ].map((file) => [`node_modules/@cornerstonejs/${file}`, `dist/codecs/${file.split('/').pop()}`]),
];

const copyAssets = {
  name: 'copy-assets',
  writeBundle() {
    mkdirSync('dist/models', { recursive: true });
    mkdirSync('dist/codecs', { recursive: true });
    for (const [from, to] of copies) copyFileSync(from, to);
  },
};

// dicom-parser and the Emscripten codecs require Node built-ins only on their Node paths; in the browser build
// those requires resolve to an empty module.
const nodeBuiltins = new Set(['fs', 'path', 'zlib']);
const emptyNodeBuiltins = {
  name: 'empty-node-builtins',
  resolveId: (id) => (nodeBuiltins.has(id) ? `\0empty:${id}` : null),
  load: (id) => (id.startsWith('\0empty:') ? 'export default {};' : null),
};

const entries = [
  { input: 'src/index.ts', file: 'index' },
  { input: 'src/worker/worker.ts', file: 'worker' },
];

const sdk = {
  input: Object.fromEntries(entries.map(({ input, file }) => [file, input])),
  external: ['onnxruntime-web/webgpu'],
  output: {
    dir: 'dist',
    format: 'es',
    sourcemap: true,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    paths: { 'onnxruntime-web/webgpu': `./${ortModule}` },
  },
  plugins: [emptyNodeBuiltins, resolve({ browser: true }), commonjs(), typescript({ tsconfig: './tsconfig.json' }), copyAssets],
};

// The conformance suite vendors run against their build: it talks to the SDK through its public door only, so the
// door stays external and the suite loads the very dist/index.js it is judging.
const isPublicDoor = (id) => /[\\/]src[\\/]index\.(js|ts)$/.test(id) || id === '../src/index.js';
const conformance = {
  input: { conformance: 'conformance/suite.ts' },
  external: isPublicDoor,
  output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', paths: (id) => (isPublicDoor(id) ? './index.js' : id) },
  plugins: [resolve({ browser: true }), commonjs(), typescript({ tsconfig: './conformance/tsconfig.json' })],
};

export default [sdk, conformance];
