/**
 * Blend seam: a patch pasted with a soft edge (a lesion transplanted from another image, tissue copied over a
 * finding) is, in its feather, a weighted mix w * patch + (1 - w) * image. Two independent noises mixed that way keep
 * only w^2 + (1 - w)^2 of their variance, half in the middle of the feather: the seam is a ring whose noise is lower
 * than just inside and just outside it, all the way round. Mean and noise-level matching do not remove it (the
 * forger would have to add noise shaped to the feather). Clean tissue has no such rings, whatever its source: the
 * noise is measured relative to what the same image shows at the same intensity, and each ring is judged against all
 * the rings of its size in the same image.
 *
 * A large paste near the skin line has no ring wholly on the breast. Such rings are judged on the sectors that are
 * (at least six of eight, each against whichever of its sides lies on the breast), in pools of their own: a ring
 * judged on fewer sectors dips further by chance, so it is compared only with rings judged on as many. Their
 * strongest z is a value of its own (`edge`), calibrated apart: its clean tail is wider, and on one scale it would
 * cost the rings wholly on the breast their sensitivity.
 *
 * Limit: a ring's evidence grows with its length, so small pastes (radius under about 3 % of the image side) do not
 * stand out from the chance dips of a clean image; the search starts above that.
 */
import type { BreastMask } from '../image/preprocess.js';
import { keptOrFresh, scratch } from '../scratch.js';
import { noiseTileGrid, quickSelect } from './noise-tiles.js';
import { RingSums, type SlotRuns } from './ring-sums.js';
import { BINS, MIN_BIN_SAMPLES, binMedians, cellSums, seamSamples, type SeamSamples } from './seam-samples.js';

/** Result of {@link blendSeam}. */
export interface BlendSeam {
  /**
   * The strongest ring wholly on the breast: its dip in robust units of the image's own rings of that radius (0 when
   * none could be judged).
   */
  value: number;
  /** The same for the rings partly off the breast, against rings judged on as many sectors (0 when none could be). */
  edge: number;
  /** The tiles inside the strongest ring of either kind, lit from z 5 to full at z 9, on the noise signals' tiles. */
  map: Float32Array;
  mapWidth: number;
  mapHeight: number;
  /** Ring radii that could be judged (enough rings on the breast). */
  radii: number;
  /** The strongest ring wholly on the breast, in display pixels (null when none could be judged). */
  ring: SeamRing | null;
  /** The strongest ring partly off the breast, in display pixels (null when none could be judged). */
  edgeRing: SeamRing | null;
}

/** A ring's centre and radius, in display pixels. */
export interface SeamRing {
  x: number;
  y: number;
  radius: number;
}

/** Relative noise is capped (an edge or a speck is structure, not noise). */
const RELATIVE_CAP = 4;
/** Cell side at 1,024 px along the image's long side; the smallest ring radius, in cells. */
const BASE_CELL = 4;
const FIRST_RADIUS = 8;
/** Radii per octave (a factor of 1.15 apart) and octaves (each doubles the cell): 32-224 px at 1,024 px. */
const RADII_PER_OCTAVE = 5;
const RADIUS_STEP = 1.15;
const OCTAVES = 3;
/**
 * Bands, in units of the radius R: the feather's middle [1.08 R, 1.32 R) (the blend's own feather runs from R to
 * 1.4 R), judged against [0.6 R, R) inside and [1.4 R, 1.8 R) outside.
 */
const INNER = [0.6, 1] as const;
const FEATHER = [1.08, 1.32] as const;
const OUTER = [1.4, 1.8] as const;
/**
 * Angular sectors, and which of a ring's sorted dips is its statistic: the third weakest, so six of eight sectors
 * must show it (a vessel, a duct or an edge crossing the ring darkens or lightens a few sectors; a seam runs all
 * round). A ring judged on fewer sectors (off the breast) still takes its third weakest.
 */
const SECTORS = 8;
const WEAKEST = 3;
/** Sectors a ring partly off the breast must have on it to be judged. */
const MIN_SECTORS = 6;
/** Share of a band sector's samples that must be valid (on the breast, unclipped) for the band sector to count. */
const FULL_SHARE = 0.8;
/** Rings of one radius (in one pool) needed to estimate the image's own spread. */
const MIN_RINGS = 50;
/** Quietest coarse-lattice rings re-judged with their fine-lattice neighbours. */
const REFINE = 8;
/** Robust z above which the ring's tiles light the map, and the z span to full intensity. */
const MAP_FROM = 5;
const MAP_SPAN = 4;

/**
 * Computes the statistic on display values (row-major, [0, 1]); with `breast`, only pixels on the breast count.
 * Value: over ring radii from about 3 % to 22 % of the long side, the largest robust z of the ring whose middle is
 * quieter than its sides (6 of 8 sectors), against the rings of that radius in the image; `edge`: the same for the
 * rings partly off the breast, against those judged on as many sectors.
 */
export function blendSeam(display: Float32Array, width: number, height: number, breast?: BreastMask): BlendSeam {
  const scale = Math.max(width, height) / 1024;
  const step = Math.max(1, Math.floor(scale));
  const cell = step * Math.max(1, Math.round((BASE_CELL * scale) / step));
  const perCell = (cell / step) ** 2;
  const grid = noiseTileGrid(width, height);
  const empty: BlendSeam = { value: 0, edge: 0, map: new Float32Array(grid.mapWidth * grid.mapHeight), mapWidth: grid.mapWidth, mapHeight: grid.mapHeight, radii: 0, ring: null, edgeRing: null };
  const cellsW = Math.floor(width / cell);
  const cellsH = Math.floor(height / cell);
  if (cellsW < 8 || cellsH < 8) return empty;

  const residuals = seamSamples(display, width, height, step, cell, cellsW, cellsH, breast);
  const expected = expectedNoise(residuals);
  if (!expected) return empty;

  let e: Float64Array = scratch(Float64Array, 'seam.noise', cellsW * cellsH);
  let c: Float64Array = scratch(Float64Array, 'seam.count', cellsW * cellsH);
  cellSums(residuals, expected, RELATIVE_CAP, e, c);

  // The strongest ring of each kind (z 0 and radius 0 until one is found).
  const none = { z: 0, x: 0, y: 0, radius: 0 };
  const strongest = { whole: none, edge: none };
  let judged = 0;
  let mapW = cellsW;
  let mapH = cellsH;
  let samples = perCell;
  for (let octave = 0; octave < OCTAVES; octave++) {
    if (octave > 0) {
      ({ e, c, mapW, mapH } = halve(e, c, mapW, mapH));
      samples *= 4;
    }
    const octaveCell = cell << octave;
    const prefixed = { sums: new RingSums(rowPrefix(e, c, mapW, mapH)), plain: c };
    for (let j = 0; j < RADII_PER_OCTAVE; j++) {
      const radius = FIRST_RADIUS * RADIUS_STEP ** j;
      if (radius * octaveCell > Math.min(width, height) / 4) continue;
      const found = strongestRing(prefixed, mapW, mapH, radius, samples);
      if (!found) continue;
      judged++;
      for (const kind of ['whole', 'edge'] as const) {
        const ring = found[kind];
        if (!ring || ring.z <= strongest[kind].z) continue;
        strongest[kind] = { z: ring.z, x: (ring.cx + 0.5) * octaveCell, y: (ring.cy + 0.5) * octaveCell, radius: radius * octaveCell };
      }
    }
  }
  if (judged === 0) return empty;
  const { whole, edge } = strongest;
  // The stronger kind lights the map.
  const best = edge.z > whole.z ? edge : whole;
  const map = empty.map;
  const light = Math.min(1, Math.max(0, (best.z - MAP_FROM) / MAP_SPAN));
  if (light > 0) {
    const reach = best.radius * FEATHER[1];
    for (let ty = 0; ty < grid.mapHeight; ty++) {
      for (let tx = 0; tx < grid.mapWidth; tx++) {
        const dx = 1 + (tx + 0.5) * grid.tile - best.x;
        const dy = 1 + (ty + 0.5) * grid.tile - best.y;
        if (dx * dx + dy * dy <= reach * reach) map[ty * grid.mapWidth + tx] = light;
      }
    }
  }
  const located = ({ x, y, radius }: typeof none): SeamRing | null => (radius > 0 ? { x, y, radius } : null);
  return { ...empty, value: whole.z, edge: edge.z, map, radii: judged, ring: located(whole), edgeRing: located(edge) };
}

/**
 * The image's median |residual| in each intensity bin (film noise depends on density; a detector's on dose), a
 * sparse bin taking its nearest filled neighbour's; null when no bin has enough samples.
 */
function expectedNoise(samples: SeamSamples): Float64Array | null {
  const { perBin } = samples;
  const medians = new Float64Array(BINS);
  const filled: number[] = [];
  for (let b = 0; b < BINS; b++) if (perBin[b] >= MIN_BIN_SAMPLES) filled.push(b);
  if (filled.length === 0) return null;
  const chosen = binMedians(samples);
  for (const b of filled) medians[b] = Math.max(1e-9, chosen[b]);
  for (let b = 0; b < BINS; b++) {
    if (perBin[b] >= MIN_BIN_SAMPLES) continue;
    let nearest = filled[0];
    for (const f of filled) if (Math.abs(f - b) < Math.abs(nearest - b)) nearest = f;
    medians[b] = medians[nearest];
  }
  return medians;
}

/** Cell sums of the next octave: 2x2 cells of this one. */
function halve(e: Float64Array, c: Float64Array, w: number, h: number): { e: Float64Array; c: Float64Array; mapW: number; mapH: number } {
  const mapW = w >> 1;
  const mapH = h >> 1;
  const e2 = new Float64Array(mapW * mapH);
  const c2 = new Float64Array(mapW * mapH);
  for (let y = 0; y < mapH; y++) {
    for (let x = 0; x < mapW; x++) {
      const i = 2 * y * w + 2 * x;
      e2[y * mapW + x] = e[i] + e[i + 1] + e[i + w] + e[i + w + 1];
      c2[y * mapW + x] = c[i] + c[i + 1] + c[i + w] + c[i + w + 1];
    }
  }
  return { e: e2, c: c2, mapW, mapH };
}

/** Slots of a ring: each sector's feather, inner side and outer side. */
const SLOTS = 3 * SECTORS;

/** A ring's taps as row runs grouped by slot (the kernel's layout, {@link SlotRuns}), for prefix sums. */
interface RingRuns extends SlotRuns {
  /** Cells per slot (feather sectors 0-7, their inner sides 8-15, their outer sides 16-23). */
  cells: Float64Array;
  reach: number;
}

/** Runs made so far, by radius and row length: the same 15 rings come back at every check of images of one size. */
const madeRuns = new Map<string, RingRuns>();
/** More entries than this (images of many sizes) and the cache starts afresh; one size needs 15. */
const MADE_RUNS_KEPT = 64;

/** {@link makeRingRuns}, made once per radius and row length. */
function ringRuns(radius: number, rowLength: number): RingRuns {
  const key = `${radius} ${rowLength}`;
  let runs = madeRuns.get(key);
  if (!runs) {
    if (madeRuns.size >= MADE_RUNS_KEPT) madeRuns.clear();
    runs = makeRingRuns(radius, rowLength);
    madeRuns.set(key, runs);
  }
  return runs;
}

/**
 * The runs of a ring of `radius` cells on prefix rows of `rowLength` entries: within a slot in row order, left to
 * right (the order its sum adds them in).
 */
function makeRingRuns(radius: number, rowLength: number): RingRuns {
  const reach = Math.ceil(OUTER[1] * radius);
  const lower: number[][] = Array.from({ length: SLOTS }, () => []);
  const upper: number[][] = Array.from({ length: SLOTS }, () => []);
  const cells = new Float64Array(SLOTS);
  const slotOf = (dx: number, dy: number): number => {
    const d = Math.hypot(dx, dy) / radius;
    const band = d >= FEATHER[0] && d < FEATHER[1] ? 0 : d >= INNER[0] && d < INNER[1] ? 1 : d >= OUTER[0] && d < OUTER[1] ? 2 : -1;
    if (band < 0) return -1;
    const sector = Math.floor(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * SECTORS) % SECTORS;
    return band * SECTORS + sector;
  };
  for (let dy = -reach; dy <= reach; dy++) {
    let open = -1;
    let start = 0;
    for (let dx = -reach; dx <= reach + 1; dx++) {
      const here = dx <= reach ? slotOf(dx, dy) : -1;
      if (here === open) continue;
      if (open >= 0) {
        lower[open].push(dy * rowLength + start);
        upper[open].push(dy * rowLength + dx);
        cells[open] += dx - start;
      }
      open = here;
      start = dx;
    }
  }
  const slotEnd = new Int32Array(SLOTS + 1);
  for (let s = 0; s < SLOTS; s++) slotEnd[s + 1] = slotEnd[s] + lower[s].length;
  return { lower: Int32Array.from(lower.flat()), upper: Int32Array.from(upper.flat()), slotEnd, cells, reach };
}

/**
 * The ring of `radius` cells whose feather is quietest against its sides, as a robust z against the rings of that
 * radius in the map judged on as many sectors (the image's own chance dips set the scale): the strongest wholly on
 * the breast and the strongest partly off it, each null when no pool of its kind had enough rings; null when
 * neither. `cells`: the octave's row prefix sums of relative noise (`e`) and samples (`c`), and the samples per
 * cell (`plain`). Rings are judged on every second cell each way; around the quietest few of each pool, on every cell.
 */
function strongestRing(
  cells: { sums: RingSums; plain: Float64Array },
  w: number,
  h: number,
  radius: number,
  samples: number,
): { whole: Ring | null; edge: Ring | null } | null {
  const runs = ringRuns(radius, w + 1);
  const { reach } = runs;
  if (2 * reach + 1 > Math.min(w, h)) return null;
  const { sums, plain: c } = cells;
  // A whole ring needs enough samples in every slot (a sector's two sides together); a ring partly off the breast is
  // judged on the sectors whose feather and at least one side (alone) have them. The statistic is the dip of the
  // WEAKEST-th weakest judged sector: ln(feather mean) - ln(side mean), the sectors ordered by the ratio of the means
  // (the order the log keeps; the kernel orders them, ties in sector order).
  const rule = { enough: Float64Array.from(runs.cells, (n) => FULL_SHARE * n * samples), minSectors: MIN_SECTORS, weakest: WEAKEST };
  // Each ring's statistic and pool (-1 where it cannot be judged); `bases`: centres as offsets into the prefix rows.
  // `into`: where the statistics and pools go (the coarse lattice's are kept between radii and checks).
  const judge = (bases: Int32Array, into?: string): { stats: Float64Array; pools: Int8Array } => {
    const n = bases.length;
    const judged = sums.judge(runs, bases, rule);
    const stats = keptOrFresh(Float64Array, into && `${into}.stats`, n);
    const pools = keptOrFresh(Int8Array, into && `${into}.pools`, n);
    for (let k = 0; k < n; k++) {
      const pool = judged[3 * k];
      stats[k] = pool < 0 ? Number.NaN : Math.log(judged[3 * k + 1]) - Math.log(judged[3 * k + 2]);
      pools[k] = pool;
    }
    return { stats, pools };
  };
  const offset = (cx: number, cy: number): number => cy * (w + 1) + cx;
  const centred = (cx: number, cy: number): boolean => c[cy * w + cx] >= 0.9 * samples;
  // The coarse lattice, in raster order (the order decides ties among the quietest).
  const most = Math.ceil(Math.max(0, h - 2 * reach) / 2) * Math.ceil(Math.max(0, w - 2 * reach) / 2);
  const lattice = scratch(Int32Array, 'seam.lattice', most);
  const where = scratch(Int32Array, 'seam.latticeCell', most);
  let count = 0;
  for (let cy = reach; cy < h - reach; cy += 2) {
    for (let cx = reach; cx < w - reach; cx += 2) {
      if (!centred(cx, cy)) continue;
      lattice[count] = offset(cx, cy);
      where[count++] = cy * w + cx;
    }
  }
  const coarse = judge(lattice.subarray(0, count), 'seam.coarse');
  let whole: Ring | null = null;
  let edge: Ring | null = null;
  // The judged rings grouped by pool, each pool in lattice order: start[p] to start[p + 1].
  const start = new Int32Array(POOL_WHOLE + 2);
  for (let k = 0; k < count; k++) if (coarse.pools[k] >= 0) start[coarse.pools[k] + 1]++;
  for (let p = 0; p <= POOL_WHOLE; p++) start[p + 1] += start[p];
  const grouped = scratch(Float64Array, 'seam.grouped', start[POOL_WHOLE + 1]);
  const groupedAt = scratch(Int32Array, 'seam.groupedAt', start[POOL_WHOLE + 1]);
  const next = start.slice();
  for (let k = 0; k < count; k++) {
    const p = coarse.pools[k];
    if (p < 0) continue;
    grouped[next[p]] = coarse.stats[k];
    groupedAt[next[p]++] = where[k];
  }
  for (let pool = MIN_SECTORS; pool <= POOL_WHOLE; pool++) {
    const m = start[pool + 1] - start[pool];
    if (m < MIN_RINGS) continue;
    const stats = grouped.subarray(start[pool], start[pool + 1]);
    const at = groupedAt.subarray(start[pool], start[pool + 1]);
    // The quietest rings on the coarse lattice, then their neighbours on the fine one (judged in the same pool).
    const order = quietest(stats, REFINE);
    const near: number[] = [];
    for (const k of order) {
      const cx0 = at[k] % w;
      const cy0 = Math.floor(at[k] / w);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const cx = cx0 + dx;
          const cy = cy0 + dy;
          if ((dx === 0 && dy === 0) || cx < reach || cy < reach || cx >= w - reach || cy >= h - reach || !centred(cx, cy)) continue;
          near.push(cy * w + cx);
        }
      }
    }
    let low = stats[order[0]];
    let centre = at[order[0]];
    const fine = judge(Int32Array.from(near, (i) => offset(i % w, Math.floor(i / w))));
    fine.stats.forEach((stat, k) => {
      if (fine.pools[k] === pool && stat < low) {
        low = stat;
        centre = near[k];
      }
    });
    // The statistics at float32, as the robust scale has always been taken (a value of its own, kept as it was).
    const values = scratch(Float32Array, 'seam.values', m);
    values.set(stats);
    const middle = quickSelect(values, m, m >> 1);
    for (let k = 0; k < m; k++) values[k] = Math.abs(values[k] - middle);
    const spread = 1.4826 * quickSelect(values, m, m >> 1);
    const z = (middle - low) / Math.max(spread, 1e-6);
    const ring = { z, cx: centre % w, cy: Math.floor(centre / w) };
    if (pool === POOL_WHOLE) whole = ring;
    else if (!edge || z > edge.z) edge = ring;
  }
  return whole || edge ? { whole, edge } : null;
}

/** A ring's robust z and centre cell. */
interface Ring {
  z: number;
  cx: number;
  cy: number;
}

/** Pool of the rings whose every band lies on the breast (the others are pooled by their number of sectors). */
const POOL_WHOLE = SECTORS + 1;

/**
 * Indices of the `count` smallest values, smallest first, ties in index order (a stable sort's first `count`, without
 * sorting them all).
 */
function quietest(values: ArrayLike<number>, count: number): number[] {
  const chosen: number[] = [];
  for (let k = 0; k < values.length; k++) {
    const value = values[k];
    if (chosen.length === count && value >= values[chosen[count - 1]]) continue;
    let at = chosen.length;
    while (at > 0 && values[chosen[at - 1]] > value) at--;
    chosen.splice(at, 0, k);
    if (chosen.length > count) chosen.pop();
  }
  return chosen;
}

/**
 * Prefix sums along each row, `w + 1` per row (a leading zero), of the noise sums and the sample counts interleaved
 * (a run's two sums are read from one place).
 */
function rowPrefix(e: Float64Array, c: Float64Array, w: number, h: number): Float64Array {
  // Kept between octaves and checks: RingSums copies it into the kernel's memory at once.
  const p = scratch(Float64Array, 'seam.prefix', 2 * (w + 1) * h);
  for (let y = 0; y < h; y++) {
    let sum = 0;
    let count = 0;
    p[2 * y * (w + 1)] = 0;
    p[2 * y * (w + 1) + 1] = 0;
    for (let x = 0; x < w; x++) {
      sum += e[y * w + x];
      count += c[y * w + x];
      p[2 * (y * (w + 1) + x + 1)] = sum;
      p[2 * (y * (w + 1) + x + 1) + 1] = count;
    }
  }
  return p;
}
