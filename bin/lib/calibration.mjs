// Calibration of the integrity signals on clean images (pure functions; used by cadguard-calibrate and tested in
// the browser). Each signal is standardised by its own clean upper tail: an exponential fit of the values above its
// 75th percentile gives z = -log10(estimated share of clean images at or above the value), so z = 2 means "1 % of
// clean images reach this", for every signal alike. Signals with a long clean tail and signals with a short one thus
// spend the same share of the false-positive budget, and max-fusion cannot be dominated by one heavy-tailed signal
// nor hide a signal whose clean tail is short. The tail starts at the 75th percentile rather than higher because a
// fit on few points underestimates the tail, and an underestimated tail flags clean images of an unfamiliar source.
// The fused score is the largest standardised signal; each threshold is the smallest value whose
// share of clean images at or above it does not exceed its target false-positive rate. Where the sample is too
// small to observe that rate (fewer than 3 / rate images), the threshold is also extrapolated from an exponential
// fit of the clean scores' upper tail (peaks over the 90th percentile), and the higher of the two is used: a small
// sample must not put the threshold at its own maximum.

/** Where each signal's clean tail fit starts (a quantile of the clean values). */
export const SIGNAL_TAIL_QUANTILE = 0.75;

/** Quantile with linear interpolation of a sorted ascending array. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Regularised incomplete beta by continued fraction (Numerical Recipes), for binomial confidence intervals. */
function betaIncomplete(a, b, x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbeta = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lbeta);
  const fraction = (aa, bb, xx) => {
    let c = 1;
    let d = 1 - ((aa + bb) * xx) / (aa + 1);
    d = 1 / (Math.abs(d) < 1e-300 ? 1e-300 : d);
    let h = d;
    for (let m = 1; m <= 300; m++) {
      const m2 = 2 * m;
      let term = (m * (bb - m) * xx) / ((aa + m2 - 1) * (aa + m2));
      d = 1 / (1 + term * d || 1e-300);
      c = 1 + term / c || 1e-300;
      h *= d * c;
      term = (-(aa + m) * (aa + bb + m) * xx) / ((aa + m2) * (aa + m2 + 1));
      d = 1 / (1 + term * d || 1e-300);
      c = 1 + term / c || 1e-300;
      const delta = d * c;
      h *= delta;
      if (Math.abs(delta - 1) < 1e-12) break;
    }
    return h;
  };
  return x < (a + 1) / (a + b + 2) ? (front * fraction(a, b, x)) / a : 1 - (front * fraction(b, a, 1 - x)) / b;
}

function logGamma(x) {
  const g = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const t = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let series = 1.000000000190015;
  for (const coefficient of g) series += coefficient / ++y;
  return -t + Math.log((2.5066282746310005 * series) / x);
}

function betaQuantile(p, a, b) {
  let low = 0;
  let high = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (betaIncomplete(a, b, mid) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** Exact (Clopper-Pearson) 95 % interval of a proportion k / n. */
export function clopperPearson(k, n) {
  if (n === 0) return [0, 1];
  return [k === 0 ? 0 : betaQuantile(0.025, k, n - k + 1), k === n ? 1 : betaQuantile(0.975, k + 1, n - k)];
}

/** Smallest threshold whose share of `scores` at or above it is <= rate. */
export function thresholdFor(scores, rate) {
  const descending = [...scores].sort((a, b) => b - a);
  const allowed = Math.floor(rate * descending.length);
  if (allowed >= descending.length) return Number.NEGATIVE_INFINITY;
  const boundary = descending[allowed];
  // Just above the first score that must stay below the threshold.
  return boundary + Math.max(1e-9, Math.abs(boundary) * 1e-9);
}

/**
 * Linear standardisation of one signal from its sorted clean values: with u the tail quantile and m the mean excess
 * above it, the exponential tail model gives P(value >= v) = (1 - q) exp(-(v - u) / m), and
 * z = (v - center) / scale = -log10 of that share.
 */
export function tailScale(sorted) {
  const q = SIGNAL_TAIL_QUANTILE;
  const start = quantile(sorted, q);
  const excesses = sorted.filter((v) => v > start).map((v) => v - start);
  const meanExcess = excesses.length ? excesses.reduce((a, b) => a + b, 0) / excesses.length : 0;
  const scale = Math.max(meanExcess * Math.LN10, 1e-6, Math.abs(start) * 1e-3);
  return { center: start - (scale / Math.LN10) * Math.log(1 / (1 - q)), scale };
}

/**
 * Calibrates from clean images.
 * @param {{file: string, signals: Record<string, number | null>}[]} rows one per clean image
 * @param {{suspiciousRate?: number, tamperedRate?: number, signals?: string[], definitions?: Record<string, string>}} options
 *   `definitions`: what computed each signal (the reports' `definition`), recorded with its scale so that the SDK can
 *   tell when the calibration no longer describes the values it computes
 */
export function calibrate(rows, { suspiciousRate = 0.01, tamperedRate = 0.001, signals: only, definitions = {} } = {}) {
  const ids = only ?? [...new Set(rows.flatMap((row) => Object.keys(row.signals)))].filter((id) => id !== 'provenance');
  const warnings = [];
  const usable = rows.filter((row) => ids.every((id) => Number.isFinite(row.signals[id])));
  if (usable.length < rows.length) warnings.push(`${rows.length - usable.length} image(s) lacked a signal value and were left out`);
  if (usable.length < 20) throw new Error(`calibration needs at least 20 clean images with every signal, got ${usable.length}`);
  const scales = {};
  for (const id of ids) {
    const sorted = usable.map((row) => row.signals[id]).sort((a, b) => a - b);
    scales[id] = definitions[id] ? { ...tailScale(sorted), definition: definitions[id] } : tailScale(sorted);
  }
  const fused = usable.map((row) => Math.max(...ids.map((id) => (row.signals[id] - scales[id].center) / scales[id].scale)));
  const sortedFused = [...fused].sort((a, b) => a - b);
  const tailStart = quantile(sortedFused, 0.9);
  const excesses = sortedFused.filter((score) => score > tailStart).map((score) => score - tailStart);
  const meanExcess = excesses.length ? excesses.reduce((a, b) => a + b, 0) / excesses.length : 0;
  const tailQuantile = (rate) => tailStart + meanExcess * Math.log(0.1 / rate);
  const thresholdAt = (rate) => {
    const empirical = thresholdFor(fused, rate);
    return usable.length < Math.ceil(3 / rate) ? Math.max(empirical, tailQuantile(rate)) : empirical;
  };
  const suspicious = thresholdAt(suspiciousRate);
  const tampered = Math.max(suspicious, thresholdAt(tamperedRate));
  const achieved = (threshold) => {
    const k = fused.filter((score) => score >= threshold).length;
    return { falsePositives: k, rate: k / fused.length, ci95: clopperPearson(k, fused.length) };
  };
  for (const [name, rate] of [['suspicious', suspiciousRate], ['tampered', tamperedRate]]) {
    const needed = Math.ceil(3 / rate);
    if (usable.length < needed) {
      warnings.push(
        `${usable.length} images are too few to set the ${name} threshold for a ${rate * 100} % false-positive rate: ` +
          `with none above it the 95 % upper bound is still ${(clopperPearson(0, usable.length)[1] * 100).toFixed(2)} %; about ${needed} images are needed ` +
          '(the threshold was extrapolated from the clean scores\' upper tail)',
      );
    }
  }
  return {
    signals: scales,
    thresholds: { suspicious, tampered },
    calibration: {
      images: usable.length,
      targets: { suspicious: suspiciousRate, tampered: tamperedRate },
      tail: { from: tailStart, meanExcess },
      achieved: { suspicious: achieved(suspicious), tampered: achieved(tampered) },
      warnings,
    },
  };
}
