// Renders a report as a viewer would present it (the decision first, then the CAD result, the integrity verdict and
// its signals, the backend and why, timings, the audit record) and the outcome of an attack.

const $ = (id) => document.getElementById(id);

const element = (tag, properties = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
};

const definitionList = (list, rows) => list.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', { textContent: term }), element('dd', { textContent: value })]));

/** What a viewer does with each decision. */
export const decisionText = {
  show: 'SHOW — integrity checks passed; the CAD result is shown.',
  review: 'REVIEW — integrity could not be confirmed; the CAD result is held for a reader to review.',
  withhold: 'WITHHOLD — the image appears tampered; the CAD result is withheld.',
};

const cadText = (cad) => `${cad.score.toFixed(3)} — ${cad.positive ? 'positive' : 'negative'} (threshold ${cad.threshold.toFixed(3)})`;

/**
 * @param {import('../dist/index.js').Report} report
 * @param {import('../dist/index.js').GuardInfo} info
 * @param {{stable?: boolean}} options `stable` hides what changes run to run (timings, threads, adapter), for
 *   screenshot tests.
 */
export function renderReport(report, info, { stable = false } = {}) {
  const decision = $('decision');
  decision.className = `decision ${report.decision}`;
  decision.dataset.decision = report.decision;
  decision.textContent = decisionText[report.decision];
  definitionList($('summary'), [
    ['CAD score', cadText(report.cad)],
    ['Integrity', `${report.integrity.verdict} (fused score ${Number.isFinite(report.integrity.score) ? report.integrity.score.toFixed(2) : 'n/a: not calibrated'})`],
    ['Backend', `${report.backend}${report.fallback ? ` (fell back from ${report.fallback.from}: ${report.fallback.reason})` : ''}`],
    ['Why', info.reason],
    ['Adapter', stable ? '(hidden in stable mode)' : info.adapter ? `${info.adapter.vendor} ${info.adapter.architecture}${info.adapter.isFallbackAdapter ? ' (software)' : ''}` : 'none'],
    ['Threads', stable ? '(hidden in stable mode)' : `${info.threads} (cross-origin isolated: ${info.crossOriginIsolated})`],
    ['Image', `${report.input.width} × ${report.input.height}, ${report.input.format}, ${report.input.bitsStored} bit`],
    ['Pixel SHA-256', report.input.pixelSha256],
    ['Models', report.models.map((m) => `${m.id} ${m.version}`).join(', ')],
  ]);
  $('integrity-verdict').textContent = report.integrity.verdict;
  $('integrity-verdict').className = `verdict ${report.integrity.verdict}`;
  $('signals').replaceChildren(...report.integrity.signals.map(signalItem));
  $('timings').tBodies[0].replaceChildren(
    ...Object.entries(report.timings).map(([stage, ms]) => element('tr', {}, [element('th', { scope: 'row', textContent: stage }), element('td', { textContent: stable ? '–' : ms.toFixed(1) })])),
    // What each integrity signal cost, under detect.
    ...report.integrity.signals
      .filter((signal) => signal.ms !== undefined)
      .map((signal) => element('tr', {}, [element('th', { scope: 'row', textContent: `detect · ${signal.id}` }), element('td', { textContent: stable ? '–' : signal.ms.toFixed(1) })])),
  );
  $('audit').textContent = JSON.stringify(stable ? { ...report.audit, time: '(hidden in stable mode)' } : report.audit, null, 2);
}

function signalItem(signal) {
  const value = signal.value === null ? '–' : signal.value.toFixed(4);
  return element('li', { className: signal.flagged ? 'flagged' : '' }, [
    element('strong', { textContent: `${signal.id} ${value}${signal.flagged ? ' ⚑ flagged' : ''}` }),
    element('span', { textContent: ` — ${signal.detail}` }),
  ]);
}

/**
 * The outcome of an attack: the CAD flip, the guard's verdict with provenance, the statistical signals' own verdict.
 * @param {object} outcome
 * @param {string} outcome.title e.g. 'Square attack (eps 8/255, 40 queries)'
 * @param {import('../dist/index.js').Report} outcome.clean the clean image's report
 * @param {import('../dist/index.js').Report} outcome.attacked checked with the clean image's hash (provenance)
 * @param {import('../dist/index.js').Report} outcome.statistical checked without a hash (statistical signals only)
 * @param {{gain: number, differing: number, fraction: number, maxChange: number}} outcome.difference
 */
export function renderAttack({ title, clean, attacked, statistical, difference }) {
  const flipped = clean.cad.positive !== attacked.cad.positive;
  const provenance = attacked.integrity.signals.find((s) => s.id === 'provenance');
  const section = $('attack-result');
  section.hidden = false;
  section.dataset.verdict = attacked.integrity.verdict;
  $('attack-title').textContent = title;
  const caught = attacked.integrity.verdict !== 'pass';
  const headline = $('attack-headline');
  headline.className = `decision ${attacked.decision}`;
  headline.dataset.decision = attacked.decision;
  headline.textContent = `${flipped ? 'CAD FLIPPED' : 'CAD not flipped'} · ${caught ? 'CAUGHT' : 'NOT CAUGHT'}: ${attacked.integrity.verdict} → ${attacked.decision.toUpperCase()}`;
  definitionList($('attack-summary'), [
    ['CAD before', cadText(clean.cad)],
    ['CAD after', cadText(attacked.cad)],
    ['Guard verdict', `${attacked.integrity.verdict} → decision ${attacked.decision}`],
    ['Provenance', provenance?.flagged ? 'pixels differ from the archived original (SHA-256 mismatch)' : 'pixels match the archived original'],
    ['Statistical signals alone', `${statistical.integrity.verdict} (${statistical.integrity.signals.filter((s) => s.flagged).map((s) => s.id).join(', ') || 'none flagged'})`],
    ['Changed pixels', `${difference.differing.toLocaleString('en')} (${(difference.fraction * 100).toFixed(2)} %), largest change ${difference.maxChange} stored units`],
  ]);
  $('diff-caption').textContent = `Attacked vs original, differences amplified ×${difference.gain} before pixelmatch (threshold 0.1): red where the attacked image is brighter, blue where darker.`;
}
