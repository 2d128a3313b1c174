/**
 * The image a warm-up checks ({@link GuardWorker.warmUp}): a synthetic 16-bit breast, made here, so no image
 * (and no patient data) is needed and nothing is fetched.
 *
 * Why a warm-up at all: after a start, the browser runs onnxruntime's WebAssembly and the guard's own kernels on
 * baseline code and optimises them in the background as they run (onnxruntime-web compiles its runtime from bytes,
 * so no optimised code is kept between starts). On the 2-core VM of `npm run bench` the first full check after
 * createGuard() took several times a later one; a few checks of this image pay that before a viewer's first image.
 * Compiled code serves every image size, so one modest size warms the path for all.
 */
import type { RawPixels } from '../protocol.js';

/** Side of the warm-up image, in pixels: the bundled classifier's own input size. */
export const WARM_UP_SIZE = 512;

/** Checks a warm-up runs unless told otherwise. */
export const WARM_UP_CHECKS = 6;

/** Most checks one warm-up may ask for. */
export const WARM_UP_MAX_CHECKS = 50;

let made: Uint16Array | null = null;

/**
 * A fresh copy of the warm-up image (a check may keep or transform its pixels): an ellipse of tissue against the
 * film's edge with seeded noise, so every stage runs as on a mammogram (breast mask, crop, every signal).
 */
export function warmUpImage(): RawPixels {
  made ??= phantom(WARM_UP_SIZE, WARM_UP_SIZE);
  return { data: made.slice(), width: WARM_UP_SIZE, height: WARM_UP_SIZE, bitsStored: 16 };
}

function phantom(width: number, height: number): Uint16Array {
  const pixels = new Uint16Array(width * height);
  let state = 0x2545f491;
  for (let y = 0; y < height; y++) {
    const dy = (y - height / 2) / (height * 0.45);
    for (let x = 0; x < width; x++) {
      const dx = x / (width * 0.8);
      const r = dx * dx + dy * dy;
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = ((state >>> 0) / 4294967296 - 0.5) * 0.04;
      const value = r < 1 ? 0.35 + 0.3 * (1 - r) + 0.05 * Math.sin(x * 0.03) * Math.cos(y * 0.02) + noise : 0.03 + noise;
      pixels[y * width + x] = Math.round(Math.min(1, Math.max(0, value)) * 65535);
    }
  }
  return pixels;
}
