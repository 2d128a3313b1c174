import { createGuard, type Guard } from '../dist/index.js';
import { assert, assertClose, fixtureManifest, pngBytes, quantise16, quantise8, sha256Hex, syntheticBreast } from './support/helpers.js';

const width = 240;
const height = 200;
const display = syntheticBreast(width, height, 5, 'right');

let guard: Guard;
before(async () => {
  guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
});
after(async () => {
  await guard?.dispose();
});

function greyRgba(grey: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(grey.length * 4);
  grey.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
  return rgba;
}

describe('inputs', () => {
  it('reads 16-bit PNG at full precision: same pixels, hash and score as the raw 16-bit array', async () => {
    const pixels = quantise16(display);
    const expectedHash = await sha256Hex(pixels);
    const raw = await guard.check({ data: pixels.slice(), width, height });
    const png = await guard.check(pngBytes(pixels, width, height));
    assert(png.input.format === 'png' && png.input.bitsStored === 16, `format ${png.input.format}, bits ${png.input.bitsStored}`);
    assert(png.input.pixelSha256 === expectedHash && raw.input.pixelSha256 === expectedHash, 'pixelSha256 is the hash of the 16-bit values');
    assertClose(png.cad.score, raw.cad.score, 1e-7, 'PNG vs raw score');
    const truncated = Uint16Array.from(pixels, (v) => v & 0xff00);
    const coarse = await guard.check(pngBytes(truncated, width, height));
    assert(coarse.input.pixelSha256 !== expectedHash, 'the low 8 bits are part of what is judged');
  });

  it('reads 8-bit PNG, ImageData, ImageBitmap and Blob to the same stored pixels', async () => {
    const grey = quantise8(display);
    const expectedHash = await sha256Hex(grey);
    const reports = [
      await guard.check({ data: grey.slice(), width, height }),
      await guard.check(pngBytes(grey, width, height)),
      await guard.check(new Blob([pngBytes(grey, width, height)], { type: 'image/png' })),
      await guard.check(new ImageData(greyRgba(grey), width, height)),
      await guard.check(await createImageBitmap(new ImageData(greyRgba(grey), width, height))),
    ];
    const formats = reports.map((r) => r.input.format);
    assert(formats.join() === 'raw,png,png,imagedata,imagebitmap', formats.join());
    for (const report of reports) {
      assert(report.input.pixelSha256 === expectedHash, `${report.input.format}: same pixel hash`);
      assertClose(report.cad.score, reports[0].cad.score, 1e-7, `${report.input.format} score`);
    }
  });

  it('reads JPEG through the browser decoder without colour conversion', async () => {
    const grey = quantise8(display);
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')!.putImageData(new ImageData(greyRgba(grey), width, height), 0, 0);
    const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    const bitmap = await createImageBitmap(jpeg, { colorSpaceConversion: 'none' });
    const decode = new OffscreenCanvas(width, height).getContext('2d')!;
    decode.drawImage(bitmap, 0, 0);
    const rgba = decode.getImageData(0, 0, width, height).data;
    const expected = Uint8Array.from({ length: width * height }, (_, i) => rgba[i * 4]);
    const report = await guard.check(jpeg);
    assert(report.input.format === 'jpeg', report.input.format);
    assert(report.input.pixelSha256 === (await sha256Hex(expected)), 'JPEG pixels match the browser decode');
  });

  it('applies MONOCHROME1, the window, signed pixels and float input as the viewer displays them', async () => {
    const u16 = quantise16(display, 12);
    const reference = await guard.check({ data: u16.slice(), width, height, bitsStored: 12 });
    const inverted = await guard.check({ data: u16.map((v) => 4095 - v), width, height, bitsStored: 12, photometric: 'MONOCHROME1' });
    assertClose(inverted.cad.score, reference.cad.score, 1e-6, 'MONOCHROME1');
    const windowed = await guard.check({ data: u16.slice(), width, height, windowCenter: 2048, windowWidth: 4096 });
    assertClose(windowed.cad.score, reference.cad.score, 2e-3, 'full-range window');
    const narrow = await guard.check({ data: u16.slice(), width, height, windowCenter: 1000, windowWidth: 200 });
    assert(Math.abs(narrow.cad.score - reference.cad.score) > 1e-4, 'a narrow window changes what the model sees');
    const full = quantise16(display);
    const unsigned = await guard.check({ data: full.slice(), width, height });
    const signed = await guard.check({ data: Int16Array.from(full, (v) => v - 32768), width, height });
    assertClose(signed.cad.score, unsigned.cad.score, 1e-7, 'signed vs unsigned');
    const grey = quantise8(display);
    const bytes = await guard.check({ data: grey.slice(), width, height });
    const floats = await guard.check({ data: Float32Array.from(grey, (v) => v / 255), width, height });
    assertClose(floats.cad.score, bytes.cad.score, 1e-6, 'float display values');
  });

  it('transfers pixel buffers by default and copies them with transfer: false', async () => {
    const grey = quantise8(display);
    await guard.check({ data: grey, width, height });
    assert(grey.byteLength === 0, 'the buffer was transferred (detached)');
    const kept = quantise8(display);
    await guard.check({ data: kept, width, height }, { transfer: false });
    assert(kept.byteLength === width * height, 'the buffer was copied');
  });
});
