/**
 * The content signal's geometry: the display image cut into whole tiles for the content model (role `'content'`,
 * preprocess `'display-tiles-v1'`), and its per-cell outputs put back together into one map and one value.
 * The model reads full-resolution display values because a learned fill's texture does not survive the
 * classifier's downscaling (models/DETECTOR_CARD.md).
 */

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
 * Tiles `first` .. `first + n - 1` (row-major) as one NCHW batch; pixels beyond the image are 0, as the model saw
 * beyond its training windows' edges.
 */
export function tileBatch(display: Float32Array, width: number, height: number, grid: TileGrid, first: number, n: number): Float32Array {
  const { tile } = grid;
  const batch = new Float32Array(n * tile * tile);
  for (let k = 0; k < n; k++) {
    const ty = Math.floor((first + k) / grid.across);
    const tx = (first + k) % grid.across;
    const x0 = tx * tile;
    const cols = Math.min(tile, width - x0);
    for (let y = 0; y < tile; y++) {
      const sy = ty * tile + y;
      if (sy >= height) break;
      batch.set(display.subarray(sy * width + x0, sy * width + x0 + cols), (k * tile + y) * tile);
    }
  }
  return batch;
}

/** The content model's cells over the whole image, with the signal value read from them. */
export interface ContentMap {
  /** Largest 3x3 mean of cell logits: one filled region raises it, a single odd cell hardly. */
  value: number;
  /** Per-cell probability, row-major, `mapWidth` x `mapHeight` cells of `cell` display pixels. */
  map: Float32Array;
  mapWidth: number;
  mapHeight: number;
  cell: number;
}

/**
 * Puts the tiles' cell probabilities (`heatmaps`, tile after tile, each `cellsPerTile`^2 row-major) back on the image
 * and computes the value. Cells wholly beyond the image are dropped. Mirrors train_content.py's `image_value`.
 */
export function assembleContent(heatmaps: Float32Array, grid: TileGrid, width: number, height: number): ContentMap {
  const perTile = Math.round(Math.sqrt(heatmaps.length / grid.count));
  const cell = grid.tile / perTile;
  const mapWidth = Math.ceil(width / cell);
  const mapHeight = Math.ceil(height / cell);
  const map = new Float32Array(mapWidth * mapHeight);
  const logits = new Float64Array(mapWidth * mapHeight);
  for (let cy = 0; cy < mapHeight; cy++) {
    const ty = Math.floor(cy / perTile);
    for (let cx = 0; cx < mapWidth; cx++) {
      const tx = Math.floor(cx / perTile);
      const p = heatmaps[(ty * grid.across + tx) * perTile * perTile + (cy % perTile) * perTile + (cx % perTile)];
      map[cy * mapWidth + cx] = p;
      // The model gives probabilities; the value works on logits so that confident cells stay apart from each other.
      const q = Math.min(Math.max(p, 1e-30), 1 - 2 ** -24);
      logits[cy * mapWidth + cx] = Math.log(q / (1 - q));
    }
  }
  let value = Number.NEGATIVE_INFINITY;
  for (let cy = 0; cy < mapHeight; cy++) {
    for (let cx = 0; cx < mapWidth; cx++) {
      let sum = 0;
      let count = 0;
      for (let y = Math.max(0, cy - 1); y <= Math.min(mapHeight - 1, cy + 1); y++) {
        for (let x = Math.max(0, cx - 1); x <= Math.min(mapWidth - 1, cx + 1); x++) {
          sum += logits[y * mapWidth + x];
          count++;
        }
      }
      value = Math.max(value, sum / count);
    }
  }
  return { value, map, mapWidth, mapHeight, cell };
}
