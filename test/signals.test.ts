// Unit tests of the integrity signals on synthetic images from several simulated "sources": a signal that flags
// an unfamiliar scanner's clean images is useless, so every clean variant must stay below every tampered one.
import { median3x3, reduceBitDepth, squeezeDisagreement } from '../src/detect/feature-squeeze.js';
import { fuseIntegrity } from '../src/detect/integrity.js';
import { noiseConsistency, quantisationStep } from '../src/detect/noise-consistency.js';
import { integrityStatus, SIGNAL_METHODS } from '../src/detect/signal-definitions.js';
import type { Manifest } from '../src/engine/manifest.js';
import { breastMask } from '../src/image/preprocess.js';
import { displayValues, windowFunction, type DisplayImage } from '../src/image/voi.js';
import { assert, borderAndLabel, diagonalLabel, gaussian, neighbourhoodMean, phantomLevel, seededRandom } from './support/helpers.js';

interface Source {
  name: string;
  noise: number;
  bits: number;
  gamma: number;
  blur: boolean;
}

const sources: Source[] = [
  { name: 'film, coarse grain, 8 bit', noise: 0.02, bits: 8, gamma: 1, blur: false },
  { name: 'FFDM vendor A, 12 bit, low noise', noise: 0.004, bits: 12, gamma: 1, blur: false },
  { name: 'FFDM vendor B, 14 bit, processed', noise: 0.008, bits: 14, gamma: 0.7, blur: true },
  { name: 'FFDM vendor C, 16 bit, high noise', noise: 0.012, bits: 16, gamma: 1.3, blur: false },
  { name: 'film, fine grain, 10 bit', noise: 0.006, bits: 10, gamma: 1.1, blur: true },
];

/** Smooth, low-noise sources, where an edge the noise residual does not cancel stands out most. */
const smoothSources: Source[] = [
  { name: 'FFDM, 12 bit, smooth, very low noise', noise: 0.002, bits: 12, gamma: 0.9, blur: true },
  { name: 'digitiser, 10 bit, low noise', noise: 0.004, bits: 10, gamma: 1, blur: true },
  sources[1],
];

/**
 * A breast-like image with signal-dependent noise as one acquisition chain makes it; `decorate` may change the
 * noiseless scene first (a label, a film border).
 */
function acquire(width: number, height: number, seed: number, source: Source, decorate?: (scene: Float32Array) => void): Float32Array {
  const random = seededRandom(seed);
  const gauss = gaussian(random);
  const clean = new Float32Array(width * height);
  const phase = random() * 6.28;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) clean[y * width + x] = phantomLevel(x, y, width, height, phase);
  decorate?.(clean);
  const out = new Float32Array(width * height);
  const levels = 2 ** source.bits - 1;
  for (let i = 0; i < out.length; i++) {
    // Quantum noise grows with the signal, as in film and detectors.
    const v = clean[i] + source.noise * Math.sqrt(0.3 + clean[i]) * gauss();
    out[i] = Math.round(Math.min(1, Math.max(0, v)) ** source.gamma * levels) / levels;
  }
  if (!source.blur) return out;
  const blurred = out.slice();
  for (let y = 1; y < height - 1; y++) for (let x = 1; x < width - 1; x++) {
    const i = y * width + x;
    blurred[i] = 0.5 * out[i] + 0.125 * (out[i - 1] + out[i + 1] + out[i - width] + out[i + width]);
  }
  return blurred;
}

/** Inpainting-like removal: a disk replaced by a smooth fill (no noise), as a lesion-removal tool leaves it. */
function inpaint(image: Float32Array, width: number, cx: number, cy: number, radius: number): Float32Array {
  const out = image.slice();
  for (let y = cy - radius; y <= cy + radius; y++) for (let x = cx - radius; x <= cx + radius; x++) {
    if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) out[y * width + x] = neighbourhoodMean(image, width, x, y);
  }
  return out;
}

/** Splice: a disk pasted from another acquisition chain (different noise level). */
function splice(image: Float32Array, donor: Float32Array, width: number, cx: number, cy: number, radius: number): Float32Array {
  const out = image.slice();
  for (let y = cy - radius; y <= cy + radius; y++) for (let x = cx - radius; x <= cx + radius; x++) {
    if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) out[y * width + x] = donor[y * width + x];
  }
  return out;
}

/**
 * Noise consistency of each clean image and of the same image with a disk of radius 40 at (cx, cy) inpainted: the
 * largest clean value, the smallest inpainted one, and a line per image for the failure message.
 */
function cleanAndInpainted(cases: { name: string; image: Float32Array }[], width: number, height: number, cx: number, cy: number) {
  let worstClean = 0;
  let weakestTampered = Infinity;
  const lines = cases.map(({ name, image }) => {
    const clean = noiseConsistency(image, width, height).value;
    const removed = noiseConsistency(inpaint(image, width, cx, cy, 40), width, height).value;
    worstClean = Math.max(worstClean, clean);
    weakestTampered = Math.min(weakestTampered, removed);
    return `${name}: clean ${clean.toFixed(2)}, inpainted ${removed.toFixed(2)}`;
  });
  return { worstClean, weakestTampered, lines };
}

describe('integrity signals', () => {
  it('noise consistency passes clean images of five simulated sources and flags inpainting and splicing in each', () => {
    const width = 512;
    const height = 640;
    let worstClean = 0;
    let weakestTampered = Infinity;
    const lines: string[] = [];
    sources.forEach((source, s) => {
      for (let seed = 0; seed < 3; seed++) {
        const image = acquire(width, height, 100 * s + seed, source);
        const clean = noiseConsistency(image, width, height).value;
        const removed = noiseConsistency(inpaint(image, width, 180, 300 + seed * 20, 40), width, height).value;
        const other = sources[(s + 2) % sources.length];
        const donor = acquire(width, height, 999 + seed, { ...other, noise: other.noise * 3 });
        const spliced = noiseConsistency(splice(image, donor, width, 200, 320, 45), width, height).value;
        worstClean = Math.max(worstClean, clean);
        weakestTampered = Math.min(weakestTampered, removed, spliced);
        lines.push(`${source.name} #${seed}: clean ${clean.toFixed(2)}, inpainted ${removed.toFixed(2)}, spliced ${spliced.toFixed(2)}`);
      }
    });
    assert(worstClean < weakestTampered, `clean and tampered overlap:\n${lines.join('\n')}`);
  });

  it('noise consistency passes a film border and a burnt-in label on smooth, low-noise sources and still flags inpainting', () => {
    const width = 512;
    const height = 640;
    const { worstClean, weakestTampered, lines } = cleanAndInpainted(
      smoothSources.map((source, s) => ({ name: source.name, image: acquire(width, height, 500 + s, source, borderAndLabel(width, height)) })),
      width, height, 260, 340,
    );
    // A 4-neighbour Laplacian read the letters and the border as noise: 16-29 on these clean images, above inpainting.
    assert(worstClean < 6 && worstClean < weakestTampered, `border and label:\n${lines.join('\n')}`);
  });

  it('noise consistency with the breast mask passes a label with diagonal letters beside the breast and still flags inpainting', () => {
    const width = 512;
    const height = 640;
    const lines: string[] = [];
    let worstClean = 0;
    let worstUnmasked = 0;
    let weakestTampered = Infinity;
    smoothSources.forEach((source, s) => {
      // The label lies in the background at the bottom right, off the phantom's breast.
      const image = acquire(width, height, 500 + s, source, diagonalLabel(width, 370, 550));
      const masked = (pixels: Float32Array) => noiseConsistency(pixels, width, height, breastMask({ width, height, values: pixels, table: null })).value;
      const clean = masked(image);
      const unmasked = noiseConsistency(image, width, height).value;
      const removed = masked(inpaint(image, width, 260, 340, 40));
      worstClean = Math.max(worstClean, clean);
      worstUnmasked = Math.max(worstUnmasked, unmasked);
      weakestTampered = Math.min(weakestTampered, removed);
      lines.push(`${source.name}: clean ${clean.toFixed(2)} (without the mask ${unmasked.toFixed(2)}), inpainted ${removed.toFixed(2)}`);
    });
    // Without the mask the letters read as noise (8.6-13.7 here; the bundled calibration flags about 10.4 and more).
    assert(worstUnmasked > 6 && worstClean < 6 && worstClean < weakestTampered, `diagonal label:\n${lines.join('\n')}`);
  });

  it('noise consistency reads the same quantisation step off a display table as off the display values', () => {
    const random = seededRandom(44);
    const cases: { name: string; bits: number; fn: (v: number) => number; pixels: number }[] = [
      { name: '8-bit full range', bits: 8, fn: (v) => v / 255, pixels: 700 * 900 },
      { name: '12-bit window clipping both ends', bits: 12, fn: windowFunction(2000, 1500), pixels: 1024 * 1024 },
      { name: '16-bit sigmoid, inverted (MONOCHROME1)', bits: 16, fn: (v) => 1 - windowFunction(30000, 20000, 'SIGMOID')(v), pixels: 1500 * 1700 },
      { name: '14-bit with few levels used', bits: 14, fn: (v) => v / 16383, pixels: 300 * 400 },
    ];
    for (const { name, bits, fn, pixels } of cases) {
      const table = Float32Array.from({ length: 2 ** bits }, (_, v) => fn(v));
      const values = bits === 8 ? new Uint8Array(pixels) : new Uint16Array(pixels);
      // Smooth levels plus noise, a few hundred levels wide where the table has few in use.
      const span = name.includes('few') ? 300 : 2 ** bits;
      for (let i = 0; i < pixels; i++) values[i] = Math.min(2 ** bits - 1, Math.floor(span * (0.5 + 0.4 * Math.sin(i / 5000)) + 20 * random()));
      const display: DisplayImage = { width: pixels, height: 1, values, table };
      const fromTable = quantisationStep(display);
      const fromValues = quantisationStep(displayValues(display));
      assert(fromTable === fromValues && fromTable > 0, `${name}: step ${fromTable} off the table, ${fromValues} off the values`);
    }
  });

  it('noise consistency catches a region whose intensity no other tile shares (it cannot define its own normal)', () => {
    const width = 384;
    const height = 448;
    const image = acquire(width, height, 21, sources[1]);
    const clean = noiseConsistency(image, width, height).value;
    const painted = image.slice();
    for (let y = 180; y < 260; y++) for (let x = 60; x < 140; x++) painted[y * width + x] = 0.93;
    const value = noiseConsistency(painted, width, height).value;
    assert(value > 3 * clean && value > 8, `clean ${clean.toFixed(2)}, flat unique-intensity patch ${value.toFixed(2)}`);
  });

  it('noise consistency passes clean images whose background is exactly 0 and still flags inpainting in them', () => {
    const width = 512;
    const height = 640;
    const { worstClean, weakestTampered, lines } = cleanAndInpainted(
      sources.map((source, s) => ({
        name: source.name,
        // Outside the breast (the phantom's 0.02 level) a detector delivers nothing: exact zeros, no noise.
        image: acquire(width, height, 300 + s, source).map((v, i) => (phantomLevel(i % width, Math.floor(i / width), width, height, 0) <= 0.02 ? 0 : v)),
      })),
      width, height, 180, 320,
    );
    // Before clipped pixels were left out, the breast-edge tiles read as far too smooth: 40-75 on such images.
    assert(worstClean < 6 && worstClean < weakestTampered, `empty background:\n${lines.join('\n')}`);
  });

  it('noise consistency on a full-field image (tiles read at every second pixel) passes clean images and flags inpainting', () => {
    // 3328 x 4096: 64-px tiles, read at every second residual each way (32 x 32 per tile): clean 1.8 and 5.5,
    // inpainted (radius 40) 17.6 and 26.2 here. On ten such images of the five sources (Node), sampled: clean 1.8-5.2,
    // inpainted 17.7-29.2; every residual read: clean 1.7-8.3, inpainted 22.7-45.4.
    const width = 3328;
    const height = 4096;
    const { worstClean, weakestTampered, lines } = cleanAndInpainted(
      [sources[0], sources[3]].map((source, s) => ({ name: source.name, image: acquire(width, height, 700 + s, source) })),
      width, height, 1400, 2400,
    );
    assert(worstClean < 7 && weakestTampered > 2 * worstClean, `full-field:\n${lines.join('\n')}`);
  });

  it('the noise statistic does not grow with the global noise level (a noisier scanner is not a forgery)', () => {
    const width = 384;
    const height = 480;
    const values = [0.003, 0.01, 0.03].map((noise) => noiseConsistency(acquire(width, height, 7, { name: 'x', noise, bits: 16, gamma: 1, blur: false }), width, height).value);
    const spread = Math.max(...values) - Math.min(...values);
    assert(spread < 1.5, `statistic across noise levels: ${values.map((v) => v.toFixed(2)).join(', ')}`);
  });

  it('median3x3 equals a brute-force median and bit-depth reduction keeps 32 levels', () => {
    const random = seededRandom(3);
    const width = 17;
    const height = 11;
    const source = Float32Array.from({ length: width * height }, () => random());
    const out = new Float32Array(source.length);
    median3x3(source, width, height, out);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const window: number[] = [];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        window.push(source[Math.min(height - 1, Math.max(0, y + dy)) * width + Math.min(width - 1, Math.max(0, x + dx))]);
      }
      window.sort((a, b) => a - b);
      assert(out[y * width + x] === window[4], `median at ${x},${y}`);
    }
    const reduced = new Float32Array(source.length);
    reduceBitDepth(source, reduced, 5);
    assert(new Set(reduced).size <= 32, 'at most 32 levels');
    assert(squeezeDisagreement(0.7, [0.65, 0.2]) === 0.7 - 0.2, 'largest score change');
  });

  it('fusion: pass below the thresholds, suspicious and tampered above, fail closed when a signal is missing', () => {
    const calibration = { signals: { noise: { center: 2, scale: 0.5 }, squeeze: { center: 0.01, scale: 0.01 } }, thresholds: { suspicious: 4, tampered: 6 } };
    const signal = (id: string, value: number | null) => ({ id, value, flagged: false, detail: id });
    assert(fuseIntegrity([signal('noise', 2.5), signal('squeeze', 0.02)], calibration).verdict === 'pass', 'pass');
    const suspicious = fuseIntegrity([signal('noise', 4.2), signal('squeeze', 0.02)], calibration);
    assert(suspicious.verdict === 'suspicious' && Math.abs(suspicious.score - 4.4) < 1e-9, `suspicious ${suspicious.score}`);
    assert(suspicious.signals.find((s) => s.id === 'noise')!.flagged, 'the responsible signal is flagged');
    assert(fuseIntegrity([signal('noise', 2), signal('squeeze', 0.08)], calibration).verdict === 'tampered', 'tampered');
    assert(fuseIntegrity([signal('noise', 2)], calibration).verdict === 'suspicious', 'a missing signal fails closed');
    assert(fuseIntegrity([signal('noise', null), signal('squeeze', 0)], calibration).verdict === 'suspicious', 'an uncomputed signal fails closed');
    const provenance = { id: 'provenance', value: 1, flagged: true, detail: 'mismatch' };
    assert(fuseIntegrity([signal('noise', 2), signal('squeeze', 0), provenance], calibration).verdict === 'tampered', 'provenance overrides');
    assert(fuseIntegrity([signal('noise', 2)], null).verdict === 'suspicious', 'no calibration fails closed');
  });

  it('fusion: a signal calibrated for another definition (older SDK method, other model) fails closed', () => {
    const calibration = {
      signals: { texture: { center: 1, scale: 0.5, definition: 'noise-texture-v1' }, squeeze: { center: 0.01, scale: 0.01, definition: 'squeeze-v1+aaaa' } },
      thresholds: { suspicious: 4, tampered: 6 },
    };
    const signal = (id: string, value: number, definition: string) => ({ id, value, flagged: false, detail: id, definition });
    const current = [signal('texture', 1, 'noise-texture-v1'), signal('squeeze', 0.01, 'squeeze-v1+aaaa')];
    assert(fuseIntegrity(current, calibration).verdict === 'pass', 'same definitions: pass');
    const upgraded = fuseIntegrity([signal('texture', 1, 'noise-texture-v2'), signal('squeeze', 0.01, 'squeeze-v1+aaaa')], calibration);
    const texture = upgraded.signals.find((s) => s.id === 'texture')!;
    assert(upgraded.verdict === 'suspicious' && texture.flagged, `new method: ${upgraded.verdict}`);
    assert(/noise-texture-v1.*noise-texture-v2.*cadguard-calibrate/.test(texture.detail), texture.detail);
    const otherModel = fuseIntegrity([signal('texture', 1, 'noise-texture-v1'), signal('squeeze', 0.01, 'squeeze-v1+bbbb')], calibration);
    assert(otherModel.verdict === 'suspicious', 'another classifier: its squeezing is not calibrated');
    const unrecorded = { ...calibration, signals: { texture: { center: 1, scale: 0.5 } } };
    assert(fuseIntegrity([signal('texture', 1, 'noise-texture-v2')], unrecorded).verdict === 'suspicious', 'no recorded definition');
  });

  it('start-up status: names a stale signal and a calibrated signal this guard cannot compute', () => {
    const classifier = { role: 'classifier', sha256: 'ab'.repeat(32) };
    const scale = { center: 1, scale: 0.5 };
    const manifest = {
      models: [classifier],
      integrity: {
        signals: { squeeze: { ...scale, definition: `squeeze-v1+${'ab'.repeat(8)}` }, texture: { ...scale, definition: 'noise-texture-v1' }, content: { ...scale, definition: 'content-v1+00' } },
        thresholds: { suspicious: 3, tampered: 4 },
      },
    } as unknown as Manifest;
    const status = integrityStatus(manifest);
    assert(!status.ready && status.problems.length === 2, JSON.stringify(status.problems));
    assert(new RegExp(`texture .*noise-texture-v1.*${SIGNAL_METHODS.texture}.*recalibrate`).test(status.problems[0]) && /content .*does not compute/.test(status.problems[1]), status.problems.join(' | '));
    const fresh = { ...manifest, integrity: { ...manifest.integrity!, signals: { squeeze: manifest.integrity!.signals.squeeze, texture: { ...scale, definition: SIGNAL_METHODS.texture } } } } as Manifest;
    assert(integrityStatus(fresh).ready, JSON.stringify(integrityStatus(fresh).problems));
  });
});
