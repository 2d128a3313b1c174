#!/usr/bin/env node
// cadguard-eval: runs the built SDK in headless Chromium, the way a viewer would, over every row of a labels CSV
// and writes results.json (per-row results, summary metrics, run metadata). docs/eval.md documents the CSV, the
// output and how failed checks count.
//
// Exit codes: 0 written; 1 the run failed (browser, page, guard start, a fetch); 2 bad usage or input (options,
// missing files, bad CSV, no build, no Chromium). Nothing is written unless every row ran.
import { relative, resolve, sep } from 'node:path';
import { evaluate, parseToolArgs, prepareInputs, runMain, writeAtomically } from './lib/eval-run.mjs';
import { summarise } from './lib/metrics.mjs';

const usage = `Usage: cadguard-eval --images DIR --labels CSV --out results.json [options]

  --images DIR              folder the CSV's file column is relative to
  --labels CSV              columns: file, label (normal|benign|malignant|unknown), optional tampered (0/1), source
  --out FILE                results.json to write (only once every row ran)
  --backend B               auto | webgpu | wasm (default auto)
  --chrome PATH             Chromium to run (default: $CHROME_PATH, else /usr/bin/chromium)
  --manifest URL|PATH       model manifest to evaluate (default: the one shipped in dist/models)
  --allow-software-adapter  let auto settle on a software WebGPU adapter
  -h, --help                this text

See docs/eval.md.`;

function parseCommandLine(argv) {
  return parseToolArgs(argv, { images: { type: 'string' }, labels: { type: 'string' }, out: { type: 'string' }, manifest: { type: 'string' } }, { required: ['images', 'labels', 'out'] });
}

async function main(argv) {
  const startedAt = new Date().toISOString();
  const options = parseCommandLine(argv);
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const inputs = prepareInputs(options);
  const { rows, meta, fallbackBackend } = await evaluate(options, inputs, startedAt);
  const summary = summarise(rows, fallbackBackend);
  // The issue fixes summary's keys; the count of failed checks lives beside it in meta.
  meta.errors = rows.filter((row) => row.error !== null).length;
  writeAtomically(inputs.outPath, `${JSON.stringify({ summary, rows, meta }, null, 2)}\n`);
  const shown = relative(process.cwd(), inputs.outPath);
  process.stderr.write(
    `cadguard-eval: wrote ${shown.startsWith('..') || shown.startsWith(sep) ? inputs.outPath : shown}: ${summary.n} rows, ${meta.errors} failed checks, backend ${summary.backend}\n`,
  );
  return 0;
}

runMain('cadguard-eval', main);
