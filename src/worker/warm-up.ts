/**
 * The image a warm-up checks ({@link GuardWorker.warmUp}): a synthetic 16-bit breast, made here, so no image
 * (and no patient data) is needed and nothing is fetched.
 *
 * Why a warm-up at all: after a start, the browser runs onnxruntime's WebAssembly and the guard's own kernels on
 * baseline code and optimises them in the background as they run (onnxruntime-web compiles its runtime from bytes,
 * so no optimised code is kept between starts). On the 2-core VM of `npm run bench` the first full check after
 * createGuard() took several times a later one; a few checks of this image pay most of that before a viewer's first
 * image. Optimised code serves every image size; an image of another size still sets up its own working buffers (and
 * the content model its batch of tiles) on its first check, which is why the viewer may name its own size.
 */
import type { RawPixels } from '../protocol.js';

/**
 * The warm-up image of that size: tissue from the chest wall to a curved skin line, background beyond it, with hashed
 * noise, so every stage runs as on a mammogram (breast mask, crop, every signal). Made once per warm-up, which checks
 * copies of it (a check may keep or transform its pixels) and drops it when it ends.
 */
export function warmUpImage(width: number, height: number): RawPixels {
  return { data: phantom(width, height), width, height, bitsStored: 16 };
}

function phantom(width: number, height: number): Uint16Array {
  const pixels = new Uint16Array(width * height);
  const edge = 0.85 * width;
  for (let y = 0; y < height; y++) {
    // The breast's edge curves away from the chest wall (x = 0), widest at mid-height.
    const fromMiddle = (2 * y) / height - 1;
    const reach = edge * Math.sqrt(Math.max(0, 1 - fromMiddle * fromMiddle));
    for (let x = 0; x < width; x++) {
      // A per-pixel hash as the noise: the same image every time, with no state to carry.
      let h = Math.imul(x + 1, 0x9e3779b1) ^ Math.imul(y + 1, 0x85ebca77);
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
      const noise = ((h >>> 8) / 16777216 - 0.5) * 0.03;
      const depth = reach > 0 ? 1 - x / reach : -1;
      const tissue = depth > 0 ? 0.3 + 0.35 * Math.sqrt(depth) + 0.04 * Math.cos(x * 0.05 + y * 0.03) : 0.02;
      pixels[y * width + x] = Math.round(Math.min(1, Math.max(0, tissue + noise)) * 65535);
    }
  }
  return pixels;
}
