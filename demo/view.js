// Draws a grey image into a canvas with a window (centre / width, in stored units, at full precision) and the
// report's heatmaps over it. Window / level as viewers do it: drag horizontally for width, vertically for level;
// with the canvas focused, arrow keys do the same (Shift: larger steps) and R resets.

/** Default window of an image: the file's own, else its full stored range (what the model is shown). */
export function defaultWindow(image) {
  if (image.windowWidth > 0) return { center: image.windowCenter, width: image.windowWidth };
  const max = 2 ** image.bitsStored - 1;
  return { center: max / 2, width: max + 1 };
}

/** Display levels 0-255 of stored values through a LINEAR window; MONOCHROME1 is inverted. */
export function toGreyRgba(image, window, rgba = new Uint8ClampedArray(image.width * image.height * 4)) {
  const low = window.center - window.width / 2;
  const scale = 255 / window.width;
  const invert = image.photometric === 'MONOCHROME1';
  const level = (v) => {
    const g = Math.min(255, Math.max(0, Math.round((v - low) * scale)));
    return invert ? 255 - g : g;
  };
  const { data } = image;
  // A table per window keeps dragging smooth on large 16-bit images.
  const table = data instanceof Uint8Array || data instanceof Uint16Array ? Uint8Array.from({ length: 2 ** (data.BYTES_PER_ELEMENT * 8) }, (_, v) => level(v)) : null;
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const g = table ? table[data[i]] : level(data[i]);
    rgba[j] = rgba[j + 1] = rgba[j + 2] = g;
    rgba[j + 3] = 255;
  }
  return rgba;
}

/** Colour of a heatmap cell: CAD in warm colours, tamper in magenta. */
const palettes = {
  cad: (v) => [255, Math.round(255 * (1 - v)), 0, Math.round(150 * v)],
  tamper: (v) => [255, 0, 255, Math.round(200 * Math.min(1, v * 1.5))],
};

/** Draws a {@link Heatmap} (cells over `region`, mirrored when `flipped`) onto a 2D context in image pixels. */
export function drawHeatmap(context, heatmap, palette = 'cad') {
  const { width, height, data, region } = heatmap;
  const cells = new OffscreenCanvas(width, height);
  const rgba = new Uint8ClampedArray(width * height * 4);
  const colour = palettes[palette];
  for (let i = 0; i < data.length; i++) rgba.set(colour(Math.min(1, Math.max(0, data[i]))), i * 4);
  cells.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  context.save();
  context.translate(region.x + (region.flipped ? region.width : 0), region.y);
  context.scale(region.flipped ? -1 : 1, 1);
  context.imageSmoothingEnabled = true;
  context.drawImage(cells, 0, 0, region.width, region.height);
  context.restore();
}

/** The image point of the hottest heatmap cell's centre. */
export function heatmapPeak(heatmap) {
  const { width, height, data, region } = heatmap;
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i] > data[best]) best = i;
  const cellX = ((best % width) + 0.5) / width;
  const cellY = (Math.floor(best / width) + 0.5) / height;
  return {
    x: region.x + (region.flipped ? 1 - cellX : cellX) * region.width,
    y: region.y + cellY * region.height,
    radius: (0.5 * region.width) / width + (0.5 * region.height) / height,
    value: data[best],
  };
}

/** One canvas showing one image with window / level and overlays. */
export class ImageView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onWindow?: (window) => void, onPick?: (point: {x: number, y: number}) => void}} [hooks]
   *   `onPick` gets a click (a press without a drag) in image pixels.
   */
  constructor(canvas, hooks = {}) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.hooks = hooks;
    this.image = null;
    this.window = null;
    this.overlays = [];
    this.greyCanvas = null;
    this.listen();
    // The canvas keeps the image's pixels; its CSS size fills the stage around it, up or down, keeping the aspect.
    new ResizeObserver(() => this.fit()).observe(canvas.parentElement);
  }

  fit() {
    const stage = this.canvas.parentElement;
    const scale = Math.min(stage.clientWidth / this.canvas.width, stage.clientHeight / this.canvas.height);
    if (!(scale > 0)) return;
    this.canvas.style.width = `${Math.floor(this.canvas.width * scale)}px`;
    this.canvas.style.height = `${Math.floor(this.canvas.height * scale)}px`;
  }

  /** Shows an image; keeps the window when `keepWindow` and the image has the same range. */
  show(image, { keepWindow = false } = {}) {
    const sameRange = this.image && image && this.image.bitsStored === image.bitsStored;
    this.image = image;
    if (!keepWindow || !sameRange || !this.window) this.window = image ? defaultWindow(image) : null;
    this.render();
  }

  /** Overlays drawn after the image: functions `(context, image) => void`. */
  setOverlays(overlays) {
    this.overlays = overlays;
    this.paint();
  }

  setWindow(window) {
    if (!this.image) return;
    const max = 2 ** this.image.bitsStored;
    this.window = { center: Math.min(max, Math.max(-max, window.center)), width: Math.min(4 * max, Math.max(1, window.width)) };
    this.render();
  }

  resetWindow() {
    if (this.image) this.setWindow(defaultWindow(this.image));
  }

  /** Re-windows the grey values, then paints. */
  render() {
    const image = this.image;
    if (!image) {
      this.greyCanvas = null;
      this.paint();
      return;
    }
    if (!this.greyCanvas || this.greyCanvas.width !== image.width || this.greyCanvas.height !== image.height) {
      this.greyCanvas = new OffscreenCanvas(image.width, image.height);
      this.greyData = new ImageData(image.width, image.height);
    }
    toGreyRgba(image, this.window, this.greyData.data);
    this.greyCanvas.getContext('2d').putImageData(this.greyData, 0, 0);
    this.paint();
    this.hooks.onWindow?.(this.window);
  }

  paint() {
    const { canvas, context } = this;
    if (!this.greyCanvas) {
      context.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    if (canvas.width !== this.image.width || canvas.height !== this.image.height) {
      canvas.width = this.image.width;
      canvas.height = this.image.height;
      this.fit();
    }
    context.drawImage(this.greyCanvas, 0, 0);
    for (const overlay of this.overlays) overlay(context, this.image);
  }

  /** Canvas event position -> image pixel. */
  toImage(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: Math.round(((event.clientX - box.left) / box.width) * this.canvas.width),
      y: Math.round(((event.clientY - box.top) / box.height) * this.canvas.height),
    };
  }

  listen() {
    const canvas = this.canvas;
    let drag = null;
    canvas.addEventListener('pointerdown', (event) => {
      if (!this.image || event.button !== 0) return;
      try {
        canvas.setPointerCapture(event.pointerId);
      } catch {
        // A synthetic pointer (assistive tools, scripts) cannot be captured; the drag still works inside the canvas.
      }
      drag = { x: event.clientX, y: event.clientY, window: { ...this.window }, moved: false };
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (!drag.moved) return;
      // One screen pixel moves the window by 1/256 of the full range, whatever the image's bit depth.
      const step = 2 ** this.image.bitsStored / 256;
      this.setWindow({ center: drag.window.center - dy * step, width: drag.window.width + dx * step });
    });
    const end = (event) => {
      if (!drag) return;
      const picked = !drag.moved;
      drag = null;
      if (picked && event.type === 'pointerup') this.hooks.onPick?.(this.toImage(event));
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('keydown', (event) => {
      if (!this.image) return;
      const step = (2 ** this.image.bitsStored / 64) * (event.shiftKey ? 4 : 1);
      const { center, width } = this.window;
      const moves = {
        ArrowLeft: { center, width: width - step },
        ArrowRight: { center, width: width + step },
        ArrowUp: { center: center + step, width },
        ArrowDown: { center: center - step, width },
      };
      if (moves[event.key]) this.setWindow(moves[event.key]);
      else if (event.key === 'r' || event.key === 'R') this.resetWindow();
      else return;
      event.preventDefault();
    });
  }
}
