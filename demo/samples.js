// Sample images: synthetic ones made here in code (no real mammogram ships with the package), plus the files of a
// folder the demo server was pointed at (`npm start -- --samples DIR`), which stay on that machine.
import { seededRandom } from './attacks.js';

/**
 * A synthetic breast-like image: an elliptical breast against a dark background with seeded texture and noise,
 * stored as 12-bit values in a Uint16Array. With `mass`, a bright lobulated blob sits in the upper half.
 */
export function syntheticMammogram({ seed = 1, side = 'left', width = 768, height = 960, mass = false } = {}) {
  const random = seededRandom(seed);
  const data = new Uint16Array(width * height);
  const cx = side === 'left' ? 0 : width;
  const phase = random() * 6.28;
  const massX = side === 'left' ? width * 0.32 : width * 0.68;
  const massY = height * 0.4;
  const massRadius = Math.min(width, height) * 0.05;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / (width * 0.85);
      const dy = (y - height / 2) / (height * 0.46);
      const r = dx * dx + dy * dy;
      let v = 0.04;
      if (r < 1) {
        // Tissue brightens towards the chest wall, with fibroglandular texture and a soft skin line.
        v = 0.3 + 0.35 * (1 - r) + 0.06 * Math.sin(x * 0.05 + phase) * Math.cos(y * 0.04) + 0.03 * Math.sin(x * 0.013 + y * 0.021 + phase);
        v *= Math.min(1, (1 - r) * 12);
        v = Math.max(v, 0.06);
        if (mass) {
          const d = Math.hypot(x - massX, y - massY) / massRadius;
          v += 0.16 * Math.max(0, 1 - d * d) ** 0.7;
        }
      }
      data[y * width + x] = Math.max(0, Math.min(4095, Math.round((v + (random() - 0.5) * 0.03) * 4095)));
    }
  }
  return { data, width, height, bitsStored: 12, photometric: 'MONOCHROME2', format: 'raw' };
}

/** The synthetic samples: value -> {label, options}. */
export const syntheticSamples = {
  'synthetic:1': { label: 'Synthetic 12-bit, left breast', options: { seed: 1, side: 'left' } },
  'synthetic:2': { label: 'Synthetic 12-bit, right breast', options: { seed: 2, side: 'right' } },
  'synthetic:3': { label: 'Synthetic 12-bit, left breast with a mass', options: { seed: 3, side: 'left', mass: true } },
};

/** The server's sample folder, or none when the page is served without the demo server's `/samples.json`. */
export async function serverSamples() {
  try {
    const response = await fetch('/samples.json');
    if (!response.ok) return { folder: null, files: [] };
    const { folder, files } = await response.json();
    return { folder, files: files ?? [] };
  } catch {
    return { folder: null, files: [] };
  }
}

/** Bytes of one file of the server's sample folder. */
export async function fetchSample(name) {
  const response = await fetch(`/samples/${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`sample ${name}: HTTP ${response.status}`);
  return response.arrayBuffer();
}
