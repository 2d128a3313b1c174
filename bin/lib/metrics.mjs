// The numbers cadguard-eval reports, as small pure functions over result rows. Plain ESM with no Node imports,
// so the browser tests import this very file. docs/eval.md says which rows each metric counts.

/**
 * Area under the ROC curve by the Mann-Whitney U statistic: the probability that a random positive scores above
 * a random negative, ties counting one half (average ranks). Null without at least one positive and one negative.
 * @param {number[]} positives
 * @param {number[]} negatives
 * @returns {number | null}
 */
export function aucMannWhitney(positives, negatives) {
  if (positives.length === 0 || negatives.length === 0) return null;
  const scored = [...positives.map((score) => ({ score, positive: true })), ...negatives.map((score) => ({ score, positive: false }))];
  scored.sort((a, b) => a.score - b.score);
  let positiveRankSum = 0;
  for (let start = 0; start < scored.length; ) {
    let end = start;
    while (end + 1 < scored.length && scored[end + 1].score === scored[start].score) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) if (scored[i].positive) positiveRankSum += averageRank;
    start = end + 1;
  }
  const p = positives.length;
  return (positiveRankSum - (p * (p + 1)) / 2) / (p * negatives.length);
}

/**
 * `count / total`, or null when `total` is 0.
 * @param {number} count
 * @param {number} total
 * @returns {number | null}
 */
export function rate(count, total) {
  return total > 0 ? count / total : null;
}

/**
 * One evaluated row, as written to results.json.
 * @typedef {{
 *   file: string, label: 'normal'|'benign'|'malignant'|'unknown', tampered: boolean, source: string | null,
 *   score: number | null, positive: boolean | null, integrityScore: number | null,
 *   verdict: 'pass'|'suspicious'|'tampered' | null, decision: 'show'|'review'|'withhold' | null,
 *   backend: 'webgpu'|'wasm' | null, ms: number | null, error: string | null
 * }} ResultRow
 */

const isAbnormal = (label) => label === 'benign' || label === 'malignant';

/**
 * The `summary` of results.json.
 *
 * - CAD metrics use clean (untampered) rows with a known label and a score; a tampered image is not a sample of
 *   the model's accuracy, it is measured by `flips`. Sensitivity and specificity are abnormal (benign or
 *   malignant) vs normal at the manifest threshold (`positive`), as the model card defines the threshold.
 * - Integrity metrics use every row, `unknown` labels included. A row whose check failed (`error`) counts as
 *   "not pass": the guard did not let that CAD result through. Integrity AUC needs a score, so it skips them.
 * - Flips use tampered rows with a source whose own check and the source's check both gave a score.
 *
 * @param {ResultRow[]} rows
 * @param {string | null} fallbackBackend Backend to report when no row produced one (every check failed).
 */
export function summarise(rows, fallbackBackend = null) {
  const clean = rows.filter((row) => !row.tampered);
  const tampered = rows.filter((row) => row.tampered);
  const cadRows = clean.filter((row) => row.label !== 'unknown' && row.score !== null);
  const scores = (list) => list.map((row) => row.score);
  const normal = cadRows.filter((row) => row.label === 'normal');
  const abnormal = cadRows.filter((row) => isAbnormal(row.label));
  const notPass = (row) => row.verdict !== 'pass';
  const integrityRows = rows.filter((row) => row.integrityScore !== null);

  const byFile = new Map(rows.map((row) => [row.file, row]));
  const comparable = tampered.filter((row) => row.source !== null && row.positive !== null && byFile.get(row.source)?.positive != null);
  const flipped = comparable.filter((row) => row.positive !== byFile.get(row.source).positive);

  const backends = [...new Set(rows.map((row) => row.backend).filter((backend) => backend !== null))];
  return {
    n: rows.length,
    backend: backends.length === 1 ? backends[0] : backends.length > 1 ? 'mixed' : fallbackBackend,
    cad: {
      aucAbnormal: aucMannWhitney(scores(abnormal), scores(normal)),
      aucMalignant: aucMannWhitney(scores(cadRows.filter((row) => row.label === 'malignant')), scores(cadRows.filter((row) => row.label !== 'malignant'))),
      sensitivity: rate(abnormal.filter((row) => row.positive).length, abnormal.length),
      specificity: rate(normal.filter((row) => !row.positive).length, normal.length),
    },
    integrity: {
      fprClean: rate(clean.filter(notPass).length, clean.length),
      tprTampered: rate(tampered.filter(notPass).length, tampered.length),
      auc: aucMannWhitney(
        integrityRows.filter((row) => row.tampered).map((row) => row.integrityScore),
        integrityRows.filter((row) => !row.tampered).map((row) => row.integrityScore),
      ),
    },
    flips: {
      unguardedFlipRate: rate(flipped.length, comparable.length),
      undetectedFlipRate: rate(flipped.filter((row) => row.verdict === 'pass').length, comparable.length),
    },
  };
}
