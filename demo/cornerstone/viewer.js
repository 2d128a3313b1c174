// A Cornerstone3D stack viewer that asks cadguard before it shows a CAD result: what a viewer vendor adds to
// their own viewport. The DICOM is decoded once, by Cornerstone's DICOM image loader; cadguard checks the very
// `IImage` the viewport displays (its `getPixelData()`, rescale, window, invert), so nothing is decoded twice.
// The CAD marks (the report's heatmap, placed on the image with its `region`) are drawn only when the decision is
// `show`; `review` and `withhold` put up a banner instead and draw nothing.
//
// Why the asset set-up below: the DICOM image loader decodes in a module Web Worker
// (`new URL('./decodeImageFrameWorker.js', import.meta.url)`) and its codecs look for their .wasm through
// `new URL('@cornerstonejs/codec-…/decodewasm', import.meta.url)`, a package path no browser can resolve once
// bundled. rollup.examples.config.mjs therefore builds the worker as an entry beside the viewer (one flat folder,
// so the loader's own `new URL` finds it) and copies the codecs' .wasm into `codecs/`; `wasmBasePath` below
// points the loader there. Everything is served from the example's own origin: no CDN.
import { Enums, RenderingEngine, imageLoader, init as initCore, utilities } from '@cornerstonejs/core';
import { init as initDicomImageLoader, wadouri } from '@cornerstonejs/dicom-image-loader';

let initialised = null;
/** Calls of the `dicomfile:` loader, i.e. DICOM decodes (cache hits never reach the loader). */
let loaderCalls = 0;

/**
 * Initialises Cornerstone3D and its DICOM image loader once per page.
 * @param {{ wasmBasePath?: string, maxWebWorkers?: number }} [options] `wasmBasePath`: the folder holding the
 *   codecs' .wasm (default: `codecs/` next to this bundle)
 */
export function initCornerstone(options = {}) {
  initialised ??= (async () => {
    // One WebGL context: a single-viewport viewer needs no pool, and browsers cap contexts per page.
    await initCore({ rendering: { webGlContextCount: 1 } });
    initDicomImageLoader({
      maxWebWorkers: options.maxWebWorkers ?? 1,
      wasmBasePath: options.wasmBasePath ?? new URL('./codecs/', import.meta.url).href,
    });
    // The loader the DICOM image loader registers for local files (its default, naturalised metadata), counted:
    // each call is one decode.
    imageLoader.registerImageLoader('dicomfile', (imageId, loadOptions) => {
      loaderCalls++;
      return wadouri.loadImageFromNaturalizedMetadata(imageId, loadOptions);
    });
  })();
  return initialised;
}

const banners = {
  review: 'Review: the image could not be cleared by the integrity check. CAD marks are hidden; read it without them.',
  withhold: 'Withheld: the image failed the integrity check. No CAD result is shown.',
};

/**
 * A stack viewport with a CAD overlay and a banner, inside `element`.
 * @param {HTMLElement} element an empty block element with a size
 * @param {{ guard: import('cadguard').Guard }} options a guard the host created with `createGuard()`
 */
export async function createCadViewer(element, { guard }) {
  await initCornerstone();
  element.classList.add('cad-viewer');
  // Layout inline, so the viewer works in any page; colours are left to the page's CSS (demo/cornerstone/style.css).
  if (getComputedStyle(element).position === 'static') element.style.position = 'relative';
  const layer = { position: 'absolute', left: '0', top: '0', width: '100%', height: '100%' };
  const viewportElement = document.createElement('div');
  viewportElement.className = 'cad-viewport';
  Object.assign(viewportElement.style, layer);
  const overlay = document.createElement('canvas');
  overlay.className = 'cad-marks';
  Object.assign(overlay.style, layer, { pointerEvents: 'none' });
  overlay.hidden = true;
  const banner = document.createElement('div');
  banner.className = 'cad-banner';
  Object.assign(banner.style, { position: 'absolute', left: '0', right: '0', top: '0' });
  banner.setAttribute('role', 'alert');
  banner.hidden = true;
  element.append(viewportElement, overlay, banner);

  const engine = new RenderingEngine(`cadguard-${crypto.randomUUID()}`);
  const viewportId = 'mammogram';
  engine.enableElement({ viewportId, type: Enums.ViewportType.STACK, element: viewportElement });
  const viewport = engine.getViewport(viewportId);

  const loaderCallsAtStart = loaderCalls;

  /** The heatmap of the last `show` decision, redrawn whenever the viewport renders (pan, zoom, resize). */
  let marks = null;
  /** Where the marks were last drawn, in the viewport's CSS pixels. */
  let marksBox = null;
  const drawMarks = () => {
    const ratio = globalThis.devicePixelRatio || 1;
    const { clientWidth, clientHeight } = viewportElement;
    overlay.width = Math.round(clientWidth * ratio);
    overlay.height = Math.round(clientHeight * ratio);
    const context = overlay.getContext('2d');
    context.clearRect(0, 0, overlay.width, overlay.height);
    marksBox = null;
    if (!marks) return;
    const { heatmap, imageId } = marks;
    const { x, y, width, height, flipped } = heatmap.region;
    // Image pixel corners -> world -> canvas (CSS pixels), so the marks follow the viewport's camera.
    const toCanvas = (column, row) => viewport.worldToCanvas(utilities.imageToWorldCoords(imageId, [column, row]));
    const [left, top] = toCanvas(x, y);
    const [right, bottom] = toCanvas(x + width, y + height);
    marksBox = { left, top, right, bottom };
    context.save();
    context.scale(ratio, ratio);
    context.translate(flipped ? right : left, top);
    context.scale(((flipped ? -1 : 1) * (right - left)) / heatmap.width, (bottom - top) / heatmap.height);
    context.imageSmoothingEnabled = true;
    context.drawImage(heatmapBitmap(heatmap), 0, 0);
    context.restore();
  };
  viewportElement.addEventListener(Enums.Events.IMAGE_RENDERED, drawMarks);

  const state = (decision, text) => {
    element.dataset.decision = decision ?? '';
    banner.hidden = !text;
    banner.textContent = text ?? '';
    banner.dataset.decision = decision ?? '';
    overlay.hidden = !marks;
    element.dataset.marks = marks ? 'shown' : 'none';
  };

  return {
    /** DICOM decodes by Cornerstone's loader since this viewer was created: one per file opened. */
    get decodes() {
      return loaderCalls - loaderCallsAtStart;
    },

    /** The CAD marks' box in the viewport (CSS pixels: left, top, right, bottom), or null when none are shown. */
    get marksBox() {
      return marksBox && { ...marksBox };
    },

    /**
     * Loads a DICOM file into the viewport and checks the displayed image with cadguard.
     * @param {Blob} file a DICOM Part 10 file
     * @param {import('cadguard').CheckOptions} [checkOptions] e.g. the archive's `expectedPixelSha256`
     * @returns {Promise<{ imageId: string, image: object, report: import('cadguard').Report | null, error: Error | null }>}
     */
    async open(file, checkOptions = {}) {
      marks = null;
      state('', null);
      const imageId = wadouri.fileManager.add(file);
      // loadAndCacheImage decodes once; setStack then takes the same IImage from Cornerstone's cache.
      const image = await imageLoader.loadAndCacheImage(imageId);
      const shown = viewport.setStack([imageId]).then(() => viewport.render());
      let report = null;
      let error = null;
      try {
        report = await guard.check(image, checkOptions);
      } catch (caught) {
        error = caught;
      }
      await shown;
      if (report?.decision === 'show' && report.cad.heatmap) marks = { heatmap: report.cad.heatmap, imageId };
      if (error) state('withhold', `${banners.withhold} (${error.code ?? error.name})`);
      else state(report.decision, banners[report.decision] ?? null);
      viewport.render();
      drawMarks();
      return { imageId, image, report, error };
    },

    /** Stops listening and releases the rendering engine; the guard stays the host's. */
    destroy() {
      viewportElement.removeEventListener(Enums.Events.IMAGE_RENDERED, drawMarks);
      engine.destroy();
      element.replaceChildren();
    },
  };
}

/** The heatmap as a translucent red canvas: alpha follows the lesion probability. */
function heatmapBitmap(heatmap) {
  const canvas = document.createElement('canvas');
  canvas.width = heatmap.width;
  canvas.height = heatmap.height;
  const context = canvas.getContext('2d');
  const pixels = context.createImageData(heatmap.width, heatmap.height);
  for (let i = 0; i < heatmap.data.length; i++) {
    const value = heatmap.data[i];
    pixels.data.set([255, 40, 40, Math.round(200 * Math.min(1, Math.max(0, value)))], i * 4);
  }
  context.putImageData(pixels, 0, 0);
  return canvas;
}
