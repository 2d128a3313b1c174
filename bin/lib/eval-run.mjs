// The shared half of the CLIs (cadguard-eval, -calibrate, -conformance): parse the command line, check every input
// before a browser starts, run each row through the built SDK in headless Chromium, write results atomically.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InfrastructureError, openEvalPage, seen } from './browser-run.mjs';
import { resolveChromePath } from './chrome.mjs';
import { CsvError, parseLabels } from './csv.mjs';
import { createProgress } from './progress.mjs';
import { createStaticServer, inside } from './static-server.mjs';

export const packageRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A problem with the command line or its inputs (exit 2). */
export class UsageError extends Error {
  name = 'UsageError';
}

const backends = ['auto', 'webgpu', 'wasm'];

/**
 * Parses a tool's command line: its own `options` plus the browser options every tool shares (--backend,
 * --chrome, --allow-software-adapter, -h/--help). A parse error, a missing `required` option or an unknown backend
 * is a UsageError; with --help the values come back unchecked.
 */
export function parseToolArgs(argv, options, { backend = 'auto', required = [] } = {}) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...options,
        backend: { type: 'string', default: backend },
        chrome: { type: 'string' },
        'allow-software-adapter': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.help) return values;
  for (const name of required) if (!values[name]) throw new UsageError(`--${name} is required`);
  if (!backends.includes(values.backend)) throw new UsageError(`--backend "${values.backend}" is not one of ${backends.join(', ')}`);
  return values;
}

/** Reads and checks every input before a browser starts, so a bad input costs nothing and writes nothing. */
export function prepareInputs(options) {
  if (!existsSync(join(packageRoot, 'dist', 'index.js'))) {
    throw new UsageError(`the SDK is not built (${join(packageRoot, 'dist', 'index.js')} is missing): run \`npm run build\` first`);
  }
  const chrome = resolveChromePath(options.chrome);
  if (!chrome.exists) throw new UsageError(`Chromium not found at ${chrome.path} (from ${chrome.from}); pass --chrome PATH or set CHROME_PATH`);

  const imagesDir = resolve(options.images);
  if (!existsSync(imagesDir) || !statSync(imagesDir).isDirectory()) throw new UsageError(`--images ${options.images}: not a folder`);
  let rows;
  if (options.labels) {
    const labelsPath = resolve(options.labels);
    if (!existsSync(labelsPath) || !statSync(labelsPath).isFile()) throw new UsageError(`--labels ${options.labels}: no such file`);
    try {
      rows = parseLabels(readFileSync(labelsPath, 'utf8'));
    } catch (error) {
      if (error instanceof CsvError) throw new UsageError(`bad labels CSV ${options.labels}: ${error.message}`);
      throw error;
    }
  } else {
    // No CSV (cadguard-calibrate): every image file of the folder, as clean images of unknown label.
    rows = readdirSync(imagesDir)
      .filter((file) => /\.(png|jpe?g|dcm)$/i.test(file))
      .sort()
      .map((file, index) => ({ line: index + 1, file, label: 'unknown', tampered: false, source: null }));
    if (rows.length === 0) throw new UsageError(`--images ${options.images}: no .png, .jpg or .dcm files`);
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
  // The folder is made only when writing; here it is enough that the nearest existing ancestor is a writable folder.
  let ancestor = dirname(outPath);
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  try {
    if (!statSync(ancestor).isDirectory()) throw new Error(`${ancestor} is not a folder`);
    accessSync(ancestor, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--out ${options.out} cannot be written (${error.message})`);
  }
  return { chrome, imagesDir, rows, manifest, outPath };
}

/**
 * `--manifest` as the page will load it: an http(s) URL is used as is; an existing file is served from its folder
 * (model files sit next to the manifest); otherwise an absolute URL path under the package root
 * (`/test/fixtures/models/manifest.json`) is served from there.
 */
export function resolveManifest(value) {
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

export function listen(server) {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen(server.address().port));
  });
}

const imageUrl = (file) => `/images/${file.split(/[\\/]/).map(encodeURIComponent).join('/')}`;

/** Runs every row in the page; returns the rows and the run metadata. */
export async function evaluate(options, inputs, startedAt, tool = 'cadguard-eval') {
  const mounts = { '/images/': inputs.imagesDir, ...(inputs.manifest.mount ? { '/manifest/': inputs.manifest.mount } : {}) };
  const noFavicon = (request, response) => {
    response.writeHead(204);
    response.end();
  };
  // The favicon route keeps Chromium's automatic request from showing up as a 404 among the page's problems.
  const server = createStaticServer({ root: packageRoot, mounts, extraRoutes: { '/favicon.ico': noFavicon } });
  let browser = null;
  try {
    const port = await listen(server);
    const origin = `http://127.0.0.1:${port}`;
    process.stderr.write(`${tool}: ${inputs.rows.length} rows, backend ${options.backend}, Chromium ${inputs.chrome.path}\n`);
    const opened = await openEvalPage({ executablePath: inputs.chrome.path, url: `${origin}/bin/eval-page/index.html` });
    browser = opened.browser;
    const { page, problems } = opened;

    const start = await page.evaluate(
      (request) => window.cadguardEval.start(request),
      { backend: options.backend, manifestUrl: inputs.manifest.url, allowSoftwareAdapter: options['allow-software-adapter'] },
    );
    if (!start.ok) throw new InfrastructureError(`the guard did not start (${start.code}): ${start.message}${seen(problems)}`);
    const { info } = start;
    process.stderr.write(`${tool}: guard ready on ${info.backend} (${info.reason}); models ${info.models.map((m) => `${m.id}@${m.version}`).join(', ')}\n`);
    // Calibrating is the cure for a stale calibration; anywhere else it would make every row 'suspicious'.
    if (tool !== 'cadguard-calibrate' && !info.integrity.ready) {
      for (const problem of info.integrity.problems) process.stderr.write(`${tool}: warning: no image can pass: ${problem}\n`);
    }

    const progress = createProgress(inputs.rows.length);
    const rows = [];
    const signalDefinitions = {};
    for (const row of inputs.rows) {
      let result;
      try {
        result = await page.evaluate((url) => window.cadguardEval.check(url), imageUrl(row.file));
      } catch (error) {
        progress.done();
        throw new InfrastructureError(`line ${row.line} (${row.file}): ${String(error.message).split('\n')[0]}${seen(problems)}`);
      }
      for (const [id, definition] of Object.entries(result.ok ? result.definitions : {})) {
        // One SDK and one manifest compute each signal one way; a calibration records that way (docs/calibrate.md).
        if (signalDefinitions[id] !== undefined && signalDefinitions[id] !== definition) {
          throw new InfrastructureError(`signal ${id} was computed as ${signalDefinitions[id]} and as ${definition} in one run`);
        }
        signalDefinitions[id] = definition;
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
        signals: result.ok ? result.signals : null,
        ...(result.ok ? {} : { errorMessage: result.message }),
      });
      progress.update(rows.length, row.file);
    }
    progress.done();
    const events = await page.evaluate(() => window.cadguardEval.events());
    await page.evaluate(() => window.cadguardEval.dispose());
    const meta = {
      tool,
      sdkVersion: JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version,
      command: [tool, ...process.argv.slice(2)],
      cwd: process.cwd(),
      startedAt,
      finishedAt: new Date().toISOString(),
      images: inputs.imagesDir,
      labels: options.labels ? resolve(options.labels) : null,
      manifest: inputs.manifest.label,
      backendRequested: options.backend,
      browser: { path: inputs.chrome.path, version: opened.version, crossOriginIsolated: start.crossOriginIsolated },
      guard: info,
      signalDefinitions,
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
export function writeAtomically(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}


/**
 * Runs a CLI's main and maps its outcome to the exit codes the tools share: main's own code; 2 for a UsageError;
 * 1 for an infrastructure failure or anything unexpected. Failures never leave a partial result behind.
 */
export function runMain(tool, main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${tool}: ${error.message}\n(run ${tool} --help for usage; nothing was written)\n`);
        process.exitCode = 2;
      } else if (error instanceof InfrastructureError) {
        process.stderr.write(`${tool}: the run failed: ${error.message}\n(nothing was written)\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`${tool}: unexpected failure (nothing was written): ${error?.stack ?? error}\n`);
        process.exitCode = 1;
      }
    },
  );
}
