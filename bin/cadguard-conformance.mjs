#!/usr/bin/env node
// cadguard-conformance: runs the fixed conformance suite (conformance/suite.ts, built to dist/conformance.js) in
// headless Chromium against this build and a model manifest (a vendor's own model and calibration), and writes a
// report a QA engineer can file: conformance.json and conformance.md. The same suite runs in any browser at
// /bin/conformance-page/ on a server that serves the package (e.g. `npm start`).
//
// Exit codes: 0 every check passed or was skipped; 1 a check failed or the run failed; 2 bad usage or input.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InfrastructureError, openEvalPage, seen } from './lib/browser-run.mjs';
import { resolveChromePath } from './lib/chrome.mjs';
import { UsageError, listen, packageRoot, parseToolArgs, resolveManifest, runMain, writeAtomically } from './lib/eval-run.mjs';
import { createStaticServer } from './lib/static-server.mjs';

const usage = `Usage: cadguard-conformance --out DIR [options]

  --out DIR                 where conformance.json and conformance.md are written
  --manifest URL|PATH       the model manifest to test (default: the one shipped in dist/models)
  --backend B               auto | webgpu | wasm (default auto)
  --chrome PATH             Chromium to run (default: $CHROME_PATH, else /usr/bin/chromium)
  --allow-software-adapter  let auto settle on a software WebGPU adapter
  -h, --help                this text`;

function parseCommandLine(argv) {
  return parseToolArgs(argv, { out: { type: 'string' }, manifest: { type: 'string' } }, { required: ['out'] });
}

function markdown(run, meta) {
  const lines = [
    `# cadguard conformance report`,
    '',
    `- Result: **${run.failed === 0 ? 'PASS' : 'FAIL'}** (${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped)`,
    `- Date: ${run.finishedAt}`,
    `- cadguard ${meta.sdkVersion}; browser ${meta.browser}; backend requested ${meta.backend}`,
    `- Manifest: ${meta.manifest}${run.calibrated ? ' (integrity calibration present)' : ' (no integrity calibration: every image is held for review)'}`,
    `- Models: ${(run.info?.models ?? []).map((m) => `${m.id} ${m.version} sha256 ${m.sha256}`).join('; ') || 'n/a'}`,
    `- Backend in use: ${run.info?.backend ?? 'n/a'} (${run.info?.reason ?? ''})`,
    `- Command: \`${meta.command.join(' ')}\``,
    '',
    '| check | result | detail | ms |',
    '| --- | --- | --- | --- |',
    ...run.results.map((r) => `| ${r.title} | ${r.status.toUpperCase()} | ${r.detail.replaceAll('|', '\\|').replaceAll('\n', ' ')} | ${r.ms} |`),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv) {
  const options = parseCommandLine(argv);
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!existsSync(join(packageRoot, 'dist', 'conformance.js'))) throw new UsageError('dist/conformance.js is missing: run `npm run build` first');
  const chrome = resolveChromePath(options.chrome);
  if (!chrome.exists) throw new UsageError(`Chromium not found at ${chrome.path} (from ${chrome.from}); pass --chrome PATH or set CHROME_PATH`);
  const manifest = resolveManifest(options.manifest);
  const manifestPath = manifest.mount ? join(manifest.mount, decodeURIComponent(manifest.url.slice('/manifest/'.length))) : manifest.url ? join(packageRoot, manifest.url) : join(packageRoot, 'dist', 'models', 'manifest.json');
  const manifestUrlPath = manifest.url ?? '/dist/models/manifest.json';
  // The tampered-model check: the same manifest with the first model's SHA-256 reversed, model files by absolute path.
  const tamperedManifest = (request, response) => {
    const json = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const model of json.models) model.file = new URL(model.file, `http://host${manifestUrlPath}`).pathname;
    json.models[0].sha256 = [...json.models[0].sha256].reverse().join('');
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cross-Origin-Resource-Policy': 'same-origin' });
    response.end(JSON.stringify(json));
  };
  const server = createStaticServer({
    root: packageRoot,
    mounts: manifest.mount ? { '/manifest/': manifest.mount } : {},
    extraRoutes: { '/conformance/tampered-manifest.json': tamperedManifest },
  });
  let browser = null;
  try {
    const port = await listen(server);
    const opened = await openEvalPage({
      executablePath: chrome.path,
      url: `http://127.0.0.1:${port}/bin/conformance-page/index.html`,
      readyGlobal: 'cadguardConformance',
    });
    browser = opened.browser;
    process.stderr.write(`cadguard-conformance: running the suite on ${manifest.label}\n`);
    let run;
    try {
      run = await opened.page.evaluate(
        (request) => window.cadguardConformance.run(request),
        {
          manifestUrl: manifest.url ?? undefined,
          backend: options.backend,
          allowSoftwareAdapter: options['allow-software-adapter'],
          tamperedManifestUrl: '/conformance/tampered-manifest.json',
        },
      );
    } catch (error) {
      throw new InfrastructureError(`the suite did not complete: ${String(error.message).split('\n')[0]}${seen(opened.problems)}`);
    }
    const meta = {
      sdkVersion: JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version,
      browser: opened.version,
      backend: options.backend,
      manifest: manifest.label,
      command: ['cadguard-conformance', ...argv],
    };
    const out = resolve(options.out);
    writeAtomically(join(out, 'conformance.json'), `${JSON.stringify({ ...run, meta }, null, 2)}\n`);
    writeAtomically(join(out, 'conformance.md'), markdown(run, meta));
    for (const result of run.results) process.stderr.write(`  ${result.status.padEnd(4)} ${result.title}${result.status === 'pass' ? '' : `: ${result.detail}`}\n`);
    process.stderr.write(`cadguard-conformance: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped; wrote ${out}/conformance.{json,md}\n`);
    return run.failed === 0 ? 0 : 1;
  } finally {
    await browser?.close().catch(() => {});
    server.closeAllConnections?.();
    server.close();
  }
}

runMain('cadguard-conformance', main);
