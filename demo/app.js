// The demo page: pick or drop a mammogram, check it with cadguard and show the report as a viewer would; then
// attack it in the page (Square attack, lesion insert / remove) and check the result against the clean image.
// `?stable=1` hides what changes from run to run (timings, threads, adapter), for the screenshot test;
// `?budget=N` presets the attack's query budget.
import { createGuard } from '../dist/index.js';
import { insertLesion, lesionRadius, removeLesion, squareAttack } from './attacks.js';
import { decodeForDisplay } from './decode.js';
import { drawDifference } from './diff-view.js';
import { renderAttack, renderReport } from './report-view.js';
import { fetchSample, serverSamples, syntheticMammogram, syntheticSamples } from './samples.js';
import { defaultWindow, drawHeatmap, heatmapPeak, ImageView } from './view.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const stable = params.has('stable');
if (params.has('budget')) $('budget').value = params.get('budget');

let guardPromise = null;
let guardKey = '';
let guardInfo = null;
/** The image being evaluated: its name, how to hand it to the guard, and its grey values for display (or null). */
let current = null;
let cleanReport = null;
/** The last attack: `{image, report, statistical, spot?}`. */
let attacked = null;
/** Armed lesion tool: 'insert', 'remove' or null. */
let pickMode = null;
let attackController = null;

const view = new ImageView($('view'), {
  onWindow: (window) => {
    $('window-readout').textContent = `Window centre ${Math.round(window.center)}, width ${Math.round(window.width)}`;
  },
  onPick: (point) => pickMode && runLesion(pickMode, point),
});

function setStatus(text) {
  $('status').textContent = text;
}

function setState(state) {
  document.body.dataset.state = state;
}

const describe = (error) => `${error.code ?? error.name}: ${error.message}`;

/** The guard for the chosen backend: created once per backend choice, shared by concurrent callers. */
function ensureGuard() {
  const backend = $('backend').value;
  const allowSoftwareAdapter = $('software').checked;
  const key = `${backend}/${allowSoftwareAdapter}`;
  if (guardPromise && key === guardKey) return guardPromise;
  const previous = guardPromise;
  guardKey = key;
  guardPromise = (async () => {
    await previous?.then((guard) => guard.dispose()).catch(() => undefined);
    const assets = new Map();
    $('progress-box').hidden = false;
    setStatus(`Starting the guard (${backend})…`);
    try {
      const guard = await createGuard({
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
          $('progress-label').textContent = `Loading ${asset}… ${Math.round((100 * sumLoaded) / (sumTotal || 1))} %`;
        },
        onEvent: (event) => {
          if (event.type === 'backend-fallback') setStatus(`Switched ${event.from} → ${event.to}: ${event.reason}`);
          if (event.type === 'worker-restarted') setStatus(`Worker restarted: ${event.reason}`);
        },
      });
      guardInfo = await guard.info();
      // A stale or missing calibration leaves every image at 'review': say why before the first check.
      const calibration = guardInfo.integrity.ready ? '' : ` No image can pass: ${guardInfo.integrity.problems.join('; ')}.`;
      setStatus(`Ready on ${guardInfo.backend} (${guardInfo.reason})${stable ? '' : `; ${guardInfo.threads} thread(s)`}.${calibration}`);
      // While the evaluator picks an image: a check asked for meanwhile waits for at most one warm-up check.
      guard.warmUp().catch(() => undefined);
      return guard;
    } catch (error) {
      setStatus(`Could not start the guard: ${describe(error)}`);
      throw error;
    } finally {
      $('progress-box').hidden = true;
    }
  })();
  guardPromise.catch(() => {
    guardKey = '';
  });
  return guardPromise;
}

/** Raw pixels for the guard: a copy, since the guard transfers (detaches) what it is given. */
function rawPixels(image) {
  const raw = { data: image.data.slice(), width: image.width, height: image.height, bitsStored: image.bitsStored, photometric: image.photometric };
  if (image.windowWidth > 0) Object.assign(raw, { windowCenter: image.windowCenter, windowWidth: image.windowWidth });
  return raw;
}

const showingAttacked = () => Boolean(attacked) && $('show-attacked').checked;
const shownReport = () => (showingAttacked() ? attacked.report : cleanReport);

/** Draws the shown image with the chosen overlay, and shows its report. */
function redraw({ keepWindow = true } = {}) {
  const image = showingAttacked() ? attacked.image : current?.image ?? null;
  view.show(image, { keepWindow });
  const report = shownReport();
  const overlay = $('overlay').value;
  const overlays = [];
  if (report && overlay === 'cad' && report.cad.heatmap) {
    overlays.push((context) => {
      drawHeatmap(context, report.cad.heatmap, 'cad');
      if (!report.cad.positive) return;
      const peak = heatmapPeak(report.cad.heatmap);
      context.strokeStyle = '#ffd54f';
      context.lineWidth = Math.max(2, context.canvas.width / 300);
      context.beginPath();
      context.arc(peak.x, peak.y, peak.radius * 1.5, 0, 2 * Math.PI);
      context.stroke();
    });
  }
  if (report && overlay === 'tamper' && report.integrity.heatmap) overlays.push((context) => drawHeatmap(context, report.integrity.heatmap, 'tamper'));
  if (showingAttacked() && attacked.spot) {
    overlays.push((context) => {
      context.strokeStyle = '#4fc3f7';
      context.setLineDash([6, 6]);
      context.lineWidth = Math.max(2, context.canvas.width / 400);
      context.beginPath();
      context.arc(attacked.spot.x, attacked.spot.y, attacked.spot.radius * 1.8, 0, 2 * Math.PI);
      context.stroke();
      context.setLineDash([]);
    });
  }
  view.setOverlays(overlays);
  if (report && guardInfo) renderReport(report, guardInfo, { stable });
}

function clearAttack() {
  attacked = null;
  $('attack-result').hidden = true;
  $('show-attacked').checked = false;
  $('show-attacked').disabled = true;
  setPickMode(null);
}

async function runCheck() {
  if (!current) return;
  setState('checking');
  clearAttack();
  $('attack-box').disabled = true;
  try {
    const guard = await ensureGuard();
    setStatus(`Checking ${current.name}…`);
    cleanReport = await guard.check(current.input());
    guardInfo = await guard.info();
    setStatus(`Checked ${current.name} on ${cleanReport.backend}${stable ? '' : ` in ${cleanReport.timings.total.toFixed(0)} ms`}.${current.image ? '' : ` ${current.displayNote}`}`);
    $('attack-box').disabled = !current.image;
    $('overlay').value = 'cad';
    redraw({ keepWindow: false });
    setState('checked');
  } catch (error) {
    cleanReport = null;
    $('decision').className = 'decision withhold';
    $('decision').dataset.decision = 'withhold';
    $('decision').textContent = `Not checked (${error.code ?? error.name}): a viewer shows no CAD result.`;
    setStatus(describe(error));
    redraw({ keepWindow: false });
    setState('error');
  }
}

/** Checks an attacked image twice: as a viewer with the archive's hash would, and on the statistical signals alone. */
async function checkAttacked(image, title, spot = null) {
  const guard = await ensureGuard();
  setStatus('Checking the attacked image…');
  const report = await guard.check(rawPixels(image), { expectedPixelSha256: cleanReport.input.pixelSha256 });
  const statistical = await guard.check(rawPixels(image));
  attacked = { image, report, statistical, spot };
  const difference = drawDifference($('diff'), current.image, image, view.window ?? defaultWindow(current.image));
  renderAttack({ title, clean: cleanReport, attacked: report, statistical, difference });
  $('show-attacked').disabled = false;
  $('show-attacked').checked = true;
  $('overlay').value = 'tamper';
  redraw();
  setStatus(`${title}: ${report.integrity.verdict}, decision ${report.decision}.`);
  setState('attacked');
}

async function runSquareAttack() {
  if (!cleanReport || !current?.image) return;
  const guard = await ensureGuard();
  const budget = Math.max(2, Math.min(2000, Math.round(Number($('budget').value)) || 150));
  const levels = Number($('eps').value);
  const eps = Math.max(1, Math.round((levels / 255) * defaultWindow(current.image).width));
  attackController = new AbortController();
  const { signal } = attackController;
  clearAttack();
  setState('attacking');
  $('attack-progress-box').hidden = false;
  $('square').disabled = true;
  const progress = ({ queries, score, flipped }) => {
    $('attack-progress').value = queries / budget;
    $('attack-progress-label').textContent = `Square attack: query ${queries} / ${budget}, CAD score ${score.toFixed(3)}${flipped ? ' — flipped' : ''}`;
  };
  progress({ queries: 0, score: cleanReport.cad.score, flipped: false });
  try {
    const result = await squareAttack({
      image: current.image,
      // Classifier only where the SDK offers it (CheckOptions.integrity); an older SDK ignores the option.
      score: async (image) => (await guard.check(rawPixels(image), { heatmap: false, integrity: false, signal })).cad.score,
      threshold: cleanReport.cad.threshold,
      eps,
      budget,
      region: cleanReport.cad.heatmap?.region,
      seed: 1,
      signal,
      onProgress: progress,
    });
    await checkAttacked(result.image, `Square attack, ε ${levels}/255 (${eps} stored units), ${result.queries} queries${result.flipped ? ', CAD flipped' : ''}`);
  } catch (error) {
    const cancelled = error.code === 'aborted';
    setStatus(cancelled ? 'Square attack cancelled.' : `Attack failed: ${describe(error)}`);
    setState(cancelled ? 'checked' : 'error');
  } finally {
    $('attack-progress-box').hidden = true;
    $('square').disabled = false;
    attackController = null;
  }
}

function setPickMode(mode) {
  pickMode = mode;
  for (const id of ['insert', 'remove']) $(id).setAttribute('aria-pressed', String(mode === id));
  $('view').classList.toggle('picking', Boolean(mode));
  if (mode) setStatus(`Click the image where the lesion should be ${mode === 'insert' ? 'inserted' : 'removed'} (Enter on the focused image: the CAD hot spot).`);
}

async function runLesion(mode, point) {
  if (!cleanReport || !current?.image) return;
  setPickMode(null);
  clearAttack();
  setState('attacking');
  const radius = lesionRadius(current.image);
  try {
    const image = mode === 'insert' ? insertLesion(current.image, point.x, point.y, { radius }) : removeLesion(current.image, point.x, point.y);
    const verb = mode === 'insert' ? 'inserted' : 'removed';
    await checkAttacked(image, `Lesion ${verb} at (${point.x}, ${point.y})`, { ...point, radius });
  } catch (error) {
    setStatus(`Manipulation failed: ${describe(error)}`);
    setState('error');
  }
}

/** Where Enter places a lesion: the CAD heatmap's hottest cell, else the image centre. */
function keyboardSpot() {
  const heatmap = cleanReport?.cad.heatmap;
  if (heatmap) {
    const { x, y } = heatmapPeak(heatmap);
    return { x: Math.round(x), y: Math.round(y) };
  }
  return { x: Math.round(current.image.width / 2), y: Math.round(current.image.height / 2) };
}

async function useBytes(name, bytes) {
  let image = null;
  let displayNote = '';
  try {
    image = await decodeForDisplay(bytes, name);
  } catch (error) {
    displayNote = `Not drawn: ${error.message}.`;
  }
  current = { name, image, displayNote, input: () => bytes.slice(0) };
  await runCheck();
}

async function useFile(file) {
  await useBytes(file.name, await file.arrayBuffer());
}

async function loadSampleList() {
  const select = $('sample');
  for (const [value, { label }] of Object.entries(syntheticSamples)) select.append(new Option(label, value));
  const { folder, files } = await serverSamples();
  for (const file of files) select.append(new Option(`${file} (${folder})`, `file:${file}`));
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
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    $('file').click();
  }
});
$('sample').addEventListener('change', async (event) => {
  const value = event.target.value;
  if (syntheticSamples[value]) {
    const image = syntheticMammogram(syntheticSamples[value].options);
    current = { name: syntheticSamples[value].label, image, input: () => rawPixels(image) };
    await runCheck();
  } else if (value.startsWith('file:')) {
    const name = value.slice(5);
    try {
      await useBytes(name, await fetchSample(name));
    } catch (error) {
      setStatus(describe(error));
    }
  }
});
$('backend').addEventListener('change', runCheck);
$('software').addEventListener('change', runCheck);
$('overlay').addEventListener('change', () => redraw());
$('show-attacked').addEventListener('change', () => redraw());
$('window-reset').addEventListener('click', () => view.resetWindow());
$('square').addEventListener('click', runSquareAttack);
$('cancel').addEventListener('click', () => attackController?.abort());
for (const mode of ['insert', 'remove']) $(mode).addEventListener('click', () => setPickMode(pickMode === mode ? null : mode));
$('view').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && pickMode && current?.image) {
    event.preventDefault();
    runLesion(pickMode, keyboardSpot());
  } else if (event.key === 'Escape' && pickMode) setPickMode(null);
});

await loadSampleList();
ensureGuard().then(
  () => document.body.dataset.state === 'loading' && setState('ready'),
  () => document.body.dataset.state === 'loading' && setState('error'),
);
