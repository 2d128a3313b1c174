#!/usr/bin/env node
// cadguard-eval: runs the built SDK in headless Chromium, the way a viewer would, over every row of a labels CSV
// and writes results.json (per-row results, summary metrics, run metadata). docs/eval.md documents the CSV, the
// output and how failed checks count.
//
// Exit codes: 0 written; 1 the run failed (browser, page, guard start, a fetch); 2 bad usage or input (options,
// missing files, bad CSV, no build, no Chromium). Nothing is written unless every row ran.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InfrastructureError, openEvalPage, seen } from './lib/browser-run.mjs';
import { resolveChromePath } from './lib/chrome.mjs';
import { CsvError, parseLabels } from './lib/csv.mjs';
import { summarise } from './lib/metrics.mjs';
import { createProgress } from './lib/progress.mjs';
import { createStaticServer, inside } from './lib/static-server.mjs';

const packageRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const backends = ['auto', 'webgpu', 'wasm'];

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

/** A problem with the command line or its inputs (exit 2). */
class UsageError extends Error {
  name = 'UsageError';
}

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        images: { type: 'string' },
        labels: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        chrome: { type: 'string' },
        manifest: { type: 'string' },
        'allow-software-adapter': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const options = parsed.values;
  if (options.help) return options;
  for (const name of ['images', 'labels', 'out']) {
    if (!options[name]) throw new UsageError(`--${name} is required`);
  }
  if (!backends.includes(options.backend)) throw new UsageError(`--backend "${options.backend}" is not one of ${backends.join(', ')}`);
  return options;
}

/** Reads and checks every input before a browser starts, so a bad input costs nothing and writes nothing. */
function prepareInputs(options) {
  if (!existsSync(join(packageRoot, 'dist', 'index.js'))) {
    throw new UsageError(`the SDK is not built (${join(packageRoot, 'dist', 'index.js')} is missing): run \`npm run build\` first`);
  }
  const chrome = resolveChromePath(options.chrome);
  if (!chrome.exists) throw new UsageError(`Chromium not found at ${chrome.path} (from ${chrome.from}); pass --chrome PATH or set CHROME_PATH`);

  const imagesDir = resolve(options.images);
  if (!existsSync(imagesDir) || !statSync(imagesDir).isDirectory()) throw new UsageError(`--images ${options.images}: not a folder`);
  const labelsPath = resolve(options.labels);
  if (!existsSync(labelsPath) || !statSync(labelsPath).isFile()) throw new UsageError(`--labels ${options.labels}: no such file`);

  let rows;
  try {
    rows = parseLabels(readFileSync(labelsPath, 'utf8'));
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`bad labels CSV ${options.labels}: ${error.message}`);
    throw error;
  }
  const missing = [];
  for (const row of rows) {
    const path = inside(imagesDir, row.file);
    if (!path || path === imagesDir) throw new UsageError(`bad labels CSV ${options.labels}: line ${row.line}: "${row.file}" is not a file inside ${imagesDir}`);
    if (!existsSync(path) || !statSync(path).isFile()) missing.push(`line ${row.line}: ${row.file}`);
  }
  if (missing.length) {
    const shown = missing.slice(0, 10).join('\n  ') + (missing.length > 10 ? `\n  ... and ${missing.length - 10} more` : '');
    throw new UsageError(`${missing.length} file(s) of ${options.labels} are missing from ${imagesDir}:\n  ${shown}`);
  }

  const manifest = resolveManifest(options.manifest);
  const outPath = resolve(options.out);
  if (existsSync(outPath) && statSync(outPath).isDirectory()) throw new UsageError(`--out ${options.out} is a folder; name the results file`);
  try {
    mkdirSync(dirname(outPath), { recursive: true });
  } catch (error) {
    throw new UsageError(`--out ${options.out}: cannot create its folder (${error.message})`);
  }
  return { chrome, imagesDir, rows, manifest, outPath };
}

/**
 * `--manifest` as the page will load it: an http(s) URL is used as is; an existing file is served from its folder
 * (model files sit next to the manifest); otherwise an absolute URL path under the package root
 * (`/test/fixtures/models/manifest.json`) is served from there.
 */
function resolveManifest(value) {
  if (!value) return { url: null, mount: null, label: 'dist/models/manifest.json (shipped)' };
  if (/^https?:\/\//i.test(value)) return { url: value, mount: null, label: value };
  const file = resolve(value);
  if (existsSync(file) && statSync(file).isFile()) {
    return { url: `/manifest/${encodeURIComponent(basename(file))}`, mount: dirname(file), label: file };
  }
  const underRoot = value.startsWith('/') ? inside(packageRoot, value) : null;
  if (underRoot && existsSync(underRoot) && statSync(underRoot).isFile()) return { url: value, mount: null, label: value };
  throw new UsageError(`--manifest ${value}: no such file (nor a path under the package root ${packageRoot})`);
}

function listen(server) {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen(server.address().port));
  });
}

const imageUrl = (file) => `/images/${file.split(/[\\/]/).map(encodeURIComponent).join('/')}`;

/** Runs every row in the page; returns the rows and the run metadata. */
async function evaluate(options, inputs, startedAt) {
  const mounts = { '/images/': inputs.imagesDir, ...(inputs.manifest.mount ? { '/manifest/': inputs.manifest.mount } : {}) };
  const server = createStaticServer({ root: packageRoot, mounts });
  let browser = null;
  try {
    const port = await listen(server);
    const origin = `http://127.0.0.1:${port}`;
    process.stderr.write(`cadguard-eval: ${inputs.rows.length} rows, backend ${options.backend}, Chromium ${inputs.chrome.path}\n`);
    const opened = await openEvalPage({ executablePath: inputs.chrome.path, url: `${origin}/bin/eval-page/index.html` });
    browser = opened.browser;
    const { page, problems } = opened;

    const start = await page.evaluate(
      (request) => window.cadguardEval.start(request),
      { backend: options.backend, manifestUrl: inputs.manifest.url, allowSoftwareAdapter: options['allow-software-adapter'] },
    );
    if (!start.ok) throw new InfrastructureError(`the guard did not start (${start.code}): ${start.message}${seen(problems)}`);
    const { info } = start;
    process.stderr.write(`cadguard-eval: guard ready on ${info.backend} (${info.reason}); models ${info.models.map((m) => `${m.id}@${m.version}`).join(', ')}\n`);

    const progress = createProgress(inputs.rows.length);
    const rows = [];
    for (const row of inputs.rows) {
      let result;
      try {
        result = await page.evaluate((url) => window.cadguardEval.check(url), imageUrl(row.file));
      } catch (error) {
        progress.done();
        throw new InfrastructureError(`line ${row.line} (${row.file}): ${String(error.message).split('\n')[0]}${seen(problems)}`);
      }
      rows.push({
        file: row.file,
        label: row.label,
        tampered: row.tampered,
        source: row.source,
        score: result.ok ? result.score : null,
        positive: result.ok ? result.positive : null,
        // +Infinity (no integrity calibration in the manifest) is not a score to rank by: recorded as null.
        integrityScore: result.ok && Number.isFinite(result.integrityScore) ? result.integrityScore : null,
        verdict: result.ok ? result.verdict : null,
        decision: result.ok ? result.decision : null,
        backend: result.ok ? result.backend : null,
        ms: Math.round(result.ms * 10) / 10,
        error: result.ok ? null : result.code,
        ...(result.ok ? {} : { errorMessage: result.message }),
      });
      progress.update(rows.length, row.file);
    }
    progress.done();
    const events = await page.evaluate(() => window.cadguardEval.events());
    await page.evaluate(() => window.cadguardEval.dispose());
    const meta = {
      tool: 'cadguard-eval',
      sdkVersion: JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version,
      command: ['cadguard-eval', ...process.argv.slice(2)],
      cwd: process.cwd(),
      startedAt,
      finishedAt: new Date().toISOString(),
      images: inputs.imagesDir,
      labels: resolve(options.labels),
      manifest: inputs.manifest.label,
      backendRequested: options.backend,
      browser: { path: inputs.chrome.path, version: opened.version, crossOriginIsolated: start.crossOriginIsolated },
      guard: info,
      events,
    };
    return { rows, meta, fallbackBackend: info.backend };
  } finally {
    await browser?.close().catch(() => {});
    server.closeAllConnections?.();
    server.close();
  }
}

/** Writes beside the target, then renames: a reader never sees a half-written file. */
function writeAtomically(path, text) {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
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
  writeAtomically(inputs.outPath, `${JSON.stringify({ summary, rows, meta }, null, 2)}\n`);
  const shown = relative(process.cwd(), inputs.outPath);
  process.stderr.write(
    `cadguard-eval: wrote ${shown.startsWith('..') || shown.startsWith(sep) ? inputs.outPath : shown}: ${summary.n} rows, ${summary.errors} failed checks, backend ${summary.backend}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cadguard-eval: ${error.message}\n(run cadguard-eval --help for usage; nothing was written)\n`);
      process.exitCode = 2;
    } else if (error instanceof InfrastructureError) {
      process.stderr.write(`cadguard-eval: the run failed: ${error.message}\n(nothing was written)\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`cadguard-eval: unexpected failure (nothing was written): ${error?.stack ?? error}\n`);
      process.exitCode = 1;
    }
  },
);
