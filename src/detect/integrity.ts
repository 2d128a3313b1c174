import type { IntegritySignal, Verdict } from '../protocol.js';

/** Integrity of one image: the fused verdict and the signals behind it. */
export interface Integrity {
  verdict: Verdict;
  score: number;
  signals: IntegritySignal[];
  thresholds: { suspicious: number | null; tampered: number | null };
}

/**
 * Fuses the signals into a verdict. Provenance overrides everything. Without a calibrated detector the guard cannot
 * clear an image, so the verdict is at least `'suspicious'` (fail closed): it never passes what it did not check.
 */
export function fuseIntegrity(signals: IntegritySignal[], calibrated: { score: number; suspicious: number; tampered: number } | null): Integrity {
  const provenance = signals.find((s) => s.id === 'provenance');
  if (!calibrated) {
    const all = [
      ...signals,
      { id: 'detector', value: null, flagged: true, detail: 'no calibrated integrity detector is configured in the manifest: the image cannot be cleared' },
    ];
    return { verdict: provenance?.flagged ? 'tampered' : 'suspicious', score: 1, signals: all, thresholds: { suspicious: null, tampered: null } };
  }
  const { score, suspicious, tampered } = calibrated;
  const verdict: Verdict = provenance?.flagged || score >= tampered ? 'tampered' : score >= suspicious ? 'suspicious' : 'pass';
  return { verdict, score, signals, thresholds: { suspicious, tampered } };
}
