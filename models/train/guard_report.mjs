#!/usr/bin/env node
// Turns cadguard-eval results (the SDK itself, in Chromium, from files) into the detector card's figures: per attack
// family and eps, the unguarded flip rate, the guard's AUC and TPR at its calibrated thresholds, the undetected-flip
// rate, the clean false-positive rate with its exact 95 % CI, and the false-positive rate on clean images of
// simulated other sources. Run by models/train/evaluate_guard.sh; writes JSON and models/DETECTOR_CARD.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clopperPearson } from '../../bin/lib/calibration.mjs';
import { parseCsvRecords } from '../../bin/lib/csv.mjs';
import { aucMannWhitney } from '../../bin/lib/metrics.mjs';

const { values: args } = parseArgs({
  options: {
    'test-results': { type: 'string' },
    'test-labels': { type: 'string' },
    'sources-results': { type: 'string' },
    'sources-labels': { type: 'string' },
    'requantised-results': { type: 'string' },
    'requantised-labels': { type: 'string' },
    manifest: { type: 'string', default: 'models/manifest.json' },
    torch: { type: 'string', default: 'models/train/results/detector_torch_metrics.json' },
    adaptive: { type: 'string', default: 'models/train/results/detector_adaptive.json' },
    'adaptive-results': { type: 'string' },
    'adaptive-labels': { type: 'string' },
    'content-adaptive': { type: 'string', default: 'models/train/results/content_adaptive.json' },
    'content-adaptive-results': { type: 'string' },
    'content-adaptive-labels': { type: 'string' },
    'noise-masking-results': { type: 'string' },
    'noise-masking-labels': { type: 'string' },
    'out-json': { type: 'string', default: 'models/train/results/guard_sdk_eval.json' },
    'out-card': { type: 'string', default: 'models/DETECTOR_CARD.md' },
    command: { type: 'string', default: 'bash models/train/evaluate_guard.sh' },
    'calibration-sources': { type: 'string', default: 'archived-16bit,ffdm-12bit-lownoise,ffdm-14bit-processed,film-8bit-jpeg90' },
  },
});

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
// The families train_detector.py kept out of training (attacks/suite.py HELD_OUT), as its run recorded them.
const HELD_OUT = existsSync(args.torch) ? new Set(readJson(args.torch).held_out_families ?? []) : null;

/** labels.csv with all its columns, by file. */
function readLabels(path) {
  const [header, ...records] = parseCsvRecords(readFileSync(path, 'utf8')).map((r) => r.fields);
  return new Map(records.map((fields) => [fields[header.indexOf('file')], Object.fromEntries(header.map((h, i) => [h, fields[i] ?? '']))]));
}

const notPass = (row) => row.error !== null || row.verdict !== 'pass';
const pct = (x) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)} %`);
const num = (x, digits = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));
const ci = ([low, high]) => `${pct(low)}-${pct(high)}`;

/** The raw signals a report row carries, in the order the card lists them. */
const SIGNALS = ['squeeze', 'noise', 'texture', 'seam', 'seamEdge', 'residual', 'content'];

/** Each signal alone, raw value against the clean images: which one carries the detection of a family. */
function signalAuc(rows, clean) {
  const values = (list, name) => list.map((r) => r.signals?.[name]).filter((v) => typeof v === 'number' && Number.isFinite(v));
  return Object.fromEntries(SIGNALS.map((name) => [name, aucMannWhitney(values(rows, name), values(clean, name))]));
}

function groupStats(rows, clean, byFile) {
  const scores = (list) => list.filter((r) => r.integrityScore !== null).map((r) => r.integrityScore);
  const flipped = rows.filter((r) => r.positive !== null && byFile.get(r.source)?.positive != null && r.positive !== byFile.get(r.source).positive);
  return {
    n: rows.length,
    unguardedFlipRate: rows.length ? flipped.length / rows.length : null,
    auc: aucMannWhitney(scores(rows), scores(clean)),
    tprSuspicious: rows.length ? rows.filter(notPass).length / rows.length : null,
    tprTampered: rows.length ? rows.filter((r) => r.error !== null || r.verdict === 'tampered').length / rows.length : null,
    undetectedFlipRate: rows.length ? flipped.filter((r) => !notPass(r)).length / rows.length : null,
  };
}

/** Per-family figures of one evaluated attacked set. */
function attackedSet(resultsPath, labelsPath) {
  const test = readJson(resultsPath);
  const labels = readLabels(labelsPath);
  const rows = test.rows.map((row) => ({ ...row, ...labels.get(row.file), tampered: row.tampered }));
  const byFile = new Map(rows.map((r) => [r.file, r]));
  const clean = rows.filter((r) => !r.tampered);
  const attacked = rows.filter((r) => r.tampered);
  const cleanFp = clean.filter(notPass).length;

  const groups = new Map();
  for (const row of attacked) {
    const key = row.family === 'pgd_linf' ? `pgd_linf eps ${row.eps}/255` : row.family;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(row);
  }
  const families = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([key, list]) => ({
      family: key,
      heldOut: HELD_OUT ? HELD_OUT.has(list[0].family) : null,
      ...groupStats(list, clean, byFile),
      signalAuc: signalAuc(list, clean),
      byDirection: Object.fromEntries(['pos2neg', 'neg2pos'].map((d) => [d, groupStats(list.filter((r) => r.direction === d), clean, byFile)])),
    }));
  const overall = groupStats(attacked, clean, byFile);
  return { test, rows, byFile, clean: { n: clean.length, falsePositives: cleanFp, fpr: clean.length ? cleanFp / clean.length : null, ci95: clopperPearson(cleanFp, clean.length) }, overall, families };
}

/** The adaptive attack's delivered images through the whole SDK guard, per eps (flip measured by the SDK itself). */
function adaptiveThroughGuard(resultsPath, labelsPath) {
  const { rows, byFile, clean, overall } = attackedSet(resultsPath, labelsPath);
  const eps = [...new Set(rows.filter((r) => r.tampered).map((r) => Number(r.eps)))].sort((a, b) => a - b);
  return {
    clean,
    overall,
    byEps: eps.map((e) => ({ eps: e, ...groupStats(rows.filter((r) => r.tampered && Number(r.eps) === e), rows.filter((r) => !r.tampered), byFile) })),
  };
}

/** noise_masking_probe.py's folder through the whole SDK guard: PGD L-inf images with and without added noise, per eps. */
function noiseMaskingThroughGuard(resultsPath, labelsPath) {
  const { rows, byFile, clean } = attackedSet(resultsPath, labelsPath);
  const cleanRows = rows.filter((r) => !r.tampered);
  // Without noise first, then by noise amplitude and eps.
  const noiseOf = (family) => Number(family.split('+noise')[1] ?? 0);
  const keys = [...new Set(rows.filter((r) => r.tampered).map((r) => `${r.family}|${r.eps}`))]
    .sort((a, b) => noiseOf(a.split('|')[0]) - noiseOf(b.split('|')[0]) || Number(a.split('|')[1]) - Number(b.split('|')[1]));
  return {
    clean,
    groups: keys.map((key) => {
      const [family, eps] = key.split('|');
      return { family, eps: Number(eps), ...groupStats(rows.filter((r) => r.tampered && r.family === family && r.eps === eps), cleanRows, byFile) };
    }),
  };
}

function main() {
  const { test, clean, overall, families } = attackedSet(args['test-results'], args['test-labels']);
  const requantised = args['requantised-results'] && existsSync(args['requantised-results']) ? attackedSet(args['requantised-results'], args['requantised-labels']) : null;

  let sources = null;
  if (args['sources-results'] && existsSync(args['sources-results'])) {
    const variants = readJson(args['sources-results']);
    const variantLabels = readLabels(args['sources-labels']);
    const bySource = new Map();
    const calibrated = new Set(args['calibration-sources'].split(','));
    for (const row of variants.rows) {
      const family = variantLabels.get(row.file)?.family ?? 'unknown';
      if (!bySource.has(family)) bySource.set(family, []);
      bySource.get(family).push(row);
    }
    sources = [...bySource.entries()].map(([source, list]) => {
      const fp = list.filter(notPass).length;
      return { source, inCalibration: calibrated.has(source), n: list.length, fpr: fp / list.length, ci95: clopperPearson(fp, list.length) };
    });
    const all = variants.rows;
    const fp = all.filter(notPass).length;
    sources.push({ source: 'all simulated sources', inCalibration: null, n: all.length, fpr: fp / all.length, ci95: clopperPearson(fp, all.length) });
  }

  const manifest = readJson(args.manifest);
  const torch = existsSync(args.torch) ? readJson(args.torch) : null;
  const adaptive = existsSync(args.adaptive) ? readJson(args.adaptive) : null;
  const adaptiveGuard = args['adaptive-results'] && existsSync(args['adaptive-results']) ? adaptiveThroughGuard(args['adaptive-results'], args['adaptive-labels']) : null;
  const contentAdaptive = existsSync(args['content-adaptive']) ? readJson(args['content-adaptive']) : null;
  const contentAdaptiveGuard = args['content-adaptive-results'] && existsSync(args['content-adaptive-results'])
    ? adaptiveThroughGuard(args['content-adaptive-results'], args['content-adaptive-labels']) : null;
  const noiseMasking = args['noise-masking-results'] && existsSync(args['noise-masking-results'])
    ? noiseMaskingThroughGuard(args['noise-masking-results'], args['noise-masking-labels']) : null;
  const result = {
    command: args.command,
    sdk: { backend: test.summary.backend, browser: test.meta.browser?.version, models: test.meta.guard?.models },
    calibration: manifest.integrity ?? null,
    clean,
    overall,
    families,
    requantised: requantised && { clean: requantised.clean, overall: requantised.overall, families: requantised.families },
    sources,
    adaptiveGuard,
    contentAdaptiveGuard,
    noiseMasking,
    summary: test.summary,
  };
  writeFileSync(args['out-json'], `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(args['out-card'], card(result, torch, adaptive, contentAdaptive));
  process.stderr.write(`guard_report: wrote ${args['out-json']} and ${args['out-card']}\n`);
}

function card(result, torch, adaptive, contentAdaptive) {
  const { clean, overall, families, sources, calibration } = result;
  const lines = [];
  const table = (header, body) => {
    lines.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
    for (const row of body) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  };
  lines.push(
    '# cadguard integrity guard — detector card',
    '',
    '**Research/evaluation build. Not a medical device.** The classifier it protects and its learned detector were',
    'trained on mini-MIAS, a small research-only data set of digitised film (see MODEL_CARD.md). Every figure below',
    `comes from the SDK itself (cadguard-eval in headless Chromium, backend ${result.sdk.backend}) on files, and is`,
    `rebuilt by \`${result.command}\`. Test patients only; no test image was used for training or calibration.`,
    '',
    '## What the guard computes',
    '',
    '- **Feature squeezing** (Xu et al., NDSS 2018): the largest change of the CAD score under a 3x3 median and a 5-bit',
    '  reduction of the model tensor; the squeezed variants run as one batch when the classifier takes one (the bundled classifier takes one: one more run, of a batch of two). Model-agnostic.',
    '- **Noise consistency**: tile by tile, the image\'s own noise level against what its other tiles predict at that',
    '  intensity; the largest 2x2-tile deviation in robust units. The noise is measured with a residual that cancels',
    '  edges along rows and columns (film borders, burnt-in labels) and from the quietest quarter of each tile (tiles',
    '  of 64 px or more, on images of about 4,100 px, read at every floor(tile/32)-th residual each way). Off the',
    '  breast only a too-smooth tile counts (burnt-in letters with diagonal strokes read as noise). Also the tamper',
    '  heatmap shown by the demo.',
    '- **Noise texture**: tile by tile, the lag-1 correlation of the high-pass residual (the grain) against what the',
    '  same image\'s breast tiles of similar intensity show: their median, lowered towards the median of their flatter',
    '  40 % (least residual energy: there the residual is the noise alone, so a chain whose noise is whiter than its',
    '  structure, like an interpolating low-resolution digitiser, is judged by its own noise) by at most twice the',
    '  image\'s median such gap (so a fill with weaker noise does not become its own reference); the largest 3x3-tile mean',
    '  amount by which it is whiter, in robust units. Only tiles on the breast count (an unexposed film base has a grain',
    '  of its own), and 3x3, not 2x2: a tile\'s correlation is a noisy estimate and a removal covers more than four',
    '  tiles. Aimed at inpainting, whose fill carries the forger\'s (white) noise. Its map joins the heatmap.',
    '- **Blend seam**: a patch pasted with a soft edge is, in its feather, a weighted mix of two independent noises,',
    '  whose variance drops to half in the feather\'s middle: a ring quieter than just inside and outside it. The',
    '  search judges every ring of radius 32-224 px (at 1,024 px; scaled with the image) centred on the breast: the',
    '  noise is each pixel\'s |3x3 residual| over the image\'s median at that intensity (capped at 4), summed in cells;',
    '  a ring\'s dip is its feather\'s mean against its sides\' in each of 8 sectors, the third weakest of the 8 (a',
    '  vessel or an edge crossing it touches a few sectors, a seam runs all round); the value is the deepest dip of a',
    '  ring wholly on the breast, in robust units of all such rings of that radius in the same image (the image sets',
    '  its own chance level), the largest over radii. Aimed at lesion transplants (models/train/seam_probe.py shows',
    '  the dip at the transplant\'s own circle). Its ring joins the heatmap.',
    '- **Blend seam at the skin line** (`seamEdge`, from the same search): a ring partly off the breast (a large paste',
    '  near the skin line) is judged on the sectors whose feather and at least one side lie on it, if 6 or more,',
    '  against the rings judged on as many (fewer sectors dip further by chance); the deepest such ring is a signal',
    '  of its own, calibrated apart: its clean tail is wider, and on one scale it would cost the whole rings theirs.',
    '- **Learned residual detector** (`cadguard-detector`, when present in the manifest): a small fully convolutional',
    '  network behind a fixed high-pass filter bank, on the classifier\'s tensor; score and tamper heatmap.',
    '- **Learned content detector** (`cadguard-content`, when present): the same kind of network, shorter, on the',
    '  display image at its full resolution (256-px tiles), trained on fills of the inpainting GAN below',
    '  (models/train/train_content.py; a research model, mini-MIAS train images); the largest 3x3 mean of its cell',
    '  logits over the tiles that hold breast (the others do not run). Its cells join the heatmap.',
    '- **Provenance**: `check(image, {expectedPixelSha256})`; a mismatch is `tampered` whatever the rest says.',
    '- **Fusion**: each signal standardised by its own clean upper tail (z = -log10 of the estimated share of clean',
    '  calibration images at or above the value; docs/calibrate.md); the fused score is the largest. Thresholds:',
    '  `suspicious` for a 1 % and `tampered` for a 0.1 % false-positive rate on the calibration images',
    '  (cadguard-calibrate; see docs/calibrate.md). Decision: `withhold` when tampered, `review` when suspicious,',
    '  `show` otherwise (configurable; never `show` for tampered).',
    '',
  );
  if (calibration) {
    lines.push('## Calibration', '');
    lines.push(`${calibration.calibration.images} clean images; thresholds suspicious ${num(calibration.thresholds.suspicious, 2)}, tampered ${num(calibration.thresholds.tampered, 2)}.`);
    for (const warning of calibration.calibration.warnings ?? []) lines.push(`- Warning: ${warning}`);
    lines.push('');
  }
  lines.push('## Headline', '');
  table(
    ['figure', 'value'],
    [
      ['attacked test images', String(overall.n)],
      ['unguarded flip rate (attack changed the CAD decision)', pct(overall.unguardedFlipRate)],
      ['**undetected-flip rate** (flipped AND passed the guard)', `**${pct(overall.undetectedFlipRate)}**`],
      ['guard TPR at the suspicious threshold (all attacks)', pct(overall.tprSuspicious)],
      ['guard AUC (all attacks vs clean)', num(overall.auc)],
      ['clean test images flagged (false-positive rate)', `${pct(clean.fpr)} (${clean.falsePositives}/${clean.n}; 95 % CI ${ci(clean.ci95)})`],
    ],
  );
  lines.push('For comparison, in Zhou et al. (Nature Communications 2021) 69.1 % of GAN manipulations fooled the unguarded model.', '');
  lines.push('## Per attack family', '', 'Held-out families were never seen by either learned detector in training. Square is not held out: the residual',
    'detector trains on random perturbations of its shape (stripes and squares of +-eps, no classifier queries), not on',
    'attack runs. `gan_removal` is not held out: the content detector trains on fills of the same generator (train',
    'images, random places), so its row measures a KNOWN generator. `gan_grain_removal` is a second GAN no detector',
    'has seen (models/train/attacks/grain_gan.py: gated convolutions, trained to give its fill the film\'s grain): it',
    'measures an UNKNOWN generator made by a forger who has read this card.', '');
  table(
    ['family', 'held out', 'n', 'unguarded flip', 'AUC', 'TPR (suspicious)', 'TPR (tampered)', 'undetected flip'],
    families.map((f) => [f.family, f.heldOut === null ? '?' : f.heldOut ? 'yes' : 'no', String(f.n), pct(f.unguardedFlipRate), num(f.auc), pct(f.tprSuspicious), pct(f.tprTampered), pct(f.undetectedFlipRate)]),
  );
  lines.push('## Which signal carries the detection', '',
    'Each signal alone: the AUC of its raw value on a family\'s attacked images against the clean test images (0.5: it',
    'cannot tell them apart; a signal the manifest lacks is n/a). The fused verdict above takes the largest calibrated z.', '');
  table(
    ['family', ...SIGNALS],
    families.map((f) => [f.family, ...SIGNALS.map((name) => num(f.signalAuc?.[name] ?? null, 2))]),
  );
  if (result.requantised) {
    const q = result.requantised;
    lines.push(
      '## The same attacks delivered at 8 bits',
      '',
      'Every attacked image rounded to the 8-bit grid of its film source (models/train/requantise_set.py), as a forger',
      'delivering an 8-bit file would: this shows how much of the detection rests on sub-8-bit detail.',
      `Overall: unguarded flip ${pct(q.overall.unguardedFlipRate)}, undetected flip ${pct(q.overall.undetectedFlipRate)}, TPR ${pct(q.overall.tprSuspicious)}, AUC ${num(q.overall.auc)}.`,
      '',
    );
    table(
      ['family', 'n', 'unguarded flip', 'AUC', 'TPR (suspicious)', 'undetected flip'],
      q.families.map((f) => [f.family, String(f.n), pct(f.unguardedFlipRate), num(f.auc), pct(f.tprSuspicious), pct(f.undetectedFlipRate)]),
    );
  }
  if (sources) {
    lines.push(
      '## Clean images from other (simulated) sources',
      '',
      'Test-split images re-rendered through simulated acquisition chains (models/train/make_source_variants.py). Sources',
      'marked "no" were never seen by the calibration: they stand for a scanner the guard meets for the first time.',
      'Every source renders the same test patients, so the pooled row\'s interval treats related images as independent:',
      'read it as optimistic.',
      '',
    );
    table(['source', 'in calibration', 'n', 'flagged', '95 % CI'], sources.map((s) => [s.source, s.inCalibration === null ? '' : s.inCalibration ? 'yes (other patients)' : 'no', String(s.n), pct(s.fpr), ci(s.ci95)]));
  }
  if (torch) lines.push('## Torch-side cross-check', '', 'models/train/results/detector_torch_metrics.json holds the same attacks scored in PyTorch (detector alone).', '');
  lines.push('## Adaptive attack', '');
  if (adaptive) {
    lines.push('`/usr/bin/python3 models/train/adaptive_attack.py --limit 10 --steps 10` (run by evaluate_guard.sh): a white-box PGD');
    lines.push('that also drives the learned detector and the squeezing disagreement down (BPDA for the median and');
    lines.push('bit-depth squeezers); the noise-consistency, noise-texture and blend-seam signals are not differentiable and are not targeted.', '');
    lines.push(`Loss: \`${adaptive.loss}\`; ${adaptive.steps} steps; ${adaptive.test_images?.length ?? '?'} test images; detector threshold ${num(adaptive.detector_threshold)} (${adaptive.threshold_rule}).`, '');
    table(
      ['eps', 'n', 'flips CAD', 'evades detector', 'both (success)', 'median squeeze'],
      (adaptive.by_eps ?? []).map((e) => [`${e.eps_255}/255`, String(e.n), pct(e.flip_rate), pct(e.detector_evasion_rate), pct(e.success_rate), num(e.squeeze_median)]),
    );
    lines.push(`Smallest eps with >= 50 % success: ${adaptive.eps50_255 === null ? 'none tested' : `${adaptive.eps50_255}/255`}. Not targeted: ${adaptive.not_targeted}.`, '');
    if (result.adaptiveGuard) {
      lines.push(
        'The same delivered images through the whole SDK guard (cadguard-eval, every signal, calibrated thresholds; the CAD',
        'flip is the SDK\'s own decision against the clean original\'s):',
        '',
      );
      table(
        ['eps', 'n', 'flips CAD', 'flagged by the guard', 'flipped AND passed (undetected flip)'],
        result.adaptiveGuard.byEps.map((e) => [`${e.eps}/255`, String(e.n), pct(e.unguardedFlipRate), pct(e.tprSuspicious), pct(e.undetectedFlipRate)]),
      );
    }
  } else {
    lines.push('Not run in this build (models/train/adaptive_attack.py).', '');
  }
  lines.push('## Adaptive attack on the content detector', '');
  if (contentAdaptive && result.contentAdaptiveGuard) {
    const t = contentAdaptive.thresholds;
    // A run with --limit attacks only the first images; say so rather than let n read as the whole test set.
    const ganTotal = result.families.find((f) => f.family === 'gan_removal')?.n;
    const attacked = contentAdaptive.images?.length;
    const which = ganTotal && attacked && attacked < ganTotal
      ? [`\`/usr/bin/python3 models/train/adaptive_content_attack.py --steps ${contentAdaptive.steps} --limit ${attacked}\`: the first ${attacked} of the ${ganTotal} \`gan_removal\``,
        'images of the test set (a run on all of them did not fit in the session that made this card), then a white-box PGD']
      : ['`/usr/bin/python3 models/train/adaptive_content_attack.py --steps 20` (run by evaluate_guard.sh): each `gan_removal`',
        'image of the test set, then a white-box PGD'];
    lines.push(
      ...which,
      '(L-inf, display units) on the 256-px tiles the fill reaches, driving the',
      'content detector\'s windows, the residual detector and the squeezing disagreement under the calibrated manifest\'s',
      `thresholds (content ${num(t.content)}, residual ${num(t.residual)}, squeeze ${num(t.squeeze)}) while keeping the CAD result negative.`,
      `Loss: \`${contentAdaptive.loss}\`; ${contentAdaptive.steps} steps. eps 0 is the GAN removal alone. Through the whole SDK guard`,
      '(cadguard-eval; the noise signals are not targeted and are free to catch it):',
      '',
    );
    table(
      ['eps', 'n', 'content under its threshold (torch)', 'flagged by the guard', 'flips CAD', 'flipped AND passed'],
      result.contentAdaptiveGuard.byEps.map((e) => {
        const below = contentAdaptive.content_below_threshold_by_eps[String(e.eps)];
        return [e.eps ? `${e.eps}/255` : '0 (fill only)', String(e.n), below === undefined ? '' : pct(below), pct(e.tprSuspicious), pct(e.unguardedFlipRate), pct(e.undetectedFlipRate)];
      }),
    );
    const half = result.contentAdaptiveGuard.byEps.find((e) => e.eps > 0 && e.tprSuspicious <= 0.5);
    lines.push(
      `Smallest eps at which >= 50 % of the fills pass the whole guard: ${half ? `${half.eps}/255` : 'none tested'}. The content`,
      'detector alone is no obstacle to a forger who has it: a change far below one 8-bit grey level on the fill\'s tiles (a',
      '16-bit delivery; an 8-bit one needs a whole level) erases the fill\'s trace. What flags fills at the smallest eps',
      'is the blend-seam signal, which the attack does not target (it is not differentiable): the GAN\'s circular fill is',
      'quieter in a ring just inside its rim than in its middle and outside it (the ring found is concentric with the',
      'fill, about 0.7 of its radius). A perturbation of a few grey levels adds noise over that ring too and hides it;',
      'a forger who knows of the signal needs no perturbation for that: noise shaped to the ring removes it. Few of',
      'these images flip the CAD result only because the classifier rarely calls the clean originals positive',
      '(MODEL_CARD.md).',
      '',
    );
  } else {
    lines.push('Not run in this build (models/train/adaptive_content_attack.py).', '');
  }
  lines.push('## Plain noise over a perturbation', '');
  const masking = result.noiseMasking;
  const noisy = masking?.groups.filter((g) => g.family !== 'pgd_linf') ?? [];
  const worstMasking = [...noisy].sort((a, b) => b.undetectedFlipRate - a.undetectedFlipRate)[0];
  if (masking) {
    lines.push(
      '`/usr/bin/python3 models/train/noise_masking_probe.py --write DIR --from <test folder>` (run by evaluate_guard.sh): the',
      'test set\'s PGD L-inf 1/255 and 2/255 images, and each again with uniform noise of +-4/255 or +-8/255 added over the',
      'breast afterwards (no gradient, no query), through the whole SDK guard (cadguard-eval; the CAD flip is the SDK\'s own',
      'decision against the clean original\'s):',
      '',
    );
    table(
      ['images', 'eps', 'n', 'flips CAD', 'flagged by the guard', 'flipped AND passed (undetected flip)'],
      masking.groups.map((g) => [g.family === 'pgd_linf' ? 'PGD' : `PGD + uniform noise +-${g.family.replace('pgd_linf+noise', '')}/255`, `${g.eps}/255`, String(g.n), pct(g.unguardedFlipRate), pct(g.tprSuspicious), pct(g.undetectedFlipRate)]),
    );
    lines.push(
      'Noise over the whole breast evens out the noise-consistency signal\'s tiles, so against this recipe the residual',
      'detector is what counts. It is trained with the scanners\' noise on clean images and, under the change, on half of',
      'the tampered ones: an earlier version, trained with it on clean images only, read noise as clean and let such',
      'noise hide the perturbation (models/train/README.md has the val study behind the change).',
      '',
    );
  } else {
    lines.push('Not run in this build (models/train/noise_masking_probe.py).', '');
  }
  const gan = families.find((f) => f.family === 'gan_removal');
  const grainGan = families.find((f) => f.family === 'gan_grain_removal');
  const transplantRow = families.find((f) => f.family === 'transplant');
  // inCalibration: false for an unseen source, null for the pooled row.
  const allSources = (sources ?? []).find((s) => s.inCalibration === null);
  const worstSource = (sources ?? []).filter((s) => s.inCalibration === false).sort((a, b) => b.fpr - a.fpr)[0];
  const hidden = result.contentAdaptiveGuard?.byEps.find((e) => e.eps > 0 && e.tprSuspicious <= 0.5);
  lines.push(
    '## What the guard does not stop',
    '',
    '- An attacker who knows the guard can optimise against its differentiable parts: the adaptive attack above evades',
    '  the learned detector almost always; what the whole guard makes of the same images is in the table after it.',
    ...(!worstMasking ? [] : worstMasking.undetectedFlipRate > 0
      ? [`- Nor is a gradient needed to weaken it: uniform noise added over a perturbed image (section "Plain noise over a`,
        `  perturbation") let ${pct(worstMasking.undetectedFlipRate)} of ${worstMasking.n} images (${worstMasking.eps}/255 + ${worstMasking.family.replace('pgd_linf+noise', '')}/255 noise) flip the CAD result and pass the guard.`]
      : [`- Uniform noise added over a perturbed image (section "Plain noise over a perturbation") let no flipped image pass`,
        `  here, but it still lowers what the guard flags (to ${pct(Math.min(...noisy.map((g) => g.tprSuspicious)))} at worst, ${worstMasking.n} images a recipe); other noise shapes and`,
        '  amounts were not tried.']),
    `- Lesion transplant (real tissue from another image of the same scanner, blended, noise matched): ${transplantRow ? `${pct(transplantRow.tprSuspicious)} of ${transplantRow.n} flagged (AUC ${num(transplantRow.auc)})` : 'not in this build'}.`,
    '  The blend-seam signal finds the feather of a mid-sized paste; one near or under the smallest ring searched (32 px',
    '  at 1,024 px) does not stand out from a clean image\'s chance dips, one whose ring crosses the skin line in more',
    '  than 2 of 8 sectors is not judged, and a forger who adds noise shaped to the feather, or',
    '  pastes with a hard edge, leaves no such ring. Removal by inpainting is caught by the noise-texture signal only',
    '  because the fill carries whiter noise than the image\'s own grain: a forger who synthesises grain-like',
    '  (correlated) noise evades it.',
    `- The small inpainting GAN (\`gan_removal\`, models/train/attacks/gan_inpaint.py: ${gan ? `${pct(gan.tprSuspicious)} flagged of ${gan.n}, AUC ${num(gan.auc)}` : 'not in this build'})`,
    '  is caught by the content detector, which was trained on that very generator\'s fills, and many of its fills also',
    '  by the blend-seam signal (a quieter ring just inside the fill\'s rim). That GAN is tiny (0.24 M',
    '  parameters, 14 min on 2 CPU cores) and its fills are visible to a reader; no study-grade GAN was built here. A',
    `  forger who has the content detector hides the fill from the whole guard with a perturbation of ${hidden ? `${hidden.eps}/255 (${pct(1 - hidden.tprSuspicious)} of ${hidden.n}` : 'unknown size (not measured in this build'}`,
    '  pass; section above).',
    `- A generator the content detector never saw is not caught by it: \`gan_grain_removal\` (models/train/attacks/grain_gan.py, a`,
    `  second small GAN with gated convolutions, trained to match the film's grain) ${grainGan ? `is flagged in ${pct(grainGan.tprSuspicious)} of ${grainGan.n} (AUC ${num(grainGan.auc)}; content detector alone AUC ${num(grainGan.signalAuc?.content ?? null, 2)}, blend seam alone ${num(grainGan.signalAuc?.seam ?? null, 2)})` : 'is not in this build'},`,
    '  through a quieter ring just inside its fill\'s rim that the blend-seam signal finds, not through what it',
    '  generates. The content detector learnt the first generator\'s traces, not inpainting as such: its `gan_removal`',
    '  row says nothing about another GAN (a study-grade one is not measured), and a generator whose fill keeps the',
    '  noise level up to its edge leaves no such ring.',
    '- The classifier it protects is weak (MODEL_CARD.md), so flip rates describe this classifier, not a clinical one.',
    '- Provenance only helps where the viewer has the archive\'s pixel hash.',
    ...(worstSource && worstSource.fpr > 0.01 ? [`- Clean images of sources the calibration never saw are flagged more often than its 1 %: ${worstSource.source}`,
      `  ${pct(worstSource.fpr)} (${Math.round(worstSource.fpr * worstSource.n)} of ${worstSource.n}; all simulated sources ${pct(allSources.fpr)} of ${allSources.n}).`] : []),
    '- All figures come from one small data set of digitised film (mini-MIAS) and from simulated other sources; clean',
    '  images from a real new scanner should be used to recalibrate (cadguard-calibrate) before relying on the rates.',
    '- The 0.1 % threshold cannot be verified on so few clean images: it is extrapolated (see Calibration).',
    '',
  );
  return `${lines.join('\n')}\n`;
}

main();
