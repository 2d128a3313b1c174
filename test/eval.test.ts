// cadguard-eval, the CLI that runs the built SDK in headless Chromium over a labelled folder. The runs happen on
// the Node side (test/support/eval-command.mjs writes a synthetic folder and starts the CLI); the metrics module is
// plain ESM and is also tested here directly.
import { executeServerCommand } from '@web/test-runner-commands';
import { aucMannWhitney, summarise, type ResultRow, type Summary } from '../bin/lib/metrics.mjs';
import { assert, assertClose } from './support/helpers.js';

interface EvalRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outExists: boolean;
  results: { summary: Summary; rows: ResultRow[]; meta: Record<string, any> } | null;
  leftovers: string[];
}

const runEval = (csv: string, args: string[] = []) => executeServerCommand<EvalRun, { csv: string; args: string[] }>('cadguard-eval', { csv, args });

const labelsCsv = [
  'file,label,tampered,source,site',
  'normal-a.png,normal,0,,north',
  'normal-b.png,normal,,,south',
  'benign-a.png,Benign,0,,north',
  'malignant-a.png,malignant,0,,north',
  'unknown-a.png,unknown,0,,north',
  'tampered/normal-a-disc.png,normal,1,normal-a.png,north',
  '"tampered/malignant-a-disc.png",malignant,1,malignant-a.png,"north, annex"',
  'not-an-image.png,unknown,0,,south',
].join('\r\n');

const sameKeys = (value: object, keys: string[]) => JSON.stringify(Object.keys(value).sort()) === JSON.stringify([...keys].sort());

/** Pairwise AUC, written independently of metrics.mjs. */
function pairwiseAuc(positives: number[], negatives: number[]): number | null {
  if (!positives.length || !negatives.length) return null;
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

function assertSame(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) assert(actual === null, `${what}: ${actual} vs null`);
  else assertClose(actual as number, expected, 1e-12, what);
}

describe('cadguard-eval', () => {
  let run: EvalRun;
  before(async () => {
    run = await runEval(labelsCsv);
  });

  it('runs every row in the browser and writes the documented schema', () => {
    assert(run.exitCode === 0, `exit ${run.exitCode}: ${run.stderr}`);
    const results = run.results!;
    assert(sameKeys(results, ['summary', 'rows', 'meta']), `top-level keys ${Object.keys(results)}`);
    const { summary, rows } = results;
    assert(sameKeys(summary, ['n', 'backend', 'cad', 'integrity', 'flips']), `summary keys ${Object.keys(summary)}`);
    assert(sameKeys(summary.cad, ['aucAbnormal', 'aucMalignant', 'sensitivity', 'specificity']), `cad keys ${Object.keys(summary.cad)}`);
    assert(sameKeys(summary.integrity, ['fprClean', 'tprTampered', 'auc']), `integrity keys ${Object.keys(summary.integrity)}`);
    assert(sameKeys(summary.flips, ['unguardedFlipRate', 'undetectedFlipRate']), `flips keys ${Object.keys(summary.flips)}`);
    assert(summary.n === 8 && rows.length === 8 && summary.backend === 'wasm', `n ${summary.n}, rows ${rows.length}, backend ${summary.backend}`);
    const rowKeys = ['file', 'label', 'tampered', 'source', 'score', 'positive', 'integrityScore', 'verdict', 'decision', 'backend', 'ms', 'error'];
    for (const row of rows) assert(rowKeys.every((key) => key in row), `row ${row.file} keys ${Object.keys(row)}`);
    assert(rows.map((row) => row.file).join() === labelsCsv.split('\r\n').slice(1).map((line) => line.split(',')[0].replaceAll('"', '')).join(), 'rows in CSV order');
    const counts = Object.fromEntries(['normal', 'benign', 'malignant', 'unknown'].map((label) => [label, rows.filter((row) => row.label === label).length]));
    assert(JSON.stringify(counts) === '{"normal":3,"benign":1,"malignant":2,"unknown":2}', `labels counted ${JSON.stringify(counts)}`);
    assert(rows.filter((row) => row.tampered).length === 2 && rows[5].source === 'normal-a.png', 'tampered and source read');
    assert(!run.leftovers.length, `no temp files left: ${run.leftovers}`);
    assert(run.stderr.includes('8/8'), `progress on stderr: ${run.stderr}`);
    // The fixture manifest has no calibration: said once at start, not discovered row by row.
    assert(/warning: no image can pass: the manifest has no integrity calibration/.test(run.stderr), `start-up warning: ${run.stderr}`);
  });

  it('checks 8- and 16-bit PNGs and records a failed check as a row error', () => {
    const { rows, summary } = run.results!;
    for (const row of rows.filter((r) => r.file !== 'not-an-image.png')) {
      assert(row.error === null && row.score !== null && row.score >= 0 && row.score <= 1, `${row.file}: score ${row.score}, error ${row.error}`);
      assert(row.backend === 'wasm' && row.verdict !== null && row.decision !== null && row.ms !== null && row.ms >= 0, `${row.file} fields`);
      assert(row.positive === (row.score >= 0.5), `${row.file}: positive at the fixture manifest's threshold 0.5`);
    }
    const failed = rows.find((r) => r.file === 'not-an-image.png')!;
    assert(failed.error === 'unsupported-format' && failed.score === null && failed.verdict === null && failed.decision === null, JSON.stringify(failed));
    assert(run.results!.meta.errors === 1, `errors ${run.results!.meta.errors}`);
  });

  it('computes the summary from the rows as documented', () => {
    const { rows, summary } = run.results!;
    const cadRows = rows.filter((r) => !r.tampered && r.label !== 'unknown' && r.score !== null);
    const scoresOf = (list: ResultRow[]) => list.map((r) => r.score as number);
    const abnormal = cadRows.filter((r) => r.label === 'benign' || r.label === 'malignant');
    const normal = cadRows.filter((r) => r.label === 'normal');
    assert(abnormal.length === 2 && normal.length === 2, 'tampered and unknown rows stay out of the CAD metrics');
    assertSame(summary.cad.aucAbnormal, pairwiseAuc(scoresOf(abnormal), scoresOf(normal)), 'aucAbnormal');
    assertSame(summary.cad.aucMalignant, pairwiseAuc(scoresOf(cadRows.filter((r) => r.label === 'malignant')), scoresOf(cadRows.filter((r) => r.label !== 'malignant'))), 'aucMalignant');
    assertSame(summary.cad.sensitivity, abnormal.filter((r) => r.positive).length / 2, 'sensitivity');
    assertSame(summary.cad.specificity, normal.filter((r) => !r.positive).length / 2, 'specificity');
    for (const value of Object.values(summary.cad)) assert(value === null || (value >= 0 && value <= 1), `cad metric ${value}`);

    const clean = rows.filter((r) => !r.tampered);
    const tampered = rows.filter((r) => r.tampered);
    assertSame(summary.integrity.fprClean, clean.filter((r) => r.verdict !== 'pass').length / clean.length, 'fprClean (the failed check counts as not pass)');
    assertSame(summary.integrity.tprTampered, tampered.filter((r) => r.verdict !== 'pass').length / tampered.length, 'tprTampered');
    const scored = rows.filter((r) => r.integrityScore !== null);
    assertSame(summary.integrity.auc, pairwiseAuc(scored.filter((r) => r.tampered).map((r) => r.integrityScore!), scored.filter((r) => !r.tampered).map((r) => r.integrityScore!)), 'integrity auc');
    assert(summary.integrity.auc === null || (summary.integrity.auc >= 0 && summary.integrity.auc <= 1), `integrity auc ${summary.integrity.auc}`);

    const byFile = new Map(rows.map((r) => [r.file, r]));
    const flipped = tampered.filter((r) => r.positive !== byFile.get(r.source!)!.positive);
    assertSame(summary.flips.unguardedFlipRate, flipped.length / 2, 'unguardedFlipRate from the source rows');
    assertSame(summary.flips.undetectedFlipRate, flipped.filter((r) => r.verdict === 'pass').length / 2, 'undetectedFlipRate');
  });

  it('records the run: command line, browser, backend info and model identities', () => {
    const { meta } = run.results!;
    assert(meta.command[0] === 'cadguard-eval' && meta.command.includes('--labels'), `command ${meta.command}`);
    assert(/Chrom/.test(meta.browser.version) && meta.browser.crossOriginIsolated === true, JSON.stringify(meta.browser));
    assert(meta.guard.backend === 'wasm' && meta.backendRequested === 'wasm', JSON.stringify(meta.guard));
    assert(meta.guard.models[0].id === 'tiny-classifier' && /^[0-9a-f]{64}$/.test(meta.guard.models[0].sha256), 'model id and hash');
    assert(!Number.isNaN(Date.parse(meta.startedAt)) && !Number.isNaN(Date.parse(meta.finishedAt)), 'times');
  });

  it('serves a manifest given as a file path from its own folder', async () => {
    const small = await runEval('file,label\nnormal-a.png,normal\nmalignant-a.png,malignant\n', ['--manifest', 'test/fixtures/models/manifest.json']);
    assert(small.exitCode === 0, `exit ${small.exitCode}: ${small.stderr}`);
    assert(small.results!.summary.n === 2 && small.results!.meta.guard.models[0].id === 'tiny-classifier', 'ran on the fixture models');
    assert(small.results!.summary.cad.aucMalignant !== null && small.results!.summary.flips.unguardedFlipRate === null, 'no tampered rows: flips null');
  });

  it('exits non-zero and writes nothing when a listed file is missing', async () => {
    const missing = await runEval('file,label\nnormal-a.png,normal\nabsent.png,malignant\n');
    assert(missing.exitCode === 2, `exit ${missing.exitCode}: ${missing.stderr}`);
    assert(missing.stderr.includes('absent.png') && missing.stderr.includes('line 3'), `the message names the file: ${missing.stderr}`);
    assert(!missing.outExists && !missing.leftovers.length, 'no output written');
  });

  it('exits non-zero with a clear message for a bad CSV', async () => {
    const cases: [string, RegExp][] = [
      ['file,label\nnormal-a.png,cancer\n', /line 2: label "cancer" is not one of normal, benign, malignant, unknown/],
      ['name,label\nnormal-a.png,normal\n', /no "file" column/],
      ['file,label,tampered\nnormal-a.png,normal,yes\n', /tampered "yes" is not 0 or 1/],
      ['file,label,tampered,source\ntampered/normal-a-disc.png,normal,1,normal-a.png\n', /source "normal-a.png" is not a row/],
      ['file,label\nnormal-a.png,normal\nnormal-a.png,benign\n', /listed twice/],
      ['file,label\n"normal-a.png,normal\n', /never closed/],
      ['file,label\n../labels.csv,normal\n', /not a file inside/],
      ['', /empty/],
    ];
    for (const [csv, message] of cases) {
      const bad = await runEval(csv);
      assert(bad.exitCode === 2 && message.test(bad.stderr), `${JSON.stringify(csv)}: exit ${bad.exitCode}, ${bad.stderr}`);
      assert(!bad.outExists, `${JSON.stringify(csv)}: no output written`);
    }
  });

  it('exits non-zero when Chromium is missing or will not start', async () => {
    const csv = 'file,label\nnormal-a.png,normal\n';
    const absent = await runEval(csv, ['--chrome', '/nonexistent/chromium']);
    assert(absent.exitCode === 2 && /Chromium not found at \/nonexistent\/chromium \(from --chrome\)/.test(absent.stderr), `${absent.exitCode}: ${absent.stderr}`);
    const broken = await runEval(csv, ['--chrome', '/bin/false']);
    assert(broken.exitCode === 1 && /would not start/.test(broken.stderr) && /nothing was written/.test(broken.stderr), `${broken.exitCode}: ${broken.stderr}`);
    assert(!absent.outExists && !broken.outExists && !broken.leftovers.length, 'no output written');
  });

  it('rejects an unknown backend and option', async () => {
    const csv = 'file,label\nnormal-a.png,normal\n';
    const backend = await runEval(csv, ['--backend', 'cuda']);
    assert(backend.exitCode === 2 && /--backend "cuda" is not one of auto, webgpu, wasm/.test(backend.stderr), backend.stderr);
    const option = await runEval(csv, ['--bogus']);
    assert(option.exitCode === 2 && /bogus/.test(option.stderr), option.stderr);
  });
});

describe('cadguard-eval metrics', () => {
  it('computes AUC by Mann-Whitney with ties counting one half', () => {
    assertSame(aucMannWhitney([0.9, 0.5], [0.5, 0.1]), 0.875, 'one tie');
    assertSame(aucMannWhitney([1, 1], [1]), 0.5, 'all tied');
    assertSame(aucMannWhitney([0.2], [0.3, 0.4]), 0, 'all wrong');
    assertSame(aucMannWhitney([0.8, 0.3, 0.3, 0.6], [0.3, 0.1, 0.6]), pairwiseAuc([0.8, 0.3, 0.3, 0.6], [0.3, 0.1, 0.6]), 'several ties');
    assert(aucMannWhitney([], [0.1]) === null && aucMannWhitney([0.1], []) === null, 'null without both classes');
  });

  it('counts failed checks as not pass, keeps them out of AUCs, and nulls what it cannot compute', () => {
    const row = (file: string, label: ResultRow['label'], score: number | null, verdict: ResultRow['verdict'], extra: Partial<ResultRow> = {}): ResultRow => ({
      file, label, tampered: false, source: null, score, positive: score === null ? null : score >= 0.5,
      integrityScore: score === null ? null : 1 - score, verdict, decision: null, backend: score === null ? null : 'wasm', ms: 1,
      error: score === null ? 'decode-failed' : null, ...extra,
    });
    const rows = [
      row('n1', 'normal', 0.2, 'pass'),
      row('n2', 'normal', 0.6, 'suspicious'),
      row('b1', 'benign', 0.7, 'pass'),
      row('x1', 'normal', null, null),
      row('t1', 'unknown', 0.9, 'pass', { tampered: true, source: 'n1' }),
      row('t2', 'unknown', null, null, { tampered: true, source: 'n2' }),
    ];
    const summary = summarise(rows, 'webgpu');
    assert(summary.n === 6 && summary.backend === 'wasm', JSON.stringify(summary));
    assertSame(summary.cad.aucAbnormal, 1, 'aucAbnormal over n1, n2 vs b1');
    assertSame(summary.cad.aucMalignant, null, 'no malignant rows');
    assertSame(summary.cad.sensitivity, 1, 'sensitivity');
    assertSame(summary.cad.specificity, 0.5, 'specificity');
    assertSame(summary.integrity.fprClean, 2 / 4, 'fprClean: n2 and the failed x1');
    assertSame(summary.integrity.tprTampered, 1 / 2, 'tprTampered: only the failed t2');
    assertSame(summary.integrity.auc, pairwiseAuc([0.1], [0.8, 0.4, 0.3]), 'integrity auc over scored rows');
    assertSame(summary.flips.unguardedFlipRate, 1, 't1 flipped from n1; t2 has no result to compare');
    assertSame(summary.flips.undetectedFlipRate, 1, 't1 flipped and passed');
    assert(summarise([row('x', 'normal', null, null)], 'webgpu').backend === 'webgpu', 'backend from info when no row ran');
  });
});
