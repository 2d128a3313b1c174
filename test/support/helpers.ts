// Shared test helpers: assertions, fixtures, and synthetic images (tests never use real mammograms).
import { encode } from 'fast-png';

export const fixtureManifest = '/test/fixtures/models/manifest.json';

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert(a.length === b.length, `lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Awaits a promise that must reject; returns the error for inspection. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<{ name: string; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; code: string; message: string };
  }
  throw new Error(`expected ${what} to reject, but it resolved`);
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic mammogram-like image: an elliptical "breast" against a dark background with seeded texture and
 * noise, on the left or right. Values are display levels in [0, 1].
 */
export function syntheticBreast(width: number, height: number, seed: number, side: 'left' | 'right' = 'left', noise = 0.02): Float32Array {
  const random = seededRandom(seed);
  const image = new Float32Array(width * height);
  const cx = side === 'left' ? 0 : width;
  const rx = width * 0.8;
  const ry = height * 0.45;
  const phase = random() * 6.28;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / rx;
      const dy = (y - height / 2) / ry;
      const r = dx * dx + dy * dy;
      let v = 0.03;
      if (r < 1) v = 0.35 + 0.3 * (1 - r) + 0.08 * Math.sin(x * 0.07 + phase) * Math.cos(y * 0.05);
      image[y * width + x] = Math.min(1, Math.max(0, v + (random() - 0.5) * 2 * noise));
    }
  }
  return image;
}

/**
 * What film digitisers and detectors put around the breast: the film's straight border (a step down to the unexposed
 * margin along one column) and a burnt-in label, a bright plate with dark letter strokes along rows and columns,
 * softened by the optics (3x3 box blur, twice).
 */
export function borderAndLabel(width: number, height: number): (scene: Float32Array) => void {
  return (scene) => {
    for (let y = 0; y < height; y++) for (let x = width - 40; x < width; x++) scene[y * width + x] = 0.12;
    const [left, top, plateWidth, plateHeight] = [30, 40, 96, 72];
    for (let y = top; y < top + plateHeight; y++) for (let x = left; x < left + plateWidth; x++) {
      const u = x - left;
      const v = y - top;
      // Letters "L" and "M" as 4-px strokes.
      const stroke = (u >= 12 && u < 16 && v >= 16 && v < 56) || (u >= 12 && u < 36 && v >= 52 && v < 56) ||
        ((u >= 48 && u < 52) || (u >= 76 && u < 80) || (u >= 62 && u < 66 && v < 40)) && v >= 16 && v < 56 ||
        (v >= 16 && v < 20 && u >= 48 && u < 80);
      scene[y * width + x] = stroke ? 0.15 : 0.92;
    }
    for (let pass = 0; pass < 2; pass++) {
      const copy = scene.slice();
      for (let y = top - 3; y < top + plateHeight + 3; y++) for (let x = left - 3; x < left + plateWidth + 3; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += copy[(y + dy) * width + x + dx];
        scene[y * width + x] = sum / 9;
      }
    }
  };
}

/**
 * A burnt-in label whose letters ("X", "/", "N") have diagonal strokes: a bright plate at (left, top), 120 x 64 px,
 * with dark strokes about 6 px wide, softened like {@link borderAndLabel}'s. Diagonal edges are what the noise
 * residual does not cancel.
 */
export function diagonalLabel(width: number, left: number, top: number): (scene: Float32Array) => void {
  return (scene) => {
    for (let y = top; y < top + 64; y++) for (let x = left; x < left + 120; x++) {
      const u = x - left;
      const v = y - top;
      const [a, b, c] = [u - 8, u - 48, u - 88];
      const stroke = v >= 12 && v < 52 && (
        (a >= 0 && a < 40 && (Math.abs(a - (v - 12)) < 3 || Math.abs(a - (51 - v)) < 3)) ||
        (b >= 0 && b < 40 && Math.abs(b - (51 - v)) < 3) ||
        (c >= 0 && c < 28 && Math.abs((c * 40) / 28 - (v - 12)) < 3));
      scene[y * width + x] = stroke ? 0.15 : 0.92;
    }
    for (let pass = 0; pass < 2; pass++) {
      const copy = scene.slice();
      for (let y = top - 3; y < top + 67; y++) for (let x = left - 3; x < left + 123; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += copy[(y + dy) * width + x + dx];
        scene[y * width + x] = sum / 9;
      }
    }
  };
}

/** Standard normal draws (Box-Muller) from a seeded uniform source. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(6.283185 * random());
}

/**
 * Noise-free level of the integrity tests' breast phantom at (x, y): a half-ellipse at the left edge with smooth
 * texture (`phase` varies it), 0.02 outside.
 */
export function phantomLevel(x: number, y: number, width: number, height: number, phase: number): number {
  const dx = x / (width * 0.85);
  const dy = (y - height / 2) / (height * 0.46);
  const r = dx * dx + dy * dy;
  if (r >= 1) return 0.02;
  return 0.25 + 0.4 * (1 - r) + 0.06 * Math.sin(x * 0.03 + phase) * Math.cos(y * 0.025) + 0.03 * Math.sin(x * 0.11 + y * 0.07);
}

/** Mean of the 13x13 neighbourhood of (x, y): the smooth fill a retouching tool paints over a removed lesion. */
export function neighbourhoodMean(image: Float32Array, width: number, x: number, y: number): number {
  let sum = 0;
  let n = 0;
  for (let k = -6; k <= 6; k++) for (let l = -6; l <= 6; l++) {
    sum += image[(y + k) * width + x + l];
    n++;
  }
  return sum / n;
}

export function quantise8(display: Float32Array): Uint8Array {
  return Uint8Array.from(display, (v) => Math.round(v * 255));
}

export function quantise16(display: Float32Array, bits = 16): Uint16Array {
  const max = 2 ** bits - 1;
  return Uint16Array.from(display, (v) => Math.round(v * max));
}

export function pngBytes(pixels: Uint8Array | Uint16Array, width: number, height: number): ArrayBuffer {
  const depth = pixels instanceof Uint16Array ? 16 : 8;
  const bytes = encode({ width, height, data: pixels, depth, channels: 1 });
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export async function sha256Hex(view: ArrayBufferView): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Runs a long server command (test/support/eval-command.mjs) as a job and polls it: one command must answer in 20 s. */
export async function runServerJob<T>(command: string, payload: unknown): Promise<T> {
  const { executeServerCommand } = await import('@web/test-runner-commands');
  const { id } = (await executeServerCommand<{ id: number }, unknown>('job-start', { command, payload }))!;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = (await executeServerCommand<{ done: boolean; result: T; error: string | null }, unknown>('job-status', { id }))!;
    if (status.done) {
      if (status.error) throw new Error(`${command} failed on the server: ${status.error}`);
      return status.result;
    }
  }
}

/** A simulated source's noise: level, storage depth and grain (neighbour weights of its grain filter). */
export interface Grain {
  name: string;
  noise: number;
  bits: number;
  /** Neighbour weights of the grain filter: horizontal and vertical (0 = white noise). */
  h: number;
  v: number;
}

/** Correlated grains of simulated sources (film, digitiser, FFDM), for the noise-signal tests. */
export const sourceGrains: Grain[] = [
  { name: 'film, coarse grain, 8 bit', noise: 0.02, bits: 8, h: 0.6, v: 0.6 },
  { name: 'film digitiser, anisotropic, 12 bit', noise: 0.01, bits: 12, h: 0.9, v: 0.3 },
  { name: 'FFDM, fine grain, 14 bit', noise: 0.006, bits: 14, h: 0.4, v: 0.4 },
  { name: 'FFDM, other axis, 16 bit', noise: 0.012, bits: 16, h: 0.3, v: 0.9 },
];
/** A detector whose noise is white. */
export const whiteGrain: Grain = { name: 'FFDM, white noise, 16 bit', noise: 0.01, bits: 16, h: 0, v: 0 };

/** A breast-like image whose quantum noise went through the source's grain filter (unit variance after it). */
export function acquire(width: number, height: number, seed: number, grain: Grain): Float32Array {
  const random = seededRandom(seed);
  const gauss = gaussian(random);
  const white = Float32Array.from({ length: width * height }, gauss);
  const norm = Math.sqrt(1 + 2 * grain.h * grain.h + 2 * grain.v * grain.v);
  const levels = 2 ** grain.bits - 1;
  const phase = random() * 6.28;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = phantomLevel(x, y, width, height, phase);
      const left = white[y * width + Math.max(0, x - 1)];
      const right = white[y * width + Math.min(width - 1, x + 1)];
      const up = white[Math.max(0, y - 1) * width + x];
      const down = white[Math.min(height - 1, y + 1) * width + x];
      const n = (white[i] + grain.h * (left + right) + grain.v * (up + down)) / norm;
      out[i] = Math.round(Math.min(1, Math.max(0, v + grain.noise * Math.sqrt(0.3 + v) * n)) * levels) / levels;
    }
  }
  return out;
}

/**
 * A low-resolution digitiser: tissue whose fine structure varies from patch to patch, scanned at half resolution and
 * interpolated back, then white electronic noise of `noise` and 10-bit storage. Its residual is correlated where there
 * is structure and white where the tissue is flat, in every clean image.
 */
export function lowResolutionScan(width: number, height: number, seed: number, noise: number): Float32Array {
  const random = seededRandom(seed);
  const gauss = gaussian(random);
  const phase = random() * 6.28;
  const w2 = width >> 1;
  const h2 = height >> 1;
  const white = Float32Array.from({ length: w2 * h2 }, gauss);
  const at = (x: number, y: number) => white[Math.min(h2 - 1, Math.max(0, y)) * w2 + Math.min(w2 - 1, Math.max(0, x))];
  const scan = new Float32Array(w2 * h2);
  for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) {
    let structure = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) structure += at(x + dx, y + dy);
    const patch = Math.max(0, Math.sin(x / 23 + phase) * Math.sin(y / 19));
    scan[y * w2 + x] = phantomLevel(2 * x, 2 * y, width, height, phase) + (0.02 * patch * structure) / 3;
  }
  const levels = 1023;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const sy = Math.min(h2 - 1, Math.max(0, (y - 0.5) / 2));
    const sx = Math.min(w2 - 1, Math.max(0, (x - 0.5) / 2));
    const y0 = Math.floor(sy);
    const x0 = Math.floor(sx);
    const y1 = Math.min(h2 - 1, y0 + 1);
    const x1 = Math.min(w2 - 1, x0 + 1);
    const fy = sy - y0;
    const fx = sx - x0;
    const top = (1 - fx) * scan[y0 * w2 + x0] + fx * scan[y0 * w2 + x1];
    const bottom = (1 - fx) * scan[y1 * w2 + x0] + fx * scan[y1 * w2 + x1];
    const v = (1 - fy) * top + fy * bottom;
    out[y * width + x] = Math.round(Math.min(1, Math.max(0, v + noise * Math.sqrt(0.3 + v) * gauss())) * levels) / levels;
  }
  return out;
}

/**
 * A lesion transplant as attacks/content.py makes it: a disk of `donor` (same source, another patient) pasted into
 * `target` at (cx, cy), its mean matched to the target's ring, blended over a feather of 0.4 radius.
 */
export function transplant(target: Float32Array, donor: Float32Array, width: number, cx: number, cy: number, radius: number, bits: number): Float32Array {
  const feather = 0.4 * radius;
  const reach = Math.ceil(radius + feather);
  let ringTarget = 0;
  let ringDonor = 0;
  let n = 0;
  for (let y = cy - 1.5 * radius; y <= cy + 1.5 * radius; y++) for (let x = cx - 1.5 * radius; x <= cx + 1.5 * radius; x++) {
    const d = Math.hypot(x - cx, y - cy);
    if (d <= reach || d > 1.5 * radius) continue;
    ringTarget += target[y * width + x];
    ringDonor += donor[y * width + x];
    n++;
  }
  const shift = (ringTarget - ringDonor) / n;
  const levels = 2 ** bits - 1;
  const out = target.slice();
  for (let y = cy - reach; y <= cy + reach; y++) for (let x = cx - reach; x <= cx + reach; x++) {
    const w = Math.min(1, Math.max(0, (radius + feather - Math.hypot(x - cx, y - cy)) / feather));
    const i = y * width + x;
    out[i] = Math.round(Math.min(1, Math.max(0, w * (donor[i] + shift) + (1 - w) * target[i])) * levels) / levels;
  }
  return out;
}

/**
 * The image with everything outside an ellipse through its right part set to exactly 0 (a detector's empty background):
 * the breast ends there, so a ring near that skin line lies partly off it.
 */
export function skinLine(image: Float32Array, width: number, height: number): Float32Array {
  const cut = image.slice();
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const dx = x / (width * 0.85);
    const dy = (y - height / 2) / (height * 0.46);
    if (dx * dx + dy * dy >= 1) cut[y * width + x] = 0;
  }
  return cut;
}

/** Captures the Worker objects the guard creates, so a test can kill one from outside. */
export function captureWorkers(): { workers: Worker[]; restore: () => void } {
  const Original = globalThis.Worker;
  const workers: Worker[] = [];
  globalThis.Worker = class extends Original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      workers.push(this);
    }
  } as typeof Worker;
  return { workers, restore: () => (globalThis.Worker = Original) };
}
