// The integration examples (not part of the npm package): demo/cornerstone/ bundled with Cornerstone3D into
// dist-examples/cornerstone/. Run after the main build (`npm run build:examples`); cadguard itself stays external
// and is imported from ../../dist/index.js, as a host imports the package.
//
// One flat folder on purpose: the DICOM image loader starts its decode worker with
// `new URL('./decodeImageFrameWorker.js', import.meta.url)` from whichever chunk holds its init code, so the worker
// entry and every chunk must sit side by side. The codecs' .wasm go to codecs/, where demo/cornerstone/viewer.js
// points the loader's `wasmBasePath`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';

const out = 'dist-examples/cornerstone';
const loaderDir = dirname(createRequire(import.meta.url).resolve('@cornerstonejs/dicom-image-loader'));
// Resolved from the loader's own folder: it may pin codec versions other than cadguard's.
const fromLoader = createRequire(`${loaderDir}/index.js`);
const codecWasm = [
  '@cornerstonejs/codec-charls/decodewasm',
  '@cornerstonejs/codec-openjpeg/decodewasm',
  '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
  '@cornerstonejs/codec-openjph/wasm',
  '@cornerstonejs/codec-libjxl/decodewasm',
].map((specifier) => fromLoader.resolve(specifier));

const copyCodecs = {
  name: 'copy-codecs',
  writeBundle() {
    mkdirSync(`${out}/codecs`, { recursive: true });
    for (const file of codecWasm) copyFileSync(file, `${out}/codecs/${file.split('/').pop()}`);
  },
};

// As in rollup.config.mjs: the Emscripten codecs and dicom-parser require Node built-ins only on their Node paths.
// `events` is required by xmlbuilder2 (via vtk.js) for its streaming XML writer, which a
// viewer never calls; a bare EventEmitter class keeps the module graph loadable.
const nodeBuiltins = new Set(['fs', 'path', 'zlib', 'crypto', 'url', 'module', 'worker_threads', 'events']);
const emptyNodeBuiltins = {
  name: 'empty-node-builtins',
  resolveId: (id) => (nodeBuiltins.has(id.replace(/^node:/, '')) ? `\0empty:${id.replace(/^node:/, '')}` : null),
  load: (id) =>
    id === '\0empty:events' ? 'export class EventEmitter {}\nexport default { EventEmitter };' : id.startsWith('\0empty:') ? 'export default {};' : null,
};

export default {
  input: {
    app: 'demo/cornerstone/app.js',
    viewer: 'demo/cornerstone/viewer.js',
    decodeImageFrameWorker: `${loaderDir}/decodeImageFrameWorker.js`,
  },
  external: ['cadguard'],
  output: {
    dir: out,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    paths: { cadguard: '../../dist/index.js' },
  },
  onwarn(warning, warn) {
    // vtk.js and the loaders use `this` at module level and circular imports; neither matters to the bundle.
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return;
    warn(warning);
  },
  plugins: [emptyNodeBuiltins, resolve({ browser: true }), commonjs(), copyCodecs],
};
