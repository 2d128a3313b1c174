import { createGuard, type Guard, type GuardEvent } from '../dist/index.js';
import { encodeFrame } from './support/codec-encoders.js';
import { buildDicom, encodeJpegLossless, ts, type DicomSpec } from './support/dicom-builder.js';
import { assert, fixtureManifest, quantise16, quantise8, seededRandom, syntheticBreast } from './support/helpers.js';

// Seeded mutations of valid DICOM files of every syntax: each check must resolve or reject with a GuardError (never
// another error, never a hang), and the worker must stay alive throughout.
const SEED = 20240605;
const PER_FILE = 260;
const width = 48;
const height = 40;

describe('DICOM fuzz', () => {
  let guard: Guard;
  const events: GuardEvent[] = [];
  before(async () => {
    guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm', onEvent: (event) => events.push(event) });
  });
  after(async () => {
    await guard?.dispose();
  });

  it(`survives ${PER_FILE} seeded mutations of each of 9 DICOM files`, async function () {
    this.timeout(600000);
    const display = syntheticBreast(width, height, 7, 'right');
    const stored = quantise16(display, 12);
    const grey = quantise8(display);
    const spec = (overrides: Partial<DicomSpec>): DicomSpec => ({
      transferSyntax: ts.explicitLittle, rows: height, columns: width, bitsAllocated: 16, bitsStored: 12, samples: stored,
      windowCenter: [2048, 1000], windowWidth: [4096, 500], rescale: { slope: 1, intercept: 0 }, laterality: 'L', viewCode: '399162004',
      voiLut: { first: 0, bits: 16, data: Uint16Array.from({ length: 4096 }, (_, i) => i * 16) }, ...overrides,
    });
    const files: [string, Uint8Array][] = [];
    for (const syntax of [ts.explicitLittle, ts.implicitLittle, ts.explicitBig, ts.deflated]) {
      files.push([syntax, new Uint8Array(await buildDicom(spec({ transferSyntax: syntax })))]);
    }
    const frames: [string, Uint8Array, Partial<DicomSpec>?][] = [
      [ts.j2kLossless, await encodeFrame('jpeg-2000', stored, width, height, { bitsPerSample: 12 })],
      [ts.htj2kLossless, await encodeFrame('htj2k', stored, width, height, { bitsPerSample: 12 })],
      [ts.jpegLs, await encodeFrame('jpeg-ls', stored, width, height, { bitsPerSample: 12 })],
      [ts.jpegLosslessSv1, encodeJpegLossless(stored, width, height, 12)],
      [ts.jpegBaseline, await encodeFrame('jpeg-baseline', grey, width, height, { bitsPerSample: 8, quality: 90 }), { bitsAllocated: 8, bitsStored: 8 }],
    ];
    for (const [syntax, frame, extra] of frames) files.push([syntax, new Uint8Array(await buildDicom(spec({ transferSyntax: syntax, frame, ...extra })))]);

    const random = seededRandom(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const extremes = [0, 1, 0xff, 0xfe, 0x7f, 0x80];
    const mutate = (original: Uint8Array): Uint8Array => {
      const kind = int(6);
      // Most mutations hit the header region, where the parser and the attribute checks live.
      const headerEnd = Math.min(original.length, 700);
      const position = () => (random() < 0.7 ? int(headerEnd) : int(original.length));
      if (kind === 0) return original.slice(0, int(original.length));
      if (kind === 1) {
        const out = original.slice();
        for (let n = 1 + int(8); n > 0; n--) out[position()] = int(256);
        return out;
      }
      if (kind === 2) {
        const out = original.slice();
        const at = position();
        for (let i = 0; i < 2 + int(3); i++) if (at + i < out.length) out[at + i] = extremes[int(extremes.length)];
        return out;
      }
      if (kind === 3) {
        const at = position();
        const length = 1 + int(16);
        const out = new Uint8Array(original.length + length);
        out.set(original.subarray(0, at));
        for (let i = 0; i < length; i++) out[at + i] = int(256);
        out.set(original.subarray(at), at + length);
        return out;
      }
      if (kind === 4) {
        const at = position();
        const length = 1 + int(32);
        const out = new Uint8Array(Math.max(0, original.length - length));
        out.set(original.subarray(0, at));
        out.set(original.subarray(Math.min(original.length, at + length)), Math.min(at, out.length));
        return out;
      }
      const out = original.slice();
      const from = int(out.length - 4);
      out.copyWithin(position(), from, from + 4);
      return out;
    };

    const start = performance.now();
    let checks = 0;
    let passed = 0;
    const codes = new Map<string, number>();
    for (const [syntax, file] of files) {
      for (let i = 0; i < PER_FILE; i++) {
        const mutated = mutate(file);
        checks++;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const hang = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`hang: check ${checks} (${syntax}, mutation ${i}) took over 20 s`)), 20000);
        });
        try {
          await Promise.race([guard.check(mutated.buffer as ArrayBuffer, { heatmap: false }), hang]);
          passed++;
        } catch (error) {
          const { name, code, message } = error as { name: string; code?: string; message: string };
          assert(name === 'GuardError' && code !== undefined, `check ${checks} (${syntax}, mutation ${i}): ${name}: ${message}`);
          assert(code !== 'worker-lost' && code !== 'check-failed', `check ${checks} (${syntax}, mutation ${i}): ${code}: ${message}`);
          codes.set(code, (codes.get(code) ?? 0) + 1);
        } finally {
          clearTimeout(timer);
        }
      }
    }
    const seconds = (performance.now() - start) / 1000;
    assert(events.every((event) => event.type !== 'worker-restarted'), 'the worker was never restarted');
    for (const [, file] of files) {
      const report = await guard.check(file.slice().buffer as ArrayBuffer);
      assert(report.input.format === 'dicom', 'every original still checks after the fuzzing');
    }
    assert(checks >= 2000, `${checks} mutations`);
    console.log(`DICOM fuzz: ${checks} mutations (seed ${SEED}) in ${seconds.toFixed(1)} s: ${passed} checked, refused ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});
