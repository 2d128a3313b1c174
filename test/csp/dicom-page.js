// Checks compressed DICOM files (sent by the parent test page) under the strict CSP the server sets on /test/csp/:
// the codecs' WebAssembly must load from the package's own files without eval, blob: workers or other origins.
import { createGuard } from '/dist/index.js';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));

async function run(files) {
  const guard = await createGuard({ manifestUrl: '/test/fixtures/models/manifest.json', backend: 'wasm' });
  try {
    const results = [];
    for (const [name, bytes] of files) {
      try {
        const report = await guard.check(bytes);
        results.push({ name, ok: true, pixelSha256: report.input.pixelSha256 });
      } catch (error) {
        results.push({ name, ok: false, error: `${error.name} ${error.code ?? ''} ${error.message}` });
      }
    }
    return { ok: true, results, violations };
  } finally {
    await guard.dispose();
  }
}

window.addEventListener('message', (event) => {
  if (!event.data?.cadguardDicomFiles) return;
  run(event.data.cadguardDicomFiles).then(
    (result) => parent.postMessage({ cadguardCsp: result }, '*'),
    (error) => parent.postMessage({ cadguardCsp: { ok: false, error: `${error.name} ${error.code ?? ''} ${error.message}`, violations } }, '*'),
  );
});
parent.postMessage({ cadguardCspReady: true }, '*');
