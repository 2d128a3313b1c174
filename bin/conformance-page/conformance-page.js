// The conformance page: a QA engineer opens it in the browser under test, or cadguard-conformance drives it
// headless through `window.cadguardConformance`.
import { runConformance } from '/dist/conformance.js';

const params = new URLSearchParams(location.search);
const rows = document.getElementById('results');
const status = document.getElementById('status');

function show(result) {
  const row = document.createElement('tr');
  const cells = [result.title, result.status.toUpperCase(), result.detail, String(result.ms)];
  cells.forEach((text, i) => {
    const cell = document.createElement('td');
    cell.textContent = text;
    if (i === 1) cell.className = result.status;
    row.append(cell);
  });
  rows.append(row);
}

async function run(options = {}) {
  rows.replaceChildren();
  status.textContent = 'running…';
  const result = await runConformance({
    manifestUrl: options.manifestUrl ?? params.get('manifest') ?? undefined,
    backend: options.backend ?? params.get('backend') ?? 'auto',
    allowSoftwareAdapter: options.allowSoftwareAdapter ?? params.has('allow-software-adapter'),
    tamperedManifestUrl: options.tamperedManifestUrl ?? params.get('tampered-manifest') ?? undefined,
    onResult: show,
  });
  status.textContent = `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`;
  return result;
}

document.getElementById('run').addEventListener('click', () => run());
window.cadguardConformance = { run };
