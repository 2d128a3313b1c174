import { GuardError } from '../errors.js';
import type { ModelEntry } from '../engine/manifest.js';
import type { Heatmap } from '../protocol.js';
import { keptOrFresh } from '../scratch.js';
import { preprocessMammogram, type BreastMask } from './preprocess.js';
import { resizeArea } from './resize.js';
import type { DisplayImage } from './voi.js';

/** A model tensor and where it lies on the displayed image. */
export interface ModelInput {
  tensor: Float32Array;
  region: Heatmap['region'];
}

/**
 * Display values to the tensor a model's manifest asks for. `'mammo-crop-v1'` is the default classifier's breast
 * crop and orientation (mirrored in models/train/preprocess.py); `'resize-v1'` is a plain whole-image resize with
 * fixed normalisation, for vendors' models. `breast`: the display's {@link BreastMask} when the caller has it already.
 * `keep`: a key of buffers kept between checks (src/scratch.ts) for the tensor, for a caller done with it before its
 * next call with the same key; a fresh array when absent.
 */
export function toModelInput(input: ModelEntry['input'], display: DisplayImage, breast?: BreastMask, keep?: string): ModelInput {
  const [, , modelHeight, modelWidth] = input.shape;
  if (input.preprocess === 'mammo-crop-v1') {
    if (modelHeight !== modelWidth) throw new GuardError('model-load', `preprocess 'mammo-crop-v1' needs a square input, got ${modelHeight} x ${modelWidth}`);
    const result = preprocessMammogram(display, modelWidth, breast, keep);
    return { tensor: result.tensor, region: { ...result.crop, flipped: result.flipped } };
  }
  if (input.preprocess === 'resize-v1') {
    const { mean, std } = input.normalisation ?? { mean: 0, std: 1 };
    const tensor = resizeArea(display, modelWidth, modelHeight, keptOrFresh(Float32Array, keep && `${keep}.tensor`, modelWidth * modelHeight));
    for (let i = 0; i < tensor.length; i++) tensor[i] = (tensor[i] - mean) / std;
    return { tensor, region: { x: 0, y: 0, width: display.width, height: display.height, flipped: false } };
  }
  throw new GuardError('model-load', `unknown preprocess ${JSON.stringify(input.preprocess)}; this SDK knows 'mammo-crop-v1' and 'resize-v1'`);
}
