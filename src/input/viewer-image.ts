import { GuardError } from '../errors.js';
import type { ViewerWire } from '../protocol.js';
import { checkDimension } from './raw-pixels.js';
import type { StoredImage, VoiFunction } from './stored-image.js';

function invalid(message: string, details?: Record<string, unknown>): never {
  throw new GuardError('invalid-input', message, details);
}

const voiFunctions = new Set(['LINEAR', 'LINEAR_EXACT', 'SIGMOID']);

/**
 * A viewer's decoded image (Cornerstone3D `IImage`, as sent by the main thread) to stored pixels with the viewer's
 * own rescale, window, VOI function and inversion, so cadguard judges exactly what the viewer displays.
 */
export function fromViewerImage({ viewer }: ViewerWire, voiIndex: number): StoredImage {
  const width = checkDimension('columns', viewer.width);
  const height = checkDimension('rows', viewer.height);
  let data = viewer.data;
  const typeName = data?.constructor?.name ?? typeof data;
  if (!(data instanceof Uint8Array || data instanceof Int8Array || data instanceof Uint16Array || data instanceof Int16Array || data instanceof Float32Array)) {
    invalid(`getPixelData() must return a Uint8Array, Int8Array, Uint16Array, Int16Array or Float32Array, got ${typeName}`);
  }
  if (data.length !== width * height) {
    invalid(`getPixelData() returned ${data.length} values but rows x columns = ${height} x ${width} = ${width * height}`, { length: data.length, width, height });
  }
  if (data instanceof Int8Array) data = Int16Array.from(data);
  const { slope, intercept } = viewer;
  if (!Number.isFinite(slope) || slope === 0 || !Number.isFinite(intercept)) invalid(`slope ${slope} / intercept ${intercept}: both must be finite and the slope non-zero`);
  const centers = viewer.windowCenter;
  const widths = viewer.windowWidth;
  if (centers.length !== widths.length) invalid(`windowCenter has ${centers.length} value(s) but windowWidth ${widths.length}`);
  if (voiIndex > 0 && voiIndex >= centers.length) invalid(`voiIndex ${voiIndex} is out of range: the image has ${centers.length} window(s)`, { voiIndex });
  let window: StoredImage['window'] = null;
  if (centers.length > 0) {
    const center = centers[voiIndex];
    const windowWidth = widths[voiIndex];
    if (!Number.isFinite(center) || !Number.isFinite(windowWidth) || windowWidth <= 0) {
      invalid(`window ${voiIndex} has center ${center}, width ${windowWidth}: both must be finite and the width > 0`);
    }
    window = { center, width: windowWidth };
  }
  if (data instanceof Float32Array && !window) invalid('a Float32Array from getPixelData() holds modality values and needs windowCenter / windowWidth');
  const voiFunction = (viewer.voiLUTFunction || 'LINEAR').toUpperCase();
  if (!voiFunctions.has(voiFunction)) invalid(`voiLUTFunction must be 'LINEAR', 'LINEAR_EXACT' or 'SIGMOID', got ${JSON.stringify(viewer.voiLUTFunction)}`);
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) invalid(`getPixelData()[${i}] is ${data[i]}: values must be finite`, { index: i });
  }
  return {
    pixels: data,
    width,
    height,
    bitsStored: data instanceof Float32Array ? 32 : data instanceof Uint8Array ? 8 : 16,
    photometric: viewer.invert ? 'MONOCHROME1' : 'MONOCHROME2',
    window,
    format: 'viewer',
    ...(slope !== 1 || intercept !== 0 ? { rescale: { slope, intercept } } : {}),
    voiFunction: voiFunction as VoiFunction,
  };
}
