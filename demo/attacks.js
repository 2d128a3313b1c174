// Attacks the demo runs in the page against the shipped classifier, through the SDK: the query-only Square attack
// (Andriushchenko et al., "Square Attack: a query-efficient black-box adversarial attack via random search",
// ECCV 2020), and two content manipulations (insert or remove a lesion). Every random choice comes from a seeded
// generator, so a run is repeatable.

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), as the tests use. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample (Box-Muller). */
function gaussian(random) {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const maxValue = (image) => 2 ** image.bitsStored - 1;
const withData = (image, data) => ({ ...image, data });

/** Writes float values back into the image's stored type, rounded and clipped to its range. */
function stored(image, values) {
  const out = new image.data.constructor(values.length);
  const low = image.data instanceof Int16Array ? -(2 ** (image.bitsStored - 1)) : 0;
  const high = image.data instanceof Int16Array ? 2 ** (image.bitsStored - 1) - 1 : maxValue(image);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(high, Math.max(low, Math.round(values[i])));
  return out;
}

/** The square-size schedule of the paper (defined for 10,000 iterations), rescaled to the query budget. */
function squareFraction(pInit, iteration, budget) {
  const it = Math.floor((iteration / budget) * 10000);
  const halvings = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000].filter((step) => it > step).length;
  return pInit / 2 ** halvings;
}

/**
 * Square attack, L-inf, query-only: the attacker sees nothing but the CAD score of each query. It starts from
 * vertical stripes of +-eps, then repeatedly redraws one random square of the perturbation to +-eps and keeps the
 * change when the margin to the CAD threshold shrinks; it stops when the CAD result flips, the budget is spent, or
 * `signal` aborts.
 *
 * @param {object} options
 * @param {import('./decode.js').GreyImage} options.image the clean image (not modified)
 * @param {(image) => Promise<number>} options.score one query: the CAD score of an image
 * @param {number} options.threshold the CAD operating threshold
 * @param {number} options.eps L-inf bound in stored units
 * @param {number} options.budget queries, the first one included
 * @param {{x: number, y: number, width: number, height: number}} [options.region] where squares go (the breast the
 *   model looks at; the whole image by default)
 * @param {number} [options.seed]
 * @param {number} [options.pInit] initial fraction of the region a square covers
 * @param {AbortSignal} [options.signal]
 * @param {(progress: {queries: number, budget: number, score: number, flipped: boolean}) => void} [options.onProgress]
 * @returns {Promise<{image, score: number, queries: number, flipped: boolean, aborted: boolean}>}
 */
export async function squareAttack({ image, score, threshold, eps, budget, region, seed = 1, pInit = 0.05, signal, onProgress }) {
  const random = seededRandom(seed);
  const { width, height } = image;
  const box = region ?? { x: 0, y: 0, width, height };
  const x0 = Float32Array.from(image.data);
  const cleanScore = await score(image);
  const wantLower = cleanScore >= threshold;
  const margin = (s) => (wantLower ? s - threshold : threshold - s);
  // The clean query counts against the budget: it is a query like any other.
  let queries = 1;
  const delta = new Float32Array(x0.length);
  for (let x = 0; x < width; x++) {
    const sign = random() < 0.5 ? -eps : eps;
    for (let y = 0; y < height; y++) delta[y * width + x] = sign;
  }
  const perturbed = (d) => {
    const values = new Float32Array(x0.length);
    for (let i = 0; i < values.length; i++) values[i] = x0[i] + d[i];
    return withData(image, stored(image, values));
  };
  let best = perturbed(delta);
  let bestScore = signal?.aborted ? cleanScore : await score(best);
  queries += signal?.aborted ? 0 : 1;
  onProgress?.({ queries, budget, score: bestScore, flipped: margin(bestScore) < 0 });
  while (queries < budget && margin(bestScore) >= 0 && !signal?.aborted) {
    const fraction = squareFraction(pInit, queries, budget);
    const side = Math.max(1, Math.min(Math.min(box.width, box.height) - 1, Math.round(Math.sqrt(fraction * box.width * box.height))));
    const left = box.x + Math.floor(random() * (box.width - side));
    const top = box.y + Math.floor(random() * (box.height - side));
    let value = random() < 0.5 ? -eps : eps;
    // A square that changes nothing would waste a query: the paper redraws it; flipping its sign is the same.
    let unchanged = true;
    for (let y = top; y < top + side && unchanged; y++) for (let x = left; x < left + side && unchanged; x++) unchanged = delta[y * width + x] === value;
    if (unchanged) value = -value;
    const candidate = delta.slice();
    for (let y = top; y < top + side; y++) candidate.fill(value, y * width + left, y * width + left + side);
    const image1 = perturbed(candidate);
    const s = await score(image1);
    queries++;
    if (margin(s) < margin(bestScore)) {
      delta.set(candidate);
      best = image1;
      bestScore = s;
    }
    onProgress?.({ queries, budget, score: bestScore, flipped: margin(bestScore) < 0 });
  }
  return { image: best, cleanScore, score: bestScore, queries, flipped: margin(bestScore) < 0, aborted: Boolean(signal?.aborted) };
}

/** Noise level (standard deviation of the 4-neighbour residual) in a ring around a point, in stored units. */
function ringNoise(values, width, height, cx, cy, inner, outer) {
  let sum = 0;
  let sumSquares = 0;
  let n = 0;
  for (let y = Math.max(1, Math.floor(cy - outer)); y <= Math.min(height - 2, Math.ceil(cy + outer)); y++) {
    for (let x = Math.max(1, Math.floor(cx - outer)); x <= Math.min(width - 2, Math.ceil(cx + outer)); x++) {
      const d = Math.hypot(x - cx, y - cy);
      if (d < inner || d > outer) continue;
      const i = y * width + x;
      const r = values[i] - 0.25 * (values[i - 1] + values[i + 1] + values[i - width] + values[i + width]);
      sum += r;
      sumSquares += r * r;
      n++;
    }
  }
  // The 4-neighbour residual of white noise has 1.25 times its variance.
  return n > 1 ? Math.sqrt(Math.max(0, sumSquares / n - (sum / n) ** 2) / 1.25) : 0;
}

const smoothstep = (edge0, edge1, x) => {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
};

/** Lesion radius for an image: about 3.5 % of its short side (mini-MIAS masses span roughly 2-10 %). */
export const lesionRadius = (image) => Math.max(6, Math.round(0.035 * Math.min(image.width, image.height)));

/**
 * Inserts a synthetic mass at (cx, cy): a soft-edged bright core with spiculations (thin rays that taper), blended
 * in, with noise matched to the surrounding tissue so it does not look pasted on.
 */
export function insertLesion(image, cx, cy, { radius = lesionRadius(image), seed = 1, contrast = 0.14 } = {}) {
  const random = seededRandom(seed);
  const { width, height } = image;
  const values = Float32Array.from(image.data);
  const range = image.windowWidth > 0 ? image.windowWidth : maxValue(image);
  const sign = image.photometric === 'MONOCHROME1' ? -1 : 1;
  const amplitude = sign * contrast * range;
  const noise = ringNoise(values, width, height, cx, cy, radius * 1.3, radius * 1.8);
  const rays = Array.from({ length: 9 + Math.floor(random() * 6) }, () => ({
    angle: random() * 2 * Math.PI,
    length: radius * (1.4 + random() * 0.9),
    width: radius * (0.07 + random() * 0.06),
  }));
  const reach = radius * 2.4;
  for (let y = Math.max(0, Math.floor(cy - reach)); y <= Math.min(height - 1, Math.ceil(cy + reach)); y++) {
    for (let x = Math.max(0, Math.floor(cx - reach)); x <= Math.min(width - 1, Math.ceil(cx + reach)); x++) {
      const dx = x - cx;
      const dy = y - cy;
      const d = Math.hypot(dx, dy);
      // A lobulated outline: the core's radius wobbles with the angle.
      const theta = Math.atan2(dy, dx);
      const outline = radius * (1 + 0.12 * Math.sin(3 * theta + seed) + 0.06 * Math.sin(7 * theta));
      let weight = 1 - smoothstep(outline * 0.55, outline, d);
      for (const ray of rays) {
        const along = dx * Math.cos(ray.angle) + dy * Math.sin(ray.angle);
        if (along <= 0 || along > ray.length) continue;
        const across = Math.abs(-dx * Math.sin(ray.angle) + dy * Math.cos(ray.angle));
        const taper = ray.width * (1 - along / ray.length);
        if (across < taper) weight = Math.max(weight, 0.55 * (1 - across / taper) * (1 - along / ray.length));
      }
      if (weight <= 0) continue;
      const i = y * width + x;
      values[i] += weight * amplitude + weight * noise * 0.5 * gaussian(random);
    }
  }
  return withData(image, stored(image, values));
}

/**
 * Removes what lies in the disk of `radius` around (cx, cy): fills it smoothly from the ring around it (inverse-
 * distance weights over 48 ring samples), adds noise at the ring's level, and feathers the edge.
 */
export function removeLesion(image, cx, cy, { radius = Math.round(lesionRadius(image) * 1.4), seed = 1 } = {}) {
  const random = seededRandom(seed);
  const { width, height } = image;
  const values = Float32Array.from(image.data);
  const samples = [];
  for (let k = 0; k < 48; k++) {
    const angle = (k / 48) * 2 * Math.PI;
    let sum = 0;
    let n = 0;
    for (let r = radius * 1.1; r <= radius * 1.35; r += 1) {
      const x = Math.round(cx + r * Math.cos(angle));
      const y = Math.round(cy + r * Math.sin(angle));
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      sum += values[y * width + x];
      n++;
    }
    if (n) samples.push({ x: cx + radius * 1.2 * Math.cos(angle), y: cy + radius * 1.2 * Math.sin(angle), value: sum / n });
  }
  if (!samples.length) return withData(image, image.data.slice());
  const noise = ringNoise(values, width, height, cx, cy, radius * 1.1, radius * 1.6);
  for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(height - 1, Math.ceil(cy + radius)); y++) {
    for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(width - 1, Math.ceil(cx + radius)); x++) {
      const d = Math.hypot(x - cx, y - cy);
      if (d > radius) continue;
      let weighted = 0;
      let weights = 0;
      for (const sample of samples) {
        const w = 1 / ((x - sample.x) ** 2 + (y - sample.y) ** 2 + 1);
        weighted += w * sample.value;
        weights += w;
      }
      const fill = weighted / weights + noise * gaussian(random);
      const blend = 1 - smoothstep(radius * 0.8, radius, d);
      const i = y * width + x;
      values[i] = blend * fill + (1 - blend) * values[i];
    }
  }
  return withData(image, stored(image, values));
}
