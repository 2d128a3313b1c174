// Runs a check under the strict CSP the server sets on /test/csp/ (no eval, no blob: workers, connect-src 'self')
// and reports to the parent test page.
import { createGuard } from '/dist/index.js';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));

async function run() {
  const guard = await createGuard({ manifestUrl: '/test/fixtures/models/manifest.json', backend: new URLSearchParams(location.search).get('backend') || 'wasm', allowSoftwareAdapter: true });
  try {
    const before = await (await fetch('/__requests')).json();
    const data = new Uint8Array(128 * 96);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const report = await guard.check({ data, width: 128, height: 96 });
    const after = await (await fetch(`/__requests?since=${before.total}`)).json();
    const info = await guard.info();
    return { ok: true, backend: report.backend, threads: info.threads, isolated: info.crossOriginIsolated, requestsDuringCheck: after.requests.map((r) => r.path).filter((p) => p !== '/__requests'), violations };
  } finally {
    await guard.dispose();
  }
}

run().then(
  (result) => parent.postMessage({ cadguardCsp: result }, '*'),
  (error) => parent.postMessage({ cadguardCsp: { ok: false, error: `${error.name} ${error.code ?? ''} ${error.message}`, violations } }, '*'),
);
