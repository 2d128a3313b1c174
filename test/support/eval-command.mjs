// A test-runner plugin with one server command, `cadguard-eval`: it writes a small synthetic folder (8- and 16-bit
// PNGs, a tampered copy of one, a labels CSV given by the test), runs the cadguard-eval CLI on it as a child
// process, and answers its exit code, stderr and results.json. The folder is removed afterwards.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(root, 'bin', 'cadguard-eval.mjs');
const calibrateCli = join(root, 'bin', 'cadguard-calibrate.mjs');
const conformanceCli = join(root, 'bin', 'cadguard-conformance.mjs');

/** Deterministic pseudo-random numbers (mulberry32), as in helpers.ts. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mammogram-like ellipse with seeded texture and noise; display values in [0, 1] (as helpers.ts draws it). */
function syntheticBreast(width, height, seed, side = 'left') {
  const random = seededRandom(seed);
  const image = new Float32Array(width * height);
  const cx = side === 'left' ? 0 : width;
  const phase = random() * 6.28;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / (width * 0.8);
      const dy = (y - height / 2) / (height * 0.45);
      const r = dx * dx + dy * dy;
      const v = r < 1 ? 0.35 + 0.3 * (1 - r) + 0.08 * Math.sin(x * 0.07 + phase) * Math.cos(y * 0.05) : 0.03;
      image[y * width + x] = Math.min(1, Math.max(0, v + (random() - 0.5) * 0.04));
    }
  }
  return image;
}

/** A bright disc pasted in: a crude inserted "lesion", enough to change pixels the way a manipulation would. */
function withInsertedDisc(display, width, height) {
  const out = display.slice();
  const cx = Math.round(width * 0.3);
  const cy = Math.round(height * 0.5);
  const radius = Math.round(Math.min(width, height) * 0.12);
  for (let y = cy - radius; y <= cy + radius; y++) {
    for (let x = cx - radius; x <= cx + radius; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) out[y * width + x] = 0.95;
    }
  }
  return out;
}

function png(display, width, height, depth) {
  const max = 2 ** depth - 1;
  const data = depth === 16 ? Uint16Array.from(display, (v) => Math.round(v * max)) : Uint8Array.from(display, (v) => Math.round(v * max));
  return encode({ width, height, data, depth, channels: 1 });
}

/** The synthetic folder every run gets: file name -> PNG bytes. */
function syntheticImages() {
  const width = 96;
  const height = 80;
  const images = {};
  const cases = [
    ['normal-a.png', 1, 'left', 8],
    ['normal-b.png', 2, 'right', 16],
    ['benign-a.png', 3, 'left', 16],
    ['malignant-a.png', 4, 'right', 8],
    ['unknown-a.png', 5, 'left', 8],
  ];
  for (const [name, seed, side, depth] of cases) {
    const display = syntheticBreast(width, height, seed, side);
    images[name] = png(display, width, height, depth);
    if (name === 'normal-a.png') images['tampered/normal-a-disc.png'] = png(withInsertedDisc(display, width, height), width, height, depth);
    if (name === 'malignant-a.png') images['tampered/malignant-a-disc.png'] = png(withInsertedDisc(display, width, height), width, height, depth);
  }
  images['not-an-image.png'] = new TextEncoder().encode('this is not a PNG');
  return images;
}

function run(args, script = cli) {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [script, ...args], { cwd: root, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolveRun({ exitCode: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * Payload: `{ csv, args? }`. `csv` is written as labels.csv; `args` are extra CLI options (defaults: the fixture
 * manifest and `--backend wasm`; a later option wins). Answers `{ exitCode, stdout, stderr, results, outExists,
 * leftovers }` where `leftovers` lists files in the output folder other than results.json (temp files).
 */
export async function runEval({ csv, args = [] }) {
  const folder = mkdtempSync(join(tmpdir(), 'cadguard-eval-test-'));
  try {
    const images = join(folder, 'images');
    for (const [name, bytes] of Object.entries(syntheticImages())) {
      mkdirSync(join(images, name, '..'), { recursive: true });
      writeFileSync(join(images, name), bytes);
    }
    const labels = join(folder, 'labels.csv');
    writeFileSync(labels, csv);
    const outDir = join(folder, 'out');
    const out = join(outDir, 'results.json');
    const result = await run(['--images', images, '--labels', labels, '--out', out, '--manifest', '/test/fixtures/models/manifest.json', '--backend', 'wasm', ...args]);
    const outExists = existsSync(out);
    return {
      ...result,
      outExists,
      results: outExists ? JSON.parse(readFileSync(out, 'utf8')) : null,
      leftovers: existsSync(outDir) ? readdirSync(outDir).filter((name) => name !== 'results.json') : [],
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Clean synthetic images of several simulated sources (noise level, bit depth, size), for calibration. */
function cleanSources(count) {
  const images = {};
  for (let i = 0; i < count; i++) {
    // Mammogram-sized enough for the noise statistic's tiles (it needs a few hundred); small images are not its domain.
    const width = 288 + (i % 3) * 32;
    const height = 352;
    const random = seededRandom(1000 + i);
    const noise = [0.004, 0.01, 0.02][i % 3];
    const display = syntheticBreast(width, height, 50 + i, i % 2 ? 'left' : 'right').map((v) => Math.min(1, Math.max(0, v + noise * (random() - 0.5))));
    images[`clean-${String(i).padStart(2, '0')}.png`] = png(display, width, height, i % 2 ? 16 : 8);
  }
  return images;
}

/** Images of the same kind as cleanSources (other seeds) with a pasted disc: a manipulation with the wrong noise. */
function tamperedSources(count) {
  const images = {};
  for (let i = 0; i < count; i++) {
    const width = 288 + (i % 3) * 32;
    const height = 352;
    const random = seededRandom(2000 + i);
    const noise = [0.004, 0.01, 0.02][i % 3];
    const display = syntheticBreast(width, height, 500 + i, i % 2 ? 'left' : 'right').map((v) => Math.min(1, Math.max(0, v + noise * (random() - 0.5))));
    images[`tampered/disc-${i}.png`] = png(withInsertedDisc(display, width, height), width, height, i % 2 ? 16 : 8);
  }
  return images;
}

/**
 * Payload: `{ count, args? }`: writes `count` clean images, runs cadguard-calibrate on them with the fixture manifest,
 * then (when it succeeded) cadguard-eval with the calibrated manifest over those clean images plus the tampered ones.
 * Answers `{ calibrate: {exitCode, stderr}, manifest, copiedModel, eval: {exitCode, stderr, results} | null }`.
 */
export async function runCalibrate({ count, args = [] }) {
  const folder = mkdtempSync(join(tmpdir(), 'cadguard-calibrate-test-'));
  try {
    const clean = join(folder, 'clean');
    mkdirSync(clean);
    for (const [name, bytes] of Object.entries(cleanSources(count))) writeFileSync(join(clean, name), bytes);
    const out = join(folder, 'calibrated', 'manifest.json');
    const calibrate = await run(['--images', clean, '--out', out, '--manifest', '/test/fixtures/models/manifest.json', '--backend', 'wasm', ...args], calibrateCli);
    if (!existsSync(out)) return { calibrate, manifest: null, copiedModel: false, eval: null };
    const manifest = JSON.parse(readFileSync(out, 'utf8'));
    const all = join(folder, 'all');
    mkdirSync(join(all, 'tampered'), { recursive: true });
    const rows = ['file,label,tampered,source'];
    for (const name of readdirSync(clean)) {
      writeFileSync(join(all, name), readFileSync(join(clean, name)));
      rows.push(`${name},unknown,0,`);
    }
    for (const [name, bytes] of Object.entries(tamperedSources(4))) {
      writeFileSync(join(all, name), bytes);
      rows.push(`${name},unknown,1,`);
    }
    writeFileSync(join(folder, 'labels.csv'), `${rows.join('\n')}\n`);
    const results = join(folder, 'results.json');
    const evaluation = await run(['--images', all, '--labels', join(folder, 'labels.csv'), '--out', results, '--manifest', out, '--backend', 'wasm']);
    return {
      calibrate,
      manifest,
      copiedModel: existsSync(join(folder, 'calibrated', 'tiny-classifier.onnx')),
      eval: { ...evaluation, results: existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')) : null },
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Payload: `{ manifest }`: calibrates `manifest` (a path under the package root) on clean synthetic images, then runs
 * cadguard-conformance against the calibrated copy. Answers `{ calibrate, conformance: {exitCode, stderr, report,
 * markdown} }`.
 */
export async function runConformance({ manifest }) {
  const folder = mkdtempSync(join(tmpdir(), 'cadguard-conformance-test-'));
  try {
    const clean = join(folder, 'clean');
    mkdirSync(clean);
    for (const [name, bytes] of Object.entries(cleanSources(24))) writeFileSync(join(clean, name), bytes);
    const calibrated = join(folder, 'calibrated', 'manifest.json');
    const calibrate = await run(['--images', clean, '--out', calibrated, '--manifest', manifest, '--backend', 'wasm'], calibrateCli);
    const out = join(folder, 'report');
    const conformance = await run(['--out', out, '--manifest', calibrated, '--backend', 'wasm'], conformanceCli);
    const read = (name) => (existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : null);
    return { calibrate, conformance: { ...conformance, report: JSON.parse(read('conformance.json') ?? 'null'), markdown: read('conformance.md') } };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

// The runner answers a server command within 20 s; longer runs start as jobs that the test polls.
const jobs = new Map();
let nextJob = 1;

/** The plugin for web-test-runner.config.mjs. */
export function evalCommandPlugin() {
  return {
    name: 'cadguard-eval-command',
    async executeCommand({ command, payload }) {
      if (command === 'job-start') {
        const id = nextJob++;
        const job = { done: false, result: null, error: null };
        jobs.set(id, job);
        const runner = { 'cadguard-conformance': runConformance, 'cadguard-calibrate': runCalibrate, 'cadguard-eval': runEval }[payload.command];
        Promise.resolve(runner ? runner(payload.payload) : Promise.reject(new Error(`unknown job ${payload.command}`))).then(
          (result) => Object.assign(job, { done: true, result }),
          (error) => Object.assign(job, { done: true, error: String(error?.stack ?? error) }),
        );
        return { id };
      }
      if (command === 'job-status') {
        const job = jobs.get(payload.id);
        if (job?.done) jobs.delete(payload.id);
        return job ?? { done: true, result: null, error: `no job ${payload.id}` };
      }
      if (command === 'cadguard-eval') return runEval(payload);
      if (command === 'cadguard-calibrate') return runCalibrate(payload);
      if (command === 'cadguard-conformance') return runConformance(payload);
      return undefined;
    },
  };
}
