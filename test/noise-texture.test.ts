// The noise-texture signal: a filled-in patch with white noise is caught in images whose own grain is correlated,
// while clean images of sources with other grains (coarser, finer, anisotropic, white) stay below every tampered one.
import { noiseTexture } from '../src/detect/noise-texture.js';
import { breastMask } from '../src/image/preprocess.js';
import { acquire, assert, gaussian, lowResolutionScan, neighbourhoodMean, seededRandom, sourceGrains, whiteGrain, type Grain } from './support/helpers.js';

/** Removal as a retouching tool does it: a disk replaced by its smooth surroundings plus white noise of the same level. */
function fill(image: Float32Array, width: number, cx: number, cy: number, radius: number, seed: number, grain: Grain): Float32Array {
  const gauss = gaussian(seededRandom(seed));
  const levels = 2 ** grain.bits - 1;
  const out = image.slice();
  for (let y = cy - radius; y <= cy + radius; y++) for (let x = cx - radius; x <= cx + radius; x++) {
    if ((x - cx) ** 2 + (y - cy) ** 2 > radius * radius) continue;
    const v = neighbourhoodMean(image, width, x, y);
    out[y * width + x] = Math.round(Math.min(1, Math.max(0, v + grain.noise * Math.sqrt(0.3 + v) * gauss())) * levels) / levels;
  }
  return out;
}

describe('noise texture', () => {
  it('passes clean images of five grains and flags a white-noise fill in every correlated grain', () => {
    const width = 512;
    const height = 640;
    let worstClean = 0;
    let weakestFilled = Infinity;
    const lines: string[] = [];
    [...sourceGrains, whiteGrain].forEach((grain, g) => {
      for (let seed = 0; seed < 2; seed++) {
        const image = acquire(width, height, 50 * g + seed, grain);
        const clean = noiseTexture(image, width, height).value;
        worstClean = Math.max(worstClean, clean);
        if (grain === whiteGrain) {
          lines.push(`${grain.name} #${seed}: clean ${clean.toFixed(2)}`);
          continue;
        }
        const filled = noiseTexture(fill(image, width, 200, 300 + seed * 30, 40, 7 + seed, grain), width, height);
        weakestFilled = Math.min(weakestFilled, filled.value);
        lines.push(`${grain.name} #${seed}: clean ${clean.toFixed(2)}, filled ${filled.value.toFixed(2)}`);
        // The map points at the fill: its strongest tile lies inside the disk.
        const tile = Math.round(height / filled.mapHeight);
        let best = 0;
        for (let i = 1; i < filled.map.length; i++) if (filled.map[i] > filled.map[best]) best = i;
        const bx = (best % filled.mapWidth + 0.5) * tile;
        const by = (Math.floor(best / filled.mapWidth) + 0.5) * tile;
        assert(Math.hypot(bx - 200, by - (300 + seed * 30)) < 40 + tile, `${grain.name}: strongest tile at ${bx},${by}`);
      }
    });
    assert(worstClean < weakestFilled, `clean and filled overlap:\n${lines.join('\n')}`);
  });

  it('does not grow with the grain or the noise level of the source (a scanner is not a forgery)', () => {
    const width = 384;
    const height = 480;
    const values = [0.004, 0.012, 0.03].flatMap((noise) =>
      [0.3, 0.8].map((h) => noiseTexture(acquire(width, height, 9, { name: 'x', noise, bits: 16, h, v: h }), width, height).value),
    );
    assert(Math.max(...values) < 3, `statistic across grains and noise levels: ${values.map((v) => v.toFixed(2)).join(', ')}`);
  });

  it('judges an interpolating low-resolution digitiser by its own (white) noise: its flat tissue is not a fill', () => {
    // Its flat patches are whiter than its structured ones in every clean image. Against the median of all intensity
    // neighbours alone (noise-texture-v2) these six scans read 1.5 to 2.1, above every clean grain (up to 1.4); the
    // flatter neighbours' reference, capped at twice the image's usual gap, brings them to 0.7 to 1.6.
    const width = 512;
    const height = 640;
    const scans = [0.002, 0.004].flatMap((noise) => [0, 1, 2].map((seed) => noiseTexture(lowResolutionScan(width, height, seed, noise), width, height).value));
    const mean = scans.reduce((a, b) => a + b, 0) / scans.length;
    assert(Math.max(...scans) < 1.8 && mean < 1.4, `low-resolution scans ${scans.map((v) => v.toFixed(2)).join(', ')}`);
  });

  it('judges only the breast: a whiter film base beside it is not a fill', () => {
    // Digitised film: the unexposed base next to the breast is dim, above the dark-tile cut, and its grain is the
    // base's own (here white, and stronger than the tissue's) where the breast's is correlated; no CAD result depends on it.
    const width = 512;
    const height = 640;
    const grain = sourceGrains[0];
    const gauss = gaussian(seededRandom(77));
    const image = acquire(width, height, 31, grain);
    for (let y = 240; y < 400; y++) for (let x = 448; x < 496; x++) {
      image[y * width + x] = Math.round(Math.min(1, Math.max(0, 0.09 + 0.04 * gauss())) * 255) / 255;
    }
    const breast = breastMask({ width, height, values: image, table: null });
    const everywhere = noiseTexture(image, width, height).value;
    const onBreast = noiseTexture(image, width, height, breast);
    assert(everywhere >= 3, `the base band should stand out when every tile counts: ${everywhere.toFixed(2)}`);
    assert(onBreast.value < 3, `breast only: ${onBreast.value.toFixed(2)} (every tile: ${everywhere.toFixed(2)})`);
    const bandTiles = onBreast.map.filter((_, i) => (i % onBreast.mapWidth) * (width / onBreast.mapWidth) >= 448);
    assert(bandTiles.every((v) => v === 0), 'the band has no heat');
  });

  it('returns 0 and an empty map when too few tiles can be judged', () => {
    const small = noiseTexture(new Float32Array(40 * 40).fill(0.5), 40, 40);
    assert(small.value === 0 && small.tiles < 16, `value ${small.value}, tiles ${small.tiles}`);
  });
});
