// The content signal's tiling: every display pixel reaches exactly one tile at its own place, padding is zero, and
// the cells come back to the right place on the image with the value read as the largest 3x3 mean logit; with a
// breast mask, tiles without breast do not run.
import { assembleContent, spreadTiles, tileBatch, tileGrid, tilePlan } from '../src/detect/content-tiles.js';
import type { BreastMask } from '../src/image/preprocess.js';
import { assert, assertClose } from './support/helpers.js';

describe('content tiles', () => {
  it('cuts an image that is not a multiple of the tile into zero-padded tiles without losing a pixel', () => {
    const width = 37;
    const height = 21;
    const display = Float32Array.from({ length: width * height }, (_, i) => 1 + i);
    const grid = tileGrid(width, height, 16);
    assert([grid.across, grid.down, grid.count].join() === '3,2,6', `grid ${JSON.stringify(grid)}`);
    const batch = tileBatch(display, width, height, grid, [0, 1, 2, 3, 4, 5]);
    let seen = 0;
    for (let t = 0; t < grid.count; t++) {
      const tx = t % grid.across;
      const ty = Math.floor(t / grid.across);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          const sx = tx * 16 + x;
          const sy = ty * 16 + y;
          const value = batch[(t * 16 + y) * 16 + x];
          if (sx < width && sy < height) {
            assert(value === display[sy * width + sx], `tile ${t} (${x}, ${y}) holds ${value}`);
            seen++;
          } else assert(value === 0, `padding of tile ${t} (${x}, ${y}) is ${value}`);
        }
      }
    }
    assert(seen === width * height, `${seen} pixels reached the tiles`);
    // Tiles picked out of order are the same as the same tiles cut in one go.
    const picked = tileBatch(display, width, height, grid, [5, 1]);
    assert(picked.subarray(0, 256).every((v, i) => v === batch[5 * 256 + i]), 'tile 5 picked alone differs');
    assert(picked.subarray(256).every((v, i) => v === batch[256 + i]), 'tile 1 picked alone differs');
  });

  it('runs one tile per constant value and gives every constant tile its output', () => {
    // 40 x 20 px, tiles of 8: 5 x 3 tiles, the last row half padding. Background 0 everywhere, a constant 0.5 block
    // over tiles 1 and 2, structure in tile 3, and a constant 0.5 in the image part of a padded tile (10): with its
    // zero padding that tile holds two values and must run.
    const width = 40;
    const height = 20;
    const display = new Float32Array(width * height);
    for (let y = 0; y < 8; y++) for (let x = 8; x < 24; x++) display[y * width + x] = 0.5;
    for (let y = 0; y < 8; y++) for (let x = 24; x < 32; x++) display[y * width + x] = (x * 3 + y) / 64;
    for (let y = 16; y < 20; y++) for (let x = 0; x < 8; x++) display[y * width + x] = 0.5;
    const grid = tileGrid(width, height, 8);
    const plan = tilePlan(display, width, height, grid);
    // Runs: tile 0 (zero), 1 (0.5), 3 (structure), 10 (0.5 over zero padding); every other tile is zero.
    assert(plan.run.join() === '0,1,3,10', `tiles run: ${plan.run.join()}`);
    assert(Array.from(plan.source).join() === '0,1,1,2,0,0,0,0,0,0,3,0,0,0,0', `sources: ${Array.from(plan.source).join()}`);
    // The outputs of the runs spread back: a tile's output is that of its source run.
    const outputs = Float32Array.from([10, 11, 20, 21, 30, 31, 40, 41]);
    const spread = spreadTiles(outputs, plan, 2);
    assert(spread.length === 30 && spread[4] === 20 && spread[5] === 21 && spread[20] === 40 && spread[29] === 11, `spread ${Array.from(spread).join()}`);
    // A constant tile cut for the model is the constant itself: running one of them stands for all of them.
    assert(tileBatch(display, width, height, grid, [2]).every((v) => v === 0.5), 'tile 2 is all 0.5');
  });

  it('puts cells back on the image and reads the value from the hottest 3x3 neighbourhood', () => {
    // 40 x 20 px, tiles of 16 px with 2 x 2 cells of 8 px: 3 x 2 tiles, 5 x 3 cells on the image.
    const grid = tileGrid(40, 20, 16);
    const heatmaps = new Float32Array(grid.count * 4).fill(0.01);
    // Tile (1, 0), its cell (row 1, column 0) is image cell (2, 1); tile (2, 1) holds image cell (4, 2).
    heatmaps[1 * 4 + 2] = 0.99;
    heatmaps[5 * 4 + 0] = 0.9;
    const content = assembleContent(heatmaps, grid, 40, 20);
    assert([content.mapWidth, content.mapHeight, content.cell].join() === '5,3,8', 'cell grid');
    assertClose(content.map[1 * 5 + 2], 0.99, 1e-6, 'the 0.99 cell at image cell (2, 1)');
    assertClose(content.map[2 * 5 + 4], 0.9, 1e-6, 'the 0.9 cell at image cell (4, 2)');
    const logit = (p: number) => Math.log(p / (1 - p));
    // The hottest neighbourhood is that of cell (3, 2) on the bottom edge: both hot cells and four cold ones (6 cells).
    const expected = (logit(0.99) + logit(0.9) + 4 * logit(0.01)) / 6;
    assertClose(content.value, expected, 1e-4, 'content value');
  });

  it('with a breast mask, runs only tiles that hold breast and leaves the others out of the value', () => {
    // 40 x 20 px, tiles of 16 (3 x 2), cells of 8 (5 x 3); mask cells of 4 px (10 x 5): the breast is the left 20
    // columns of the top 16 rows. Tiles 0 and 1 hold breast (tile 1 only its columns 16-19); the others none.
    const breast: BreastMask = { mask: new Uint8Array(50), width: 10, height: 5, block: 4 };
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) breast.mask[y * 10 + x] = 1;
    const grid = tileGrid(40, 20, 16);
    const display = Float32Array.from({ length: 800 }, (_, i) => (i % 7) / 7);
    const plan = tilePlan(display, 40, 20, grid, breast);
    assert(plan.run.join() === '0,1' && Array.from(plan.source).join() === '0,1,-1,-1,-1,-1', `run ${plan.run} sources ${Array.from(plan.source)}`);
    const heatmaps = spreadTiles(Float32Array.from({ length: 8 }, () => 0.01), plan, 4);
    assert(heatmaps.subarray(8).every(Number.isNaN) && heatmaps.subarray(4, 8).every((v) => Math.abs(v - 0.01) < 1e-6), 'a tile that did not run is NaN');
    // A hot cell in tile 1 at image cell (3, 1): of its neighbourhood (columns 2-4, rows 0-2) four cells ran (columns
    // 2-3, rows 0-1); the cells of tiles that did not run neither count nor show.
    heatmaps[1 * 4 + 3] = 0.9;
    const content = assembleContent(heatmaps, grid, 40, 20);
    const logit = (p: number) => Math.log(p / (1 - p));
    assertClose(content.value, (logit(0.9) + 3 * logit(0.01)) / 4, 1e-4, 'value over the cells that ran');
    assert(content.map[2 * 5 + 0] === 0 && content.map[4] === 0 && Math.abs(content.map[1 * 5 + 3] - 0.9) < 1e-6, 'cells of tiles that did not run show 0');
  });
});
