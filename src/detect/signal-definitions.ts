/**
 * What computed each integrity signal. A calibration (center, scale) describes the clean values of one definition;
 * when this SDK's computation of a signal changes, or the model behind it is replaced, the old calibration no longer
 * describes the values, and the signal counts as uncalibrated (the guard fails closed) until cadguard-calibrate has
 * been run again. cadguard-calibrate records the definitions it calibrated in the manifest.
 */

import type { Manifest } from '../engine/manifest.js';
import type { IntegrityStatus } from '../protocol.js';

/** The method of each signal in this SDK; a new version whenever a change moves the signal's values. */
export const SIGNAL_METHODS = {
  squeeze: 'squeeze-v1',
  noise: 'noise-consistency-v4',
  texture: 'noise-texture-v3',
  seam: 'blend-seam-v3',
  seamEdge: 'blend-seam-edge-v1',
  residual: 'residual-v1',
  content: 'content-v2',
} as const;

/** A signal's definition: its method, and for a signal computed by a model, the model's SHA-256 (first 16 digits). */
function signalDefinition(id: keyof typeof SIGNAL_METHODS, model?: { sha256: string }): string {
  return model ? `${SIGNAL_METHODS[id]}+${model.sha256.slice(0, 16)}` : SIGNAL_METHODS[id];
}

/**
 * The definition of every signal a guard with this manifest's models computes, by signal id: what each report's
 * signal carries and what the start-up status compares the calibration with.
 */
export function signalDefinitions(manifest: Manifest): Record<string, string> {
  const model = (role: string) => manifest.models.find((m) => m.role === role);
  const classifier = model('classifier');
  const detector = model('detector');
  const content = model('content');
  return {
    ...(classifier ? { squeeze: signalDefinition('squeeze', classifier) } : {}),
    noise: signalDefinition('noise'),
    texture: signalDefinition('texture'),
    seam: signalDefinition('seam'),
    seamEdge: signalDefinition('seamEdge'),
    ...(detector ? { residual: signalDefinition('residual', detector) } : {}),
    ...(content ? { content: signalDefinition('content', content) } : {}),
  };
}

/**
 * Checks a manifest's integrity calibration against the signals a guard with its models computes, at start-up, so an
 * integrator learns of a stale or missing calibration before the first image comes back `'review'`. The same rules
 * as the fusion (detect/integrity.ts): a calibrated signal must be computed, with the definition it was calibrated for.
 */
export function integrityStatus(manifest: Manifest): IntegrityStatus {
  const signals = signalDefinitions(manifest);
  const problems: string[] = [];
  if (!manifest.integrity) {
    problems.push('the manifest has no integrity calibration: every image is at least suspicious; run cadguard-calibrate on clean images');
  } else {
    for (const [id, scale] of Object.entries(manifest.integrity.signals)) {
      if (!(id in signals)) problems.push(`signal ${id} is calibrated but this guard does not compute it (its model is missing from the manifest)`);
      else if (scale.definition !== signals[id]) {
        problems.push(`signal ${id} is calibrated for ${scale.definition ?? 'an unrecorded definition'}, this guard computes ${signals[id]}: recalibrate with cadguard-calibrate`);
      }
    }
  }
  return { ready: problems.length === 0, signals, problems };
}
