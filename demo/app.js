// The demo page: pick or drop a mammogram, check it with cadguard, and show the report as a viewer would.
import { createGuard } from '../dist/index.js';

const $ = (id) => document.getElementById(id);
const view = $('view');
const context = view.getContext('2d');

let guard = null;
let guardKey = '';
let current = null; // { name, bytes?: ArrayBuffer, raw?: {data, width, height} }
let lastReport = null;
let lastBitmap = null;

function setStatus(text) {
  $('status').textContent = text;
}

async function ensureGuard() {
  const backend = $('backend').value;
  const allowSoftwareAdapter = $('software').checked;
  const key = `${backend}/${allowSoftwareAdapter}`;
  if (guard && key === guardKey) return guard;
  if (guard) await guard.dispose();
  guard = null;
  const assets = new Map();
  $('progress').hidden = false;
  $('progress-label').hidden = false;
  setStatus(`Starting the guard (${backend})…`);
  try {
    guard = await createGuard({
      backend,
      allowSoftwareAdapter,
      onProgress: ({ asset, loaded, total }) => {
        assets.set(asset, { loaded, total: total ?? loaded });
        let sumLoaded = 0;
        let sumTotal = 0;
        for (const a of assets.values()) {
          sumLoaded += a.loaded;
          sumTotal += a.total;
        }
        $('progress').value = sumTotal ? sumLoaded / sumTotal : 0;
      },
      onEvent: (event) => setStatus(event.type === 'backend-fallback' ? `Switched ${event.from} → ${event.to}: ${event.reason}` : $('status').textContent),
    });
    guardKey = key;
    const info = await guard.info();
    setStatus(`Ready on ${info.backend} (${info.reason}); ${info.threads} thread(s).`);
  } catch (error) {
    setStatus(`Could not start the guard: ${error.code ?? error.name}: ${error.message}`);
    throw error;
  } finally {
    $('progress').hidden = true;
    $('progress-label').hidden = true;
  }
  return guard;
}

/** A synthetic breast-like image made in code (no real mammogram ships with the package). */
function syntheticImage(seed, side) {
  const width = 768;
  const height = 960;
  let state = seed;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 4294967296);
  const data = new Uint16Array(width * height);
  const cx = side === 'left' ? 0 : width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / (width * 0.85);
      const dy = (y - height / 2) / (height * 0.46);
      const r = dx * dx + dy * dy;
      let v = 0.04;
      if (r < 1) v = 0.3 + 0.35 * (1 - r) + 0.06 * Math.sin(x * 0.05 + seed) * Math.cos(y * 0.04);
      data[y * width + x] = Math.max(0, Math.min(4095, Math.round((v + (random() - 0.5) * 0.03) * 4095)));
    }
  }
  return { data, width, height, bitsStored: 12 };
}

async function bitmapFor(item) {
  if (item.bytes) return createImageBitmap(new Blob([item.bytes]));
  const { data, width, height, bitsStored } = item.raw;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const scale = 255 / (2 ** bitsStored - 1);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] * scale;
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  return createImageBitmap(new ImageData(rgba, width, height));
}

function draw() {
  if (!lastBitmap) return;
  view.width = lastBitmap.width;
  view.height = lastBitmap.height;
  context.drawImage(lastBitmap, 0, 0);
  const heatmap = lastReport?.cad.heatmap;
  if (!heatmap || !$('overlay').checked) return;
  const { width, height, data, region } = heatmap;
  const cells = new OffscreenCanvas(width, height);
  const cellContext = cells.getContext('2d');
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    rgba.set([255, Math.round(255 * (1 - v)), 0, Math.round(200 * v)], i * 4);
  }
  cellContext.putImageData(new ImageData(rgba, width, height), 0, 0);
  context.save();
  context.translate(region.x + (region.flipped ? region.width : 0), region.y);
  context.scale(region.flipped ? -1 : 1, 1);
  context.imageSmoothingEnabled = true;
  context.drawImage(cells, 0, 0, region.width, region.height);
  context.restore();
}

function renderReport(report, info) {
  const decision = $('decision');
  decision.className = `decision ${report.decision}`;
  decision.textContent = {
    show: 'SHOW: integrity checks passed; CAD result shown.',
    review: 'REVIEW: integrity could not be confirmed; CAD result held for review.',
    withhold: 'WITHHOLD: image appears tampered; CAD result withheld.',
  }[report.decision];
  const rows = [
    ['CAD score', `${report.cad.score.toFixed(4)} (threshold ${report.cad.threshold.toFixed(4)}: ${report.cad.positive ? 'positive' : 'negative'})`],
    ['Integrity', `${report.integrity.verdict} (score ${report.integrity.score.toFixed(3)})`],
    ['Backend', `${report.backend}${report.fallback ? ` (fell back from ${report.fallback.from}: ${report.fallback.reason})` : ''}`],
    ['Why', info.reason],
    ['Adapter', info.adapter ? `${info.adapter.vendor} ${info.adapter.architecture} ${info.adapter.isFallbackAdapter ? '(software)' : ''}` : 'none'],
    ['Threads', `${info.threads} (cross-origin isolated: ${info.crossOriginIsolated})`],
    ['Image', `${report.input.width} × ${report.input.height}, ${report.input.format}, ${report.input.bitsStored} bit`],
    ['Pixel SHA-256', report.input.pixelSha256],
    ['Models', report.models.map((m) => `${m.id} ${m.version}`).join(', ')],
  ];
  $('summary').replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
  $('signals').replaceChildren(
    ...report.integrity.signals.map((s) => Object.assign(document.createElement('li'), { className: s.flagged ? 'flagged' : '', textContent: `${s.id}: ${s.value === null ? '–' : s.value.toFixed(4)} ${s.flagged ? '(flagged) ' : ''}— ${s.detail}` })),
  );
  $('timings').tBodies[0].replaceChildren(
    ...Object.entries(report.timings).map(([stage, ms]) => {
      const row = document.createElement('tr');
      row.append(Object.assign(document.createElement('td'), { textContent: stage }), Object.assign(document.createElement('td'), { textContent: ms.toFixed(1) }));
      return row;
    }),
  );
  $('audit').textContent = JSON.stringify(report.audit, null, 2);
}

async function runCheck() {
  if (!current) return;
  const active = await ensureGuard();
  setStatus(`Checking ${current.name}…`);
  lastBitmap = await bitmapFor(current);
  // Copies: the guard transfers (detaches) what it is given, and the page keeps the image for re-runs.
  const input = current.bytes ? current.bytes.slice(0) : { ...current.raw, data: current.raw.data.slice() };
  try {
    lastReport = await active.check(input);
    renderReport(lastReport, await active.info());
    setStatus(`Checked ${current.name} on ${lastReport.backend} in ${lastReport.timings.total.toFixed(0)} ms.`);
    document.body.dataset.state = 'checked';
  } catch (error) {
    lastReport = null;
    $('decision').className = 'decision withhold';
    $('decision').textContent = `Not checked: ${error.code ?? error.name}`;
    setStatus(`${error.code ?? error.name}: ${error.message}`);
    document.body.dataset.state = 'error';
  }
  draw();
}

async function useFile(file) {
  current = { name: file.name, bytes: await file.arrayBuffer() };
  await runCheck();
}

async function loadSampleList() {
  const select = $('sample');
  const synthetic = [
    ['synthetic:1:left', 'Synthetic 12-bit, left breast'],
    ['synthetic:2:right', 'Synthetic 12-bit, right breast'],
  ];
  for (const [value, label] of synthetic) select.append(new Option(label, value));
  try {
    const { folder, files } = await (await fetch('/samples.json')).json();
    for (const file of files) select.append(new Option(`${file} (${folder})`, `file:${file}`));
  } catch {
    // Served without the demo server's sample list: synthetic samples only.
  }
}

$('file').addEventListener('change', (event) => event.target.files[0] && useFile(event.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) useFile(file);
});
drop.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') $('file').click();
});
$('sample').addEventListener('change', async (event) => {
  const value = event.target.value;
  if (value.startsWith('synthetic:')) {
    const [, seed, side] = value.split(':');
    current = { name: `synthetic ${seed} (${side})`, raw: syntheticImage(Number(seed), side) };
  } else if (value.startsWith('file:')) {
    const name = value.slice(5);
    current = { name, bytes: await (await fetch(`/samples/${encodeURIComponent(name)}`)).arrayBuffer() };
  } else return;
  await runCheck();
});
$('backend').addEventListener('change', runCheck);
$('software').addEventListener('change', runCheck);
$('overlay').addEventListener('change', draw);

await loadSampleList();
ensureGuard().catch(() => undefined);
