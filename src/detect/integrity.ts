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
 * Fuses the signals into a verdict. Each calibrated signal is standardised against clean images (cadguard-calibrate
 * makes z the -log10 of the estimated share of clean images at or above the value); the fused score is the largest
 * standardised signal, so one signal well outside its clean range is enough. Provenance overrides
 * everything. The guard fails closed: without a calibration, when a calibrated signal could not be computed, or when
 * it was calibrated for another definition (an older SDK's method, another model), the verdict is at least
 * `'suspicious'`.
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
    if (scale.definition !== signal.definition) {
      incomplete = true;
      const was = scale.definition ? `calibrated for ${scale.definition}` : 'calibrated without a recorded definition';
      return {
        ...signal,
        flagged: true,
        detail: `${signal.detail} (${was}, computed as ${signal.definition}: recalibrate with cadguard-calibrate; until then the image cannot be cleared)`,
      };
    }
    const z = (signal.value - scale.center) / scale.scale;
    score = Math.max(score, z);
    return { ...signal, flagged: signal.flagged || z >= suspicious, detail: `${signal.detail}; z = ${z.toFixed(2)}: ${cleanShare(z)} of clean calibration images reach this` };
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

/** 10^-z as a readable share ("about 1 in 300"), for the signal's detail text. */
function cleanShare(z: number): string {
  if (z <= 0) return 'most';
  const inverse = 10 ** z;
  if (inverse < 2) return `about ${Math.round(100 / inverse)} %`;
  const rounded = Number(inverse.toPrecision(inverse < 100 ? 1 : 2));
  return `about 1 in ${rounded.toLocaleString('en-US')}`;
}
