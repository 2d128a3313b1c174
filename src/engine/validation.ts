import type { ExpectedOutput } from './manifest.js';

/**
 * The manifest's validation input `'sincos-v1'`: a smooth deterministic pattern the training side computes the
 * same way (float64, then float32), so no validation tensor needs to ship.
 */
export function sincosInput(height: number, width: number): Float32Array {
  const tensor = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      tensor[y * width + x] = 0.5 + 0.5 * Math.sin(0.05 * x + 0.031 * y) * Math.cos(0.017 * x - 0.043 * y);
    }
  }
  return tensor;
}

/** Compares one output with its expected values; returns a description of the first mismatch, or null. */
export function compareOutput(name: string, actual: Float32Array, expected: ExpectedOutput, tolerance: number): string | null {
  for (const [index, value] of expected.samples) {
    const got = actual[index];
    if (!(Math.abs(got - value) <= tolerance)) {
      return `${name}[${index}] = ${got}, expected ${value} +/- ${tolerance}`;
    }
  }
  if (expected.mean !== undefined) {
    let sum = 0;
    for (let i = 0; i < actual.length; i++) sum += actual[i];
    const mean = sum / actual.length;
    if (!(Math.abs(mean - expected.mean) <= tolerance)) return `mean(${name}) = ${mean}, expected ${expected.mean} +/- ${tolerance}`;
  }
  return null;
}
