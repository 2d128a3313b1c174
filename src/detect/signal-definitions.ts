/**
 * What computed each integrity signal. A calibration (center, scale) describes the clean values of one definition;
 * when this SDK's computation of a signal changes, or the model behind it is replaced, the old calibration no longer
 * describes the values, and the signal counts as uncalibrated (the guard fails closed) until cadguard-calibrate has
 * been run again. cadguard-calibrate records the definitions it calibrated in the manifest.
 */

/** The method of each signal in this SDK; a new version whenever a change moves the signal's values. */
export const SIGNAL_METHODS = {
  squeeze: 'squeeze-v1',
  noise: 'noise-consistency-v2',
  texture: 'noise-texture-v2',
  residual: 'residual-v1',
  content: 'content-v1',
} as const;

/** A signal's definition: its method, and for a signal computed by a model, the model's SHA-256 (first 16 digits). */
export function signalDefinition(id: keyof typeof SIGNAL_METHODS, model?: { sha256: string }): string {
  return model ? `${SIGNAL_METHODS[id]}+${model.sha256.slice(0, 16)}` : SIGNAL_METHODS[id];
}
