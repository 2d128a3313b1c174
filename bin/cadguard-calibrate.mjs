#!/usr/bin/env node
// cadguard-calibrate: runs the built SDK over a folder of CLEAN images (a vendor's own, from their own scanners) and
// writes a manifest whose integrity thresholds hold the target false-positive rates on those images, with
// confidence intervals and a warning when the sample is too small for a target. docs/calibrate.md documents it.
//
// Exit codes: 0 written; 1 the run failed (browser, page, guard); 2 bad usage or input, or too few usable images.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { calibrate } from './lib/calibration.mjs';
import { UsageError, evaluate, packageRoot, parseToolArgs, prepareInputs, runMain, writeAtomically } from './lib/eval-run.mjs';

const usage = `Usage: cadguard-calibrate --images DIR --out manifest.json [options]

  --images DIR              clean images (PNG 8/16-bit, JPEG, DICOM); every file of the folder unless --labels
  --labels CSV              optional: the rows to use (file column; tampered rows are refused)
  --out FILE                the calibrated manifest to write (model files are copied next to it when not there)
  --manifest PATH           manifest to calibrate (default: dist/models/manifest.json); its integrity section is replaced
  --suspicious-fpr R        target false-positive rate of 'suspicious' (default 0.01)
  --tampered-fpr R          target false-positive rate of 'tampered' (default 0.001)
  --signals a,b             signals to calibrate (default: every signal the SDK reports, provenance excepted)
  --report FILE             also write the per-image signal values (JSON)
  --backend B, --chrome PATH, --allow-software-adapter   as for cadguard-eval
  -h, --help                this text

See docs/calibrate.md.`;

function parseCommandLine(argv) {
  const options = parseToolArgs(
    argv,
    {
      images: { type: 'string' },
      labels: { type: 'string' },
      out: { type: 'string' },
      manifest: { type: 'string' },
      'suspicious-fpr': { type: 'string', default: '0.01' },
      'tampered-fpr': { type: 'string', default: '0.001' },
      signals: { type: 'string' },
      report: { type: 'string' },
    },
    { backend: 'wasm', required: ['images', 'out'] },
  );
  if (options.help) return options;
  for (const name of ['suspicious-fpr', 'tampered-fpr']) {
    const rate = Number(options[name]);
    if (!(rate > 0 && rate < 0.5)) throw new UsageError(`--${name} must be a rate between 0 and 0.5, got ${options[name]}`);
  }
  return options;
}

/** The manifest file to start from, as JSON, and the folder its model paths are relative to. */
function readManifest(value) {
  const candidates = value ? [resolve(value), join(packageRoot, value.replace(/^\//, ''))] : [join(packageRoot, 'dist', 'models', 'manifest.json')];
  const file = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  if (!file) throw new UsageError(`manifest ${value ?? 'dist/models/manifest.json'} not found${value ? '' : ': run `npm run build` first'}`);
  try {
    return { file, json: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (error) {
    throw new UsageError(`manifest ${file} is not valid JSON: ${error.message}`);
  }
}

async function main(argv) {
  const startedAt = new Date().toISOString();
  const options = parseCommandLine(argv);
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const source = readManifest(options.manifest);
  const inputs = prepareInputs({ ...options, manifest: source.file });
  if (inputs.rows.some((row) => row.tampered)) throw new UsageError('calibration takes clean images only: the labels CSV has tampered rows');
  // Signal values in the reports are raw (before any calibration), so an already calibrated manifest can be recalibrated.
  const { rows, meta } = await evaluate(options, inputs, startedAt, 'cadguard-calibrate');
  const failed = rows.filter((row) => row.error !== null);
  let result;
  try {
    result = calibrate(
      rows.filter((row) => row.error === null).map((row) => ({ file: row.file, signals: row.signals })),
      {
        suspiciousRate: Number(options['suspicious-fpr']),
        tamperedRate: Number(options['tampered-fpr']),
        signals: options.signals ? options.signals.split(',').map((s) => s.trim()) : undefined,
        definitions: meta.signalDefinitions,
      },
    );
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (failed.length) result.calibration.warnings.push(`${failed.length} image(s) could not be checked and were left out: ${failed.slice(0, 5).map((r) => `${r.file} (${r.error})`).join(', ')}`);
  result.calibration.createdAt = meta.finishedAt;
  result.calibration.images_folder = inputs.imagesDir;
  result.calibration.backend = meta.guard.backend;

  const outPath = resolve(options.out);
  const manifest = { ...source.json, integrity: result };
  // A manifest resolves its model files relative to itself: models the new manifest's folder lacks are copied there.
  manifest.models = source.json.models.map((model) => {
    if (/^https?:/i.test(model.file) || isAbsolute(model.file)) return model;
    const from = resolve(dirname(source.file), model.file);
    const to = join(dirname(outPath), basename(model.file));
    if (from !== to) {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
    return { ...model, file: basename(model.file) };
  });
  writeAtomically(outPath, `${JSON.stringify(manifest, null, 2)}\n`);
  if (options.report) writeAtomically(resolve(options.report), `${JSON.stringify({ rows, meta, calibration: result }, null, 2)}\n`);

  const { thresholds, calibration } = result;
  const pct = (x) => `${(x * 100).toFixed(2)} %`;
  process.stderr.write(
    `cadguard-calibrate: ${calibration.images} clean images; suspicious >= ${thresholds.suspicious.toFixed(3)} ` +
      `(clean FPR ${pct(calibration.achieved.suspicious.rate)}, 95 % CI ${calibration.achieved.suspicious.ci95.map(pct).join('-')}), ` +
      `tampered >= ${thresholds.tampered.toFixed(3)} (clean FPR ${pct(calibration.achieved.tampered.rate)}, 95 % CI ${calibration.achieved.tampered.ci95.map(pct).join('-')})\n`,
  );
  for (const warning of calibration.warnings) process.stderr.write(`cadguard-calibrate: warning: ${warning}\n`);
  process.stderr.write(`cadguard-calibrate: wrote ${outPath}\n`);
  return 0;
}

runMain('cadguard-calibrate', main);
