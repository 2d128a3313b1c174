// The pixel signals' values on fixed phantoms, pinned with the definition that made them. A calibration describes
// one definition's values (src/detect/signal-definitions.ts): a change that moves a signal's values without a new
// definition would leave manifests calibrated for the old values clearing images with the new ones. So a faster or
// tidier implementation must give these values; a change meant to move them bumps SIGNAL_METHODS, recalibrates
// (docs/calibrate.md) and re-pins here. The model-computed signals carry their model's hash in their definition
// instead.
import { blendSeam } from '../src/detect/blend-seam.js';
import { noiseConsistency } from '../src/detect/noise-consistency.js';
import { noiseTexture } from '../src/detect/noise-texture.js';
import { SIGNAL_METHODS } from '../src/detect/signal-definitions.js';
import { acquire, assert, skinLine, sourceGrains } from './support/helpers.js';

/** Phantom sizes, seeds and grains (test/support/helpers.ts), and each signal's value on it. */
const phantoms = [
  { width: 1024, height: 1024, seed: 1, grain: 0, noise: 3.0172183781285282, texture: 0.691883386230619,
    seam: 4.590999116606191, seamEdge: 3.716933741423776 },
  { width: 768, height: 1024, seed: 2, grain: 1, noise: 2.7007965547441417, texture: 0.7381182627879246,
    seam: 4.6881401111522845, seamEdge: 3.7111809395201205 },
  { width: 1024, height: 1280, seed: 3, grain: 2, noise: 2.6552937834975454, texture: 1.073809333881779,
    seam: 4.083286276079432, seamEdge: 4.186923500978227 },
];
const pinnedFor = { noise: 'noise-consistency-v4', texture: 'noise-texture-v3', seam: 'blend-seam-v3', seamEdge: 'blend-seam-edge-v1' } as const;
const compute = {
  noise: (image: Float32Array, width: number, height: number) => noiseConsistency(image, width, height).value,
  texture: (image: Float32Array, width: number, height: number) => noiseTexture(image, width, height).value,
  seam: (image: Float32Array, width: number, height: number) => blendSeam(image, width, height).value,
  seamEdge: (image: Float32Array, width: number, height: number) => blendSeam(skinLine(image, width, height), width, height).edge,
};

describe('pixel signals keep the values their definitions were calibrated for', () => {
  for (const id of ['noise', 'texture', 'seam', 'seamEdge'] as const) {
    it(`${id} (${pinnedFor[id]})`, () => {
      assert(
        SIGNAL_METHODS[id] === pinnedFor[id],
        `SIGNAL_METHODS.${id} is ${SIGNAL_METHODS[id]}, the values here were pinned for ${pinnedFor[id]}: ` +
          're-pin them with the new definition',
      );
      for (const p of phantoms) {
        const image = acquire(p.width, p.height, p.seed, sourceGrains[p.grain]);
        const value = compute[id](image, p.width, p.height);
        // Doubles in one engine are reproducible; the margin only absorbs a different Math.log/exp in another engine.
        assert(
          Math.abs(value - p[id]) <= 1e-9 * Math.abs(p[id]),
          `${id} on the ${p.width}x${p.height} phantom (seed ${p.seed}, ${sourceGrains[p.grain].name}): ${value}, ` +
            `pinned ${p[id]} for ${pinnedFor[id]}. If the change is meant to move the values, bump ` +
            `SIGNAL_METHODS.${id} and recalibrate; if not, it changed them by mistake (or the phantoms in ` +
            'test/support/helpers.ts changed: re-pin)',
        );
      }
    });
  }
});
