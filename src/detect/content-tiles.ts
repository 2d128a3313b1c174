/**
 * The content signal's geometry: the display image cut into whole tiles for the content model (role `'content'`,
 * preprocess `'display-tiles-v1'`), and its per-cell outputs put back together into one map and one value.
 * The model reads full-resolution display values because a learned fill's texture does not survive the
 * classifier's downscaling (models/DETECTOR_CARD.md).
 */
import { touchesBreast, type BreastMask } from '../image/preprocess.js';

/** Tiles of one display image: `count` tiles of `tile` x `tile` pixels, `across` per row, zero-padded at the edges. */
export interface TileGrid {
  tile: number;
  across: number;
  down: number;
  count: number;
}

/** The grid of whole tiles that covers a `width` x `height` image. */
export function tileGrid(width: number, height: number, tile: number): TileGrid {
  const across = Math.ceil(width / tile);
  const down = Math.ceil(height / tile);
  return { tile, across, down, count: across * down };
}

/**
 * The listed tiles (row-major indices) as one NCHW batch; pixels beyond the image are 0, as the model saw beyond its
 * training windows' edges. Written into `into` when given (tiles x tile x tile elements, overwritten whole).
 */
export function tileBatch(display: Float32Array, width: number, height: number, grid: TileGrid, tiles: readonly number[], into?: Float32Array): Float32Array {
  const { tile } = grid;
  const batch = into ? into.fill(0) : new Float32Array(tiles.length * tile * tile);
  tiles.forEach((index, k) => {
    const ty = Math.floor(index / grid.across);
    const tx = index % grid.across;
    const x0 = tx * tile;
    const cols = Math.min(tile, width - x0);
    for (let y = 0; y < tile; y++) {
      const sy = ty * tile + y;
      if (sy >= height) break;
      batch.set(display.subarray(sy * width + x0, sy * width + x0 + cols), (k * tile + y) * tile);
    }
  });
  return batch;
}

/**
 * Which tiles the model must see. A tile whose every value (padding included) is one constant gives the output of
 * any other tile of that constant, so only the first of them runs: the empty background of a full-field image costs
 * one tile, not hundreds. With a breast mask, a tile with no breast pixel does not run at all (`source[t]` = -1):
 * nothing there matters to the CAD result. `source[t]` is the position in `run` whose output tile `t` takes.
 */
export interface TilePlan {
  run: number[];
  source: Int32Array;
}

/** The tiles to run and where each tile's output comes from. */
export function tilePlan(display: Float32Array, width: number, height: number, grid: TileGrid, breast?: BreastMask): TilePlan {
  const run: number[] = [];
  const source = new Int32Array(grid.count);
  const byConstant = new Map<number, number>();
  for (let t = 0; t < grid.count; t++) {
    if (breast && !touchesBreast(breast, ...tileRect(grid, width, height, t))) {
      source[t] = -1;
      continue;
    }
    const value = constantOf(display, width, height, grid, t);
    const known = value === null ? undefined : byConstant.get(value);
    if (known !== undefined) {
      source[t] = known;
      continue;
    }
    source[t] = run.length;
    if (value !== null) byConstant.set(value, run.length);
    run.push(t);
  }
  return { run, source };
}

/** The tile's single value, or null when it holds two (a partial tile's zero padding counts as a value). */
function constantOf(display: Float32Array, width: number, height: number, grid: TileGrid, t: number): number | null {
  const { tile } = grid;
  const [x0, y0, x1, y1] = tileRect(grid, width, height, t);
  const value = display[y0 * width + x0];
  if ((x1 - x0 < tile || y1 - y0 < tile) && value !== 0) return null;
  for (let y = y0; y < y1; y++) {
    for (let i = y * width + x0, end = y * width + x1; i < end; i++) if (display[i] !== value) return null;
  }
  // -0 and 0 are one input to the model; Map keys already treat them alike.
  return value;
}

/** The image pixels [x0, x1) x [y0, y1) of tile `t` (the part inside the image). */
function tileRect(grid: TileGrid, width: number, height: number, t: number): [number, number, number, number] {
  const x0 = (t % grid.across) * grid.tile;
  const y0 = Math.floor(t / grid.across) * grid.tile;
  return [x0, y0, Math.min(width, x0 + grid.tile), Math.min(height, y0 + grid.tile)];
}

/**
 * Per-tile outputs (`perTile` values each, in `plan.run` order) spread back to every tile of the grid; a tile that
 * did not run (off the breast) gets NaN.
 */
export function spreadTiles(outputs: Float32Array, plan: TilePlan, perTile: number): Float32Array {
  const all = new Float32Array(plan.source.length * perTile);
  plan.source.forEach((k, t) => {
    if (k < 0) all.fill(Number.NaN, t * perTile, (t + 1) * perTile);
    else all.set(outputs.subarray(k * perTile, (k + 1) * perTile), t * perTile);
  });
  return all;
}

/** The content model's cells over the whole image, with the signal value read from them. */
export interface ContentMap {
  /**
   * Largest 3x3 mean of cell logits (of the cells whose tile ran): one filled region raises it, a single odd cell
   * hardly. NaN when no tile ran.
   */
  value: number;
  /** Per-cell probability, row-major, `mapWidth` x `mapHeight` cells of `cell` display pixels. */
  map: Float32Array;
  mapWidth: number;
  mapHeight: number;
  cell: number;
}

/**
 * Puts the tiles' cell probabilities (`heatmaps`, tile after tile, each `cellsPerTile`^2 row-major) back on the image
 * and computes the value. Cells wholly beyond the image are dropped, and so are the cells of tiles that did not run
 * (NaN: no breast in them). Mirrors train_content.py's `image_value`.
 */
export function assembleContent(heatmaps: Float32Array, grid: TileGrid, width: number, height: number): ContentMap {
  const perTile = Math.round(Math.sqrt(heatmaps.length / grid.count));
  const cell = grid.tile / perTile;
  const mapWidth = Math.ceil(width / cell);
  const mapHeight = Math.ceil(height / cell);
  const map = new Float32Array(mapWidth * mapHeight);
  const logits = new Float64Array(mapWidth * mapHeight).fill(Number.NaN);
  for (let cy = 0; cy < mapHeight; cy++) {
    const ty = Math.floor(cy / perTile);
    for (let cx = 0; cx < mapWidth; cx++) {
      const tx = Math.floor(cx / perTile);
      const p = heatmaps[(ty * grid.across + tx) * perTile * perTile + (cy % perTile) * perTile + (cx % perTile)];
      if (Number.isNaN(p)) continue;
      map[cy * mapWidth + cx] = p;
      // The model gives probabilities; the value works on logits so that confident cells stay apart from each other.
      const q = Math.min(Math.max(p, 1e-30), 1 - 2 ** -24);
      logits[cy * mapWidth + cx] = Math.log(q / (1 - q));
    }
  }
  let value = Number.NaN;
  for (let cy = 0; cy < mapHeight; cy++) {
    for (let cx = 0; cx < mapWidth; cx++) {
      if (Number.isNaN(logits[cy * mapWidth + cx])) continue;
      let sum = 0;
      let count = 0;
      for (let y = Math.max(0, cy - 1); y <= Math.min(mapHeight - 1, cy + 1); y++) {
        for (let x = Math.max(0, cx - 1); x <= Math.min(mapWidth - 1, cx + 1); x++) {
          const logit = logits[y * mapWidth + x];
          if (Number.isNaN(logit)) continue;
          sum += logit;
          count++;
        }
      }
      const mean = sum / count;
      if (Number.isNaN(value) || mean > value) value = mean;
    }
  }
  return { value, map, mapWidth, mapHeight, cell };
}
