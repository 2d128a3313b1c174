// The SDK's preprocessing (TypeScript) against the training side's (models/train/preprocess.py) on synthetic
// images: the same PNG through the SDK's own decoder and display transform must give the same tensor.
import { preprocessMammogram } from '../src/image/preprocess.js';
import { scratch } from '../src/scratch.js';
import { displayImage, displayValues } from '../src/image/voi.js';
import { decodePng } from '../src/input/png.js';
import { assert, maxAbsDiff } from './support/helpers.js';

const names = ['synthetic-left-700x900', 'synthetic-right-1024', 'synthetic-right-16bit-640x832', 'synthetic-left-edges-600x800'];

describe('preprocessing parity (TypeScript vs Python)', () => {
  for (const name of names) {
    it(`${name}: same tensor, mask, flip and crop (max abs diff <= 1e-3)`, async () => {
      const base = `/test/fixtures/preprocess/${name}`;
      const png = new Uint8Array(await (await fetch(`${base}.png`)).arrayBuffer());
      const expected = await (await fetch(`${base}.expected.json`)).json();
      const tensor = new Float32Array(await (await fetch(`${base}.expected.f32`)).arrayBuffer());
      const display = displayImage(decodePng(png));
      const result = preprocessMammogram(display, expected.size);
      const diff = maxAbsDiff(result.tensor, tensor);
      assert(diff <= 1e-3, `max abs diff ${diff}`);
      assert(result.flipped === expected.flipped, `flipped ${result.flipped} vs ${expected.flipped}`);
      assert(JSON.stringify(result.crop) === JSON.stringify(expected.crop), `crop ${JSON.stringify(result.crop)} vs ${JSON.stringify(expected.crop)}`);
      const maskSum = result.mask.reduce((s, v) => s + v, 0);
      assert(maskSum === expected.maskSum, `mask sum ${maskSum} vs ${expected.maskSum}`);
      // The SDK reads integer images through their display table; materialised display values give the same bits.
      const materialised = preprocessMammogram({ width: display.width, height: display.height, values: displayValues(display), table: null }, expected.size);
      assert(maxAbsDiff(materialised.tensor, result.tensor) === 0, 'table and materialised display give the same tensor');
      // A check writes into kept buffers (src/scratch.ts) that hold the last image's values: every element is written.
      const n = expected.size * expected.size;
      scratch(Float32Array, 'parity.tensor', n).fill(7);
      scratch(Uint8Array, 'parity.mask', n).fill(3);
      scratch(Float32Array, 'parity.display', 65536).fill(Number.NaN);
      const keptDisplay = displayImage(decodePng(png), 'parity.display');
      const kept = preprocessMammogram(keptDisplay, expected.size, undefined, 'parity');
      assert(kept.tensor.buffer === scratch(Float32Array, 'parity.tensor', n).buffer, 'the tensor is written into the kept buffer');
      assert(maxAbsDiff(kept.tensor, result.tensor) === 0, 'kept and fresh buffers give the same tensor');
      assert(kept.mask.every((v, i) => v === result.mask[i]), 'kept and fresh buffers give the same mask');
    });
  }
});
