// The content signal end to end: a manifest with a content-role model makes every check tile the full-resolution
// display through it, on either backend, and report the value train_content.py's own code computes for the same
// image in PyTorch (test/fixtures/models/content-reference.json, written by make_test_models.py).
import { createGuard } from '../dist/index.js';
import { parseManifest } from '../src/engine/manifest.js';
import { GuardError } from '../src/errors.js';
import { assert, assertClose, quantise8, syntheticBreast } from './support/helpers.js';

const manifestUrl = '/test/fixtures/models/manifest-content.json';

/** Twin of make_test_models.py's content_pattern: 8-bit structure at every scale. */
function contentPattern(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = (x * 7 + y * 13 + ((x * y) % 29)) % 256;
  return pixels;
}

describe('content signal', () => {
  for (const backend of ['wasm', 'webgpu'] as const) {
    it(`reports the PyTorch reference value over whole tiles of the display (${backend})`, async () => {
      const reference = await (await fetch('/test/fixtures/models/content-reference.json')).json();
      const guard = await createGuard({ manifestUrl, backend, allowSoftwareAdapter: true });
      try {
        const { width, height } = reference;
        const report = await guard.check({ data: contentPattern(width, height), width, height }, { heatmap: true });
        assert(report.backend === backend, `ran on ${report.backend}`);
        const content = report.integrity.signals.find((s) => s.id === 'content');
        assert(content && content.value !== null, `content signal reported: ${JSON.stringify(report.integrity.signals)}`);
        assertClose(content.value, reference.value, 1e-3, `content value on ${backend}`);
        assert(Number.isFinite(content.ms) && content.ms! >= 0, 'content timing');
        const heatmap = report.integrity.heatmap!;
        assert(heatmap.width === Math.ceil(width / 8) && heatmap.height === Math.ceil(height / 8), `tamper heatmap on the content cells: ${heatmap.width} x ${heatmap.height}`);
        // Without a calibration in this manifest the guard cannot clear the image whatever the value.
        assert(report.integrity.verdict !== 'pass' && report.decision !== 'show', 'uncalibrated: never show');
        // Constant tiles run once per value (4 of 6 tiles here) and still give PyTorch's value over every tile.
        const blocks = reference.constantBlocks;
        const blockPixels = new Uint8Array(blocks.width * blocks.height);
        for (let i = 0; i < blockPixels.length; i++) blockPixels[i] = Math.floor((i % blocks.width) / 256) % 2 === 0 ? 128 : 0;
        const blockReport = await guard.check({ data: blockPixels, width: blocks.width, height: blocks.height });
        const blockContent = blockReport.integrity.signals.find((s) => s.id === 'content');
        assertClose(blockContent?.value ?? NaN, blocks.value, 1e-3, `content value over constant tiles on ${backend}`);
      } finally {
        await guard.dispose();
      }
    });
  }

  it('the bundled content model gives the same value on WASM and on WebGPU, and passes a clean synthetic breast', async () => {
    // 600 x 520: 3 x 3 tiles, the last row and column zero-padded. The bundled model's first conv is the padded
    // (WebGPU-safe) one; this is where a backend difference would show.
    const pixels = quantise8(syntheticBreast(600, 520, 3));
    const values: number[] = [];
    for (const backend of ['wasm', 'webgpu'] as const) {
      const guard = await createGuard({ manifestUrl: '/dist/models/manifest.json', backend, allowSoftwareAdapter: true });
      try {
        const report = await guard.check({ data: pixels.slice(), width: 600, height: 520 });
        const content = report.integrity.signals.find((s) => s.id === 'content');
        assert(report.backend === backend && content?.value != null, `content on ${report.backend}`);
        assert(!content.flagged, `clean synthetic breast flagged by content on ${backend}: ${content.detail}`);
        values.push(content.value);
      } finally {
        await guard.dispose();
      }
    }
    assertClose(values[1], values[0], 1e-3, 'content value, WebGPU vs WASM');
  });

  it('rejects a content model whose manifest entry cannot be tiled', async () => {
    const manifest = await (await fetch(manifestUrl)).json();
    manifest.models[1].input.preprocess = 'resize-v1';
    let error: unknown;
    try {
      parseManifest(manifest, new URL(manifestUrl, location.href).href);
    } catch (e) {
      error = e;
    }
    assert(error instanceof GuardError && error.code === 'model-load' && /display-tiles-v1/.test(error.message), `model-load naming the preprocess: ${error}`);
  });
});
