import type { IntegrityCalibration } from '../engine/manifest.js';
import type { IntegritySignal, Verdict } from '../protocol.js';

/** Integrity of one image: the fused verdict and the signals behind it. */
export interface Integrity {
  verdict: Verdict;
  score: number;
  signals: IntegritySignal[];
  thresholds: { suspicious: number | null; tampered: number | null };
}

/**
 * Fuses the signals into a verdict. Each calibrated signal is standardised against clean images; the fused score is
 * the largest standardised signal, so one signal well outside its clean range is enough. Provenance overrides
 * everything. The guard fails closed: without a calibration, or when a calibrated signal could not be computed,
 * the verdict is at least `'suspicious'`.
 */
export function fuseIntegrity(raw: IntegritySignal[], calibration: IntegrityCalibration | null): Integrity {
  const provenanceTampered = raw.some((s) => s.id === 'provenance' && s.flagged);
  if (!calibration) {
    const signals = [
      ...raw,
      { id: 'calibration', value: null, flagged: true, detail: 'no integrity calibration in the manifest: the image cannot be cleared' },
    ];
    return { verdict: provenanceTampered ? 'tampered' : 'suspicious', score: Number.POSITIVE_INFINITY, signals, thresholds: { suspicious: null, tampered: null } };
  }
  const { suspicious, tampered } = calibration.thresholds;
  let score = Number.NEGATIVE_INFINITY;
  let incomplete = false;
  const signals = raw.map((signal) => {
    const scale = calibration.signals[signal.id];
    if (!scale) return signal;
    if (signal.value === null || !Number.isFinite(signal.value)) {
      incomplete = true;
      return { ...signal, flagged: true, detail: `${signal.detail} (not computed: the image cannot be cleared)` };
    }
    const z = (signal.value - scale.center) / scale.scale;
    score = Math.max(score, z);
    return { ...signal, flagged: signal.flagged || z >= suspicious, detail: `${signal.detail}; ${z.toFixed(2)} clean-image scales from typical` };
  });
  for (const id of Object.keys(calibration.signals)) {
    if (!raw.some((s) => s.id === id)) {
      incomplete = true;
      signals.push({ id, value: null, flagged: true, detail: 'calibrated signal missing from this check: the image cannot be cleared' });
    }
  }
  const verdict: Verdict =
    provenanceTampered || score >= tampered ? 'tampered' : incomplete || score >= suspicious ? 'suspicious' : 'pass';
  return { verdict, score, signals, thresholds: { suspicious, tampered } };
}
