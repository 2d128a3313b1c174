import { createGuard, type Guard, type Report, type ViewerImage } from '../dist/index.js';
import { encodeFrame } from './support/codec-encoders.js';
import { buildDicom, encodeJpegLossless, ts, type DicomSpec } from './support/dicom-builder.js';
import { assert, assertClose, fixtureManifest, pngBytes, quantise16, quantise8, rejection, sha256Hex, syntheticBreast } from './support/helpers.js';

const width = 160;
const height = 128;
const display = syntheticBreast(width, height, 11, 'left');
/** 12-bit stored values (the DICOM fixtures) and the same image as 16-bit and 8-bit PNG. */
const stored12 = quantise16(display, 12);
const grey8 = quantise8(display);

let guard: Guard;
let png16: Report;
let png8: Report;
before(async () => {
  guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
  png16 = await guard.check(pngBytes(quantise16(display), width, height));
  png8 = await guard.check(pngBytes(grey8, width, height));
});
after(async () => {
  await guard?.dispose();
});

const base = (overrides: Partial<DicomSpec>): DicomSpec => ({
  transferSyntax: ts.explicitLittle,
  rows: height,
  columns: width,
  bitsAllocated: 16,
  bitsStored: 12,
  samples: stored12,
  laterality: 'L',
  viewCode: '399162004',
  ...overrides,
});

/** A Float32 raw image of display values: the reference for a display transform computed in the test. */
const displayOf = (fn: (value: number) => number, values: ArrayLike<number>) => ({ data: Float32Array.from(values, fn), width, height });

describe('DICOM', () => {
  it('reads native syntaxes (implicit / explicit little endian, explicit big endian, deflated) as the stored values, scoring as the PNG', async () => {
    const hash = await sha256Hex(stored12);
    for (const syntax of [ts.implicitLittle, ts.explicitLittle, ts.explicitBig, ts.deflated]) {
      const report = await guard.check(await buildDicom(base({ transferSyntax: syntax })));
      assert(report.input.format === 'dicom' && report.input.bitsStored === 12, `${syntax}: ${report.input.format} ${report.input.bitsStored}`);
      assert(report.input.pixelSha256 === hash, `${syntax}: pixelSha256 is the hash of the 12-bit stored values (LE Uint16)`);
      assertClose(report.cad.score, png16.cad.score, 1e-3, `${syntax} vs PNG score`);
      assert(report.input.dicom?.transferSyntaxUid === syntax, `${syntax}: syntax reported`);
    }
    const bytes8 = await guard.check(await buildDicom(base({ bitsAllocated: 8, bitsStored: 8, samples: grey8, transferSyntax: ts.explicitBig })));
    assert(bytes8.input.pixelSha256 === (await sha256Hex(grey8)), '8-bit big endian: Uint8 values hashed');
    assertClose(bytes8.cad.score, png8.cad.score, 1e-3, '8-bit DICOM vs 8-bit PNG');
  });

  it('decodes lossless compressed syntaxes (JPEG lossless, JPEG-LS, JPEG 2000, HTJ2K) to exactly the stored values', async () => {
    const hash = await sha256Hex(stored12);
    const jpegLossless = encodeJpegLossless(stored12, width, height, 12);
    const variants: [string, Uint8Array][] = [
      [ts.jpegLossless, jpegLossless],
      [ts.jpegLosslessSv1, jpegLossless],
      [ts.jpegLs, await encodeFrame('jpeg-ls', stored12, width, height, { bitsPerSample: 12 })],
      [ts.j2kLossless, await encodeFrame('jpeg-2000', stored12, width, height, { bitsPerSample: 12 })],
      [ts.htj2kLossless, await encodeFrame('htj2k', stored12, width, height, { bitsPerSample: 12 })],
      [ts.htj2kRpcl, await encodeFrame('htj2k', stored12, width, height, { bitsPerSample: 12 })],
    ];
    for (const [syntax, frame] of variants) {
      const report = await guard.check(await buildDicom(base({ transferSyntax: syntax, frame })));
      assert(report.input.pixelSha256 === hash, `${syntax}: decoded values equal the stored values`);
      assertClose(report.cad.score, png16.cad.score, 1e-3, `${syntax} vs PNG score`);
    }
  });

  it('decodes lossy syntaxes (JPEG baseline / extended, JPEG-LS near-lossless, JPEG 2000, HTJ2K) within 1e-3 of the PNG score', async () => {
    const jpeg = await encodeFrame('jpeg-baseline', grey8, width, height, { bitsPerSample: 8, quality: 100 });
    const eight = { bitsAllocated: 8 as const, bitsStored: 8, samples: undefined };
    for (const syntax of [ts.jpegBaseline, ts.jpegExtended]) {
      const report = await guard.check(await buildDicom(base({ ...eight, transferSyntax: syntax, frame: jpeg })));
      assertClose(report.cad.score, png8.cad.score, 1e-3, `${syntax} vs 8-bit PNG score`);
    }
    const near = await encodeFrame('jpeg-ls', stored12, width, height, { bitsPerSample: 12, nearLossless: 2 });
    const lossy = [
      [ts.jpegLsNear, near],
      [ts.j2k, await encodeFrame('jpeg-2000', stored12, width, height, { bitsPerSample: 12 })],
      [ts.htj2k, await encodeFrame('htj2k', stored12, width, height, { bitsPerSample: 12 })],
    ] as const;
    for (const [syntax, frame] of lossy) {
      const report = await guard.check(await buildDicom(base({ transferSyntax: syntax, frame })));
      assertClose(report.cad.score, png16.cad.score, 1e-3, `${syntax} vs PNG score`);
    }
  });

  it('masks bits stored at the high bit and sign-extends signed pixels, in every syntax', async () => {
    const hash = await sha256Hex(stored12);
    // 12 bits at high bit 15 with junk in the 4 low bits; and 12 bits at high bit 11 with overlay junk above.
    const shifted = Uint16Array.from(stored12, (v, i) => (v << 4) | (i % 16));
    const overlaid = Uint16Array.from(stored12, (v, i) => v | ((i % 16) << 12));
    for (const [samples, highBit] of [[shifted, 15], [overlaid, 11]] as const) {
      for (const syntax of [ts.explicitLittle, ts.explicitBig]) {
        const report = await guard.check(await buildDicom(base({ transferSyntax: syntax, samples, highBit })));
        assert(report.input.pixelSha256 === hash, `high bit ${highBit}, ${syntax}: masked to the 12 stored bits`);
      }
    }
    const signed = Int16Array.from(stored12, (v) => v - 2048);
    const signedSamples = Uint16Array.from(signed, (v) => v & 0x0fff);
    const windowed = { windowCenter: [2047.5], windowWidth: [4096] };
    const expected = await guard.check(await buildDicom(base({ ...windowed, rescale: { slope: 1, intercept: 0 } })));
    const signedHash = await sha256Hex(signed);
    for (const syntax of [ts.implicitLittle, ts.explicitBig]) {
      const report = await guard.check(await buildDicom(base({ transferSyntax: syntax, samples: signedSamples, pixelRepresentation: 1, rescale: { slope: 1, intercept: 2048 }, ...windowed })));
      assert(report.input.pixelSha256 === signedHash, `${syntax}: signed 12-bit values sign-extended into Int16`);
      assertClose(report.cad.score, expected.cad.score, 1e-6, `${syntax}: signed + intercept displays as unsigned`);
    }
    const j2kSigned = await encodeFrame('jpeg-2000', signed, width, height, { bitsPerSample: 12, isSigned: true });
    const j2k = await guard.check(await buildDicom(base({ transferSyntax: ts.j2kLossless, frame: j2kSigned, pixelRepresentation: 1, rescale: { slope: 1, intercept: 2048 }, ...windowed })));
    assert(j2k.input.pixelSha256 === signedHash, 'signed JPEG 2000: same Int16 values');
  });

  it('applies MONOCHROME1, rescale slope / intercept and LINEAR windows as a viewer does', async () => {
    const reference = await guard.check(await buildDicom(base({})));
    const mono1 = await guard.check(await buildDicom(base({ photometric: 'MONOCHROME1', samples: stored12.map((v) => 4095 - v) })));
    assertClose(mono1.cad.score, reference.cad.score, 1e-6, 'MONOCHROME1 of the inverted values');
    const windowC = 1500;
    const windowW = 1800;
    const linear = (x: number) => (x <= windowC - 0.5 - (windowW - 1) / 2 ? 0 : x > windowC - 0.5 + (windowW - 1) / 2 ? 1 : (x - (windowC - 0.5)) / (windowW - 1) + 0.5);
    const expected = await guard.check(displayOf(linear, stored12));
    const windowed = await guard.check(await buildDicom(base({ windowCenter: [windowC], windowWidth: [windowW] })));
    assertClose(windowed.cad.score, expected.cad.score, 1e-5, 'LINEAR window');
    const rescaled = await guard.check(
      await buildDicom(base({ rescale: { slope: 2, intercept: -100 }, windowCenter: [2 * windowC - 100 + 0.5], windowWidth: [2 * windowW - 1] })),
    );
    assertClose(rescaled.cad.score, expected.cad.score, 1e-4, 'window applied after the modality rescale');
    const several = await buildDicom(base({ windowCenter: [300, windowC], windowWidth: [200, windowW] }));
    const first = await guard.check(several.slice(0));
    const second = await guard.check(several.slice(0), { voiIndex: 1 });
    assertClose(second.cad.score, expected.cad.score, 1e-5, 'voiIndex 1 picks the second window');
    assert(Math.abs(first.cad.score - second.cad.score) > 1e-4, 'the first window is the default');
    const outOfRange = await rejection(guard.check(several.slice(0), { voiIndex: 2 }), 'voiIndex 2 of 2');
    assert(outOfRange.code === 'invalid-input' && /voiIndex 2/.test(outOfRange.message), outOfRange.message);
  });

  it('implements LINEAR_EXACT, SIGMOID and the VOI LUT Sequence exactly (PS3.3 C.11.2.1)', async () => {
    const c = 1800;
    const w = 1000;
    const exact = (x: number) => (x <= c - w / 2 ? 0 : x > c + w / 2 ? 1 : (x - c) / w + 0.5);
    const sigmoid = (x: number) => 1 / (1 + Math.exp((-4 * (x - c)) / w));
    for (const [fn, reference] of [['LINEAR_EXACT', exact], ['SIGMOID', sigmoid]] as const) {
      const expected = await guard.check(displayOf(reference, stored12));
      const report = await guard.check(await buildDicom(base({ transferSyntax: ts.implicitLittle, windowCenter: [c], windowWidth: [w], voiFunction: fn })));
      assertClose(report.cad.score, expected.cad.score, 1e-5, fn);
    }
    const first = 100;
    const lutData = Uint16Array.from({ length: 3900 }, (_, i) => Math.round(65535 * Math.sqrt(i / 3899)));
    const lut = (x: number) => lutData[Math.min(lutData.length - 1, Math.max(0, x - first))] / 65535;
    const expected = await guard.check(displayOf(lut, stored12));
    for (const syntax of [ts.explicitLittle, ts.implicitLittle, ts.explicitBig]) {
      const report = await guard.check(await buildDicom(base({ transferSyntax: syntax, voiLut: { first, bits: 16, data: lutData } })));
      assertClose(report.cad.score, expected.cad.score, 1e-5, `VOI LUT Sequence, ${syntax}`);
    }
  });

  it('reports UIDs, laterality and view, records the UIDs in the audit, and refuses FOR PROCESSING unless the model takes it', async () => {
    const ids = { study: '1.2.3.4.5', series: '1.2.3.4.5.6', sop: '1.2.3.4.5.6.7' };
    const report = await guard.check(await buildDicom(base({ ...ids, laterality: 'R', viewCode: '399368009', presentationIntent: 'FOR PRESENTATION' })));
    const dicom = report.input.dicom!;
    assert(dicom.studyInstanceUid === ids.study && dicom.seriesInstanceUid === ids.series && dicom.sopInstanceUid === ids.sop, JSON.stringify(dicom));
    assert(dicom.laterality === 'R' && dicom.view === 'MLO' && dicom.presentationIntent === 'FOR PRESENTATION', JSON.stringify(dicom));
    const audit = report.audit.input.dicom!;
    assert(audit.studyInstanceUid === ids.study && audit.seriesInstanceUid === ids.series && audit.sopInstanceUid === ids.sop, JSON.stringify(audit));
    const byPosition = await guard.check(await buildDicom(base({ viewCode: undefined, viewPosition: 'CC', laterality: 'L' })));
    assert(byPosition.input.dicom!.view === 'CC' && byPosition.input.dicom!.laterality === 'L', JSON.stringify(byPosition.input.dicom));
    const png = await guard.check(pngBytes(grey8, width, height));
    assert(png.input.dicom === undefined && png.audit.input.dicom === undefined, 'no DICOM identity for PNG');

    const processing = await buildDicom(base({ presentationIntent: 'FOR PROCESSING' }));
    const refused = await rejection(guard.check(processing.slice(0)), 'FOR PROCESSING');
    assert(refused.name === 'GuardError' && refused.code === 'for-processing', `${refused.code}: ${refused.message}`);
    const accepting = await createGuard({ manifestUrl: '/test/fixtures/models/manifest-for-processing.json', backend: 'wasm' });
    try {
      const accepted = await accepting.check(processing.slice(0));
      assert(accepted.input.dicom!.presentationIntent === 'FOR PROCESSING', 'a manifest with input.acceptsForProcessing takes it');
    } finally {
      await accepting.dispose();
    }
  });

  it('takes a viewer\'s decoded image (Cornerstone IImage) without copying the viewer\'s pixels away', async () => {
    const c = 1500;
    const w = 1800;
    const fromFile = await guard.check(await buildDicom(base({ windowCenter: [c], windowWidth: [w], rescale: { slope: 2, intercept: -100 } })));
    const pixels = stored12.slice();
    const image: ViewerImage = { getPixelData: () => pixels, rows: height, columns: width, slope: 2, intercept: -100, windowCenter: c, windowWidth: w, voiLUTFunction: 'LINEAR', invert: false };
    const viewer = await guard.check(image);
    assert(viewer.input.format === 'viewer' && viewer.input.pixelSha256 === fromFile.input.pixelSha256, 'same stored values and hash');
    assertClose(viewer.cad.score, fromFile.cad.score, 1e-6, 'viewer image vs DICOM file');
    assert(pixels.length === width * height, 'the viewer\'s pixel array is not detached');
    const inverted = await guard.check({ ...image, getPixelData: () => pixels.map((v) => 4095 - v), intercept: 0, slope: 1, windowCenter: [c], windowWidth: [w], invert: true });
    const plainInverted = await guard.check(await buildDicom(base({ photometric: 'MONOCHROME1', samples: pixels.map((v) => 4095 - v), windowCenter: [c], windowWidth: [w] })));
    assertClose(inverted.cad.score, plainInverted.cad.score, 1e-6, 'invert is MONOCHROME1');
    const prescaled = await guard.check({ ...image, getPixelData: () => Float32Array.from(pixels, (v) => v * 2 - 100), preScale: { scaled: true } });
    assertClose(prescaled.cad.score, fromFile.cad.score, 1e-5, 'pre-scaled Float32 modality values');
    const bad = await rejection(guard.check({ ...image, voiLUTFunction: 'SAMPLED' }), 'SAMPLED');
    assert(bad.code === 'invalid-input', bad.message);
  });

  it('refuses bad DICOM with a specific code each, and keeps working', async () => {
    const good = new Uint8Array(await buildDicom(base({})));
    const cases: [string, ArrayBuffer, string, RegExp?][] = [
      ['truncated in the pixel data', good.slice(0, good.length - 1000).buffer, 'dicom-truncated'],
      ['truncated in the header', good.slice(0, 200).buffer, 'dicom-truncated'],
      ['pixel data shorter than rows x columns', await buildDicom(base({ samples: stored12.slice(0, 1000) })), 'dicom-truncated', /need 40960/],
      ['no pixel data', await buildDicom(base({ noPixelData: true })), 'dicom-no-pixel-data'],
      ['zero rows', await buildDicom(base({ rows: 0, samples: new Uint16Array(0) })), 'dicom-invalid', /Rows is 0/],
      ['absurd columns', await buildDicom(base({ columns: 60000, samples: new Uint16Array(4) })), 'dicom-invalid', /Columns is 60000/],
      ['bits stored > allocated', await buildDicom(base({ bitsStored: 17 })), 'dicom-invalid'],
      ['colour', await buildDicom(base({ photometric: 'RGB' as 'MONOCHROME2' })), 'dicom-invalid', /RGB/],
      ['RLE', await buildDicom(base({ transferSyntax: ts.rle, frame: new Uint8Array(64) })), 'unsupported-transfer-syntax', /1\.2\.840\.10008\.1\.2\.5 \(RLE Lossless\)/],
      ['unknown syntax', await buildDicom(base({ transferSyntax: '1.2.3.4' })), 'unsupported-transfer-syntax', /1\.2\.3\.4/],
      ['garbage meta', (() => { const b = good.slice(0, 400); b.fill(0xff, 132); return b.buffer; })(), 'not-dicom'],
      ['no transfer syntax', (() => { const b = good.slice(0); const at = b.indexOf(0x10, 132); b[at] = 0x11; return b.buffer; })(), 'not-dicom'],
      ['J2K frame of the wrong size', await buildDicom(base({ rows: 64, transferSyntax: ts.j2kLossless, frame: await encodeFrame('jpeg-2000', stored12, width, height, { bitsPerSample: 12 }) })), 'decode-failed', /160 x 128/],
      ['corrupt JPEG-LS', await buildDicom(base({ transferSyntax: ts.jpegLs, frame: Uint8Array.of(0xff, 0xd8, 0xff, 0xf7, 0, 11, 12, 0, 128, 0, 160, 1, 1, 0x11, 0, 0xff, 0xda, 0, 0) })), 'decode-failed'],
      ['12-bit JPEG extended', await buildDicom(base({ transferSyntax: ts.jpegExtended, frame: Uint8Array.of(0xff, 0xd8, 0xff, 0xc1, 0, 11, 12, 0, 128, 0, 160, 1, 1, 0x11, 0, 0xff, 0xd9) })), 'unsupported-transfer-syntax', /12-bit/],
    ];
    for (const [what, bytes, code, message] of cases) {
      const error = await rejection(guard.check(bytes), what);
      assert(error.name === 'GuardError' && error.code === code, `${what}: ${error.name} ${error.code} (${error.message}), expected ${code}`);
      if (message) assert(message.test(error.message), `${what}: message ${error.message}`);
    }
    const report = await guard.check(good.buffer);
    assert(report.input.format === 'dicom', 'the guard still checks after every refusal');
  });

  it('decodes every codec under a strict CSP from the package\'s own files', async () => {
    const hash = await sha256Hex(stored12);
    const files: [string, ArrayBuffer][] = [
      ['jpeg-2000', await buildDicom(base({ transferSyntax: ts.j2kLossless, frame: await encodeFrame('jpeg-2000', stored12, width, height, { bitsPerSample: 12 }) }))],
      ['htj2k', await buildDicom(base({ transferSyntax: ts.htj2kLossless, frame: await encodeFrame('htj2k', stored12, width, height, { bitsPerSample: 12 }) }))],
      ['jpeg-ls', await buildDicom(base({ transferSyntax: ts.jpegLs, frame: await encodeFrame('jpeg-ls', stored12, width, height, { bitsPerSample: 12 }) }))],
      ['jpeg-lossless', await buildDicom(base({ transferSyntax: ts.jpegLosslessSv1, frame: encodeJpegLossless(stored12, width, height, 12) }))],
      ['deflated', await buildDicom(base({ transferSyntax: ts.deflated }))],
    ];
    const jpeg = await encodeFrame('jpeg-baseline', grey8, width, height, { bitsPerSample: 8, quality: 90 });
    files.push(['jpeg-baseline', await buildDicom(base({ bitsAllocated: 8, bitsStored: 8, transferSyntax: ts.jpegBaseline, frame: jpeg }))]);
    const before = await (await fetch('/__requests')).json();
    const result = await new Promise<{ ok: boolean; error?: string; violations: string[]; results?: { name: string; ok: boolean; error?: string; pixelSha256?: string }[] }>((resolve) => {
      const frame = document.createElement('iframe');
      const onMessage = (event: MessageEvent) => {
        if (event.data?.cadguardCspReady) frame.contentWindow!.postMessage({ cadguardDicomFiles: files }, '*');
        if (!event.data?.cadguardCsp) return;
        window.removeEventListener('message', onMessage);
        frame.remove();
        resolve(event.data.cadguardCsp);
      };
      window.addEventListener('message', onMessage);
      frame.src = '/test/csp/dicom.html';
      document.body.append(frame);
    });
    assert(result.ok, `${result.error} / violations: ${result.violations.join('; ')}`);
    assert(result.violations.length === 0, `no CSP violations: ${result.violations.join('; ')}`);
    for (const entry of result.results!) {
      assert(entry.ok, `${entry.name}: ${entry.error}`);
      if (entry.name !== 'jpeg-baseline') assert(entry.pixelSha256 === hash, `${entry.name}: exact values`);
    }
    const after = await (await fetch(`/__requests?since=${before.total}`)).json();
    const paths: string[] = after.requests.map((r: { path: string }) => r.path);
    const foreign = paths.filter((p) => !/^\/(dist\/|test\/csp\/|test\/fixtures\/models\/|__requests$|favicon\.ico$)/.test(p));
    assert(foreign.length === 0, `only the package's files were loaded: ${foreign.join(', ')}`);
    // The browser may serve a codec from its cache within this run, so look at every request since the server started.
    const all: string[] = (await (await fetch('/__requests')).json()).requests.map((r: { path: string }) => r.path);
    for (const wasm of ['openjpegwasm_decode.wasm', 'openjphjs.wasm', 'charlswasm_decode.wasm', 'libjpegturbowasm_decode.wasm']) {
      assert(all.includes(`/dist/codecs/${wasm}`), `${wasm} came from dist/codecs/`);
    }
    assert(!all.some((p) => p.includes('_decode.wasm') && !p.startsWith('/dist/codecs/')), 'no decoder .wasm from elsewhere');
  });

  it('checks a JPEG 2000 (HTJ2K) compressed 16-bit full-field mammogram of 3328 x 4096', async function () {
    this.timeout(300000);
    const fullWidth = 3328;
    const fullHeight = 4096;
    const big = quantise16(syntheticBreast(fullWidth / 8, fullHeight / 8, 3, 'right', 0), 16);
    const pixels = new Uint16Array(fullWidth * fullHeight);
    for (let y = 0; y < fullHeight; y++) {
      for (let x = 0; x < fullWidth; x++) pixels[y * fullWidth + x] = big[(y >> 3) * (fullWidth / 8) + (x >> 3)] ^ ((x * 7 + y * 13) & 15);
    }
    const frame = await encodeFrame('htj2k', pixels, fullWidth, fullHeight, { bitsPerSample: 16 });
    const file = await buildDicom({ transferSyntax: ts.htj2kLossless, rows: fullHeight, columns: fullWidth, bitsAllocated: 16, bitsStored: 16, frame, windowCenter: [32768], windowWidth: [65536] });
    const start = performance.now();
    const report = await guard.check(file);
    const ms = performance.now() - start;
    assert(report.input.width === fullWidth && report.input.height === fullHeight, `${report.input.width} x ${report.input.height}`);
    assert(report.input.pixelSha256 === (await sha256Hex(pixels)), 'lossless 16-bit values');
    console.log(`full-field ${fullWidth} x ${fullHeight} HTJ2K (${(frame.length / 1e6).toFixed(1)} MB): checked in ${ms.toFixed(0)} ms (decode ${report.timings.decode.toFixed(0)} ms)`);
  });
});
