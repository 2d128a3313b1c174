/**
 * The conformance suite a vendor's QA runs against their build of cadguard and their manifest (their own model,
 * their calibration): synthetic clean and manipulated images, DICOM variants, bad inputs, a forced WebGPU failure,
 * a tampered model, abort, dispose, concurrency and worker loss. It uses the public API only, as a viewer does.
 * Built to dist/conformance.js; driven by bin/cadguard-conformance.mjs or opened as bin/conformance-page/.
 */
import { createGuard, isGuardError, type Guard, type GuardOptions, type Report } from '../src/index.js';
import { buildDicom, encodeJpegLossless, ts } from '../test/support/dicom-builder.js';
import { pngBytes, quantise16, quantise8, sha256Hex, syntheticBreast } from '../test/support/helpers.js';

/** Outcome of one conformance check. */
export interface ConformanceResult {
  id: string;
  title: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  ms: number;
}

/** What the suite runs against. */
export interface ConformanceOptions {
  /** The vendor's manifest (absolute URL or a path on the page's origin). @defaultValue the bundled manifest */
  manifestUrl?: string;
  backend?: GuardOptions['backend'];
  allowSoftwareAdapter?: boolean;
  /**
   * The same manifest with one model's SHA-256 altered, served by the host (cadguard-conformance serves one). A
   * strict CSP forbids building it in the page from a data: or blob: URL. Without it the check is skipped.
   */
  tamperedManifestUrl?: string;
  /** Called after each check, for progress. */
  onResult?: (result: ConformanceResult) => void;
}

/** The whole run, as written to conformance.json. */
export interface ConformanceRun {
  startedAt: string;
  finishedAt: string;
  manifestUrl: string;
  info: unknown;
  calibrated: boolean;
  results: ConformanceResult[];
  passed: number;
  failed: number;
  skipped: number;
}

class Skip extends Error {}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** The GuardError code a promise rejects with (the message is kept for the report when it is not the expected one). */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isGuardError(error) ? error.code : `not a GuardError: ${(error as Error)?.name} ${(error as Error)?.message}`;
  }
  return 'resolved';
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: isGuardError(error) ? error.code : 'not a GuardError', message: (error as Error)?.message ?? String(error) };
  }
  return { code: 'resolved', message: '' };
}

/** A clean synthetic image as one of three simulated sources stores it. */
function cleanImage(seed: number, width = 320, height = 384) {
  const display = syntheticBreast(width, height, seed, seed % 2 ? 'left' : 'right', 0.01 + (seed % 3) * 0.01);
  return { display, width, height };
}

/** A flat bright disc pasted in: a crude manipulation whose noise is plainly wrong. */
function withDisc(display: Float32Array, width: number, height: number): Float32Array {
  const out = display.slice();
  const cx = Math.round(width * 0.3);
  const cy = Math.round(height * 0.5);
  const radius = Math.round(Math.min(width, height) * 0.1);
  for (let y = cy - radius; y <= cy + radius; y++) {
    for (let x = cx - radius; x <= cx + radius; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) out[y * width + x] = 0.9;
  }
  return out;
}

function wellFormed(report: Report): void {
  expect(report.cad.score >= 0 && report.cad.score <= 1, `score ${report.cad.score} outside [0, 1]`);
  expect(['pass', 'suspicious', 'tampered'].includes(report.integrity.verdict), `verdict ${report.integrity.verdict}`);
  expect(['show', 'review', 'withhold'].includes(report.decision), `decision ${report.decision}`);
  expect(report.decision !== 'show' || report.integrity.verdict === 'pass', 'show only for pass');
  expect(/^[0-9a-f]{64}$/.test(report.input.pixelSha256), 'pixelSha256');
  const audit = JSON.parse(JSON.stringify(report.audit));
  expect(audit.input.pixelSha256 === report.input.pixelSha256 && audit.decision === report.decision, 'audit mirrors the report');
  for (const [stage, ms] of Object.entries(report.timings)) expect(Number.isFinite(ms) && ms >= 0, `timing ${stage}`);
}

/** Runs every check; never throws for a failed check (it is a result). */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceRun> {
  const startedAt = new Date().toISOString();
  const manifestUrl = new URL(options.manifestUrl ?? new URL('./models/manifest.json', import.meta.url).href, location.href).href;
  const base: GuardOptions = { manifestUrl, backend: options.backend ?? 'auto', allowSoftwareAdapter: options.allowSoftwareAdapter ?? false };
  const manifest = await (await fetch(manifestUrl)).json();
  const calibrated = Boolean(manifest.integrity);
  const results: ConformanceResult[] = [];
  let guard: Guard | null = null;
  let info: unknown = null;

  const check = async (id: string, title: string, body: () => Promise<string>) => {
    const started = performance.now();
    let result: ConformanceResult;
    try {
      result = { id, title, status: 'pass', detail: await body(), ms: 0 };
    } catch (error) {
      result = { id, title, status: error instanceof Skip ? 'skip' : 'fail', detail: (error as Error).message, ms: 0 };
    }
    result.ms = Math.round(performance.now() - started);
    results.push(result);
    options.onResult?.(result);
  };
  const needGuard = (): Guard => {
    if (!guard) throw new Skip('the guard did not start');
    return guard;
  };

  await check('start', 'The guard starts, verifies and validates the models', async () => {
    guard = await createGuard(base);
    const about = await guard.info();
    info = about;
    expect(about.models.length === manifest.models.length, 'every manifest model is loaded');
    for (const model of manifest.models) {
      expect(about.models.some((m) => m.id === model.id && m.sha256 === model.sha256), `model ${model.id} verified`);
    }
    return `backend ${about.backend} (${about.reason}); ${about.threads} thread(s); models ${about.models.map((m) => `${m.id}@${m.version}`).join(', ')}`;
  });

  await check('calibration', "The manifest's calibration fits the signals this SDK computes", async () => {
    if (!calibrated) throw new Skip('the manifest is not calibrated (see fail-closed)');
    const { integrity } = await needGuard().info();
    // A calibration made with an older SDK or for another model would leave every image at 'review'.
    expect(integrity.ready, integrity.problems.join('; '));
    return Object.entries(integrity.signals).map(([id, definition]) => `${id}: ${definition}`).join(', ');
  });

  await check('clean-images', 'Clean synthetic images of three sources give well-formed reports', async () => {
    const g = needGuard();
    const verdicts: string[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const { display, width, height } = cleanImage(seed);
      const inputs = [
        { data: quantise8(display), width, height },
        pngBytes(quantise16(display), width, height),
        { data: display.slice(), width, height },
      ];
      for (const input of inputs) {
        const report = await g.check(input);
        wellFormed(report);
        verdicts.push(report.integrity.verdict);
      }
    }
    if (!calibrated) expect(verdicts.every((v) => v !== 'pass'), 'an uncalibrated manifest must never pass an image');
    return `verdicts: ${verdicts.join(', ')}${calibrated ? '' : ' (no calibration: fail closed)'}`;
  });

  await check('fail-closed', 'Without a calibration no image is shown', async () => {
    if (calibrated) throw new Skip('the manifest is calibrated');
    const { display, width, height } = cleanImage(7);
    const report = await needGuard().check({ data: quantise8(display), width, height });
    expect(report.decision !== 'show', `decision ${report.decision}`);
    return `decision ${report.decision}`;
  });

  await check('provenance', 'A pixel-hash mismatch is tampered and withheld', async () => {
    const g = needGuard();
    const { display, width, height } = cleanImage(11);
    const pixels = quantise8(display);
    const hash = await sha256Hex(pixels);
    const changed = pixels.slice();
    changed[width * 100 + 100] ^= 1;
    const tampered = await g.check({ data: changed, width, height }, { expectedPixelSha256: hash });
    expect(tampered.integrity.verdict === 'tampered' && tampered.decision === 'withhold', `${tampered.integrity.verdict}/${tampered.decision}`);
    const same = await g.check({ data: pixels, width, height }, { expectedPixelSha256: hash });
    expect(!same.integrity.signals.find((s) => s.id === 'provenance')?.flagged, 'a matching hash is not flagged');
    return 'one changed bit of one pixel -> tampered / withhold';
  });

  await check('manipulation', 'A pasted region with wrong noise is not passed', async () => {
    if (!calibrated) throw new Skip('the manifest has no integrity calibration (every image is suspicious)');
    const { display, width, height } = cleanImage(13);
    const report = await needGuard().check(pngBytes(quantise16(withDisc(display, width, height)), width, height));
    expect(report.integrity.verdict !== 'pass', `verdict ${report.integrity.verdict} (score ${report.integrity.score})`);
    return `verdict ${report.integrity.verdict}, fused score ${report.integrity.score.toFixed(2)}`;
  });

  await check('dicom', 'DICOM variants read as the same stored pixels as raw input', async () => {
    const g = needGuard();
    const width = 256;
    const height = 320;
    const values = quantise16(cleanImage(17, width, height).display, 12);
    const reference = await g.check({ data: values.slice(), width, height, bitsStored: 12, windowCenter: 2048, windowWidth: 4096 });
    const common = { rows: height, columns: width, bitsAllocated: 16 as const, bitsStored: 12, windowCenter: [2048], windowWidth: [4096] };
    const variants: [string, Parameters<typeof buildDicom>[0]][] = [
      ['explicit VR little endian', { ...common, transferSyntax: ts.explicitLittle, samples: values }],
      ['implicit VR little endian', { ...common, transferSyntax: ts.implicitLittle, samples: values }],
      ['explicit VR big endian', { ...common, transferSyntax: ts.explicitBig, samples: values }],
      ['deflated', { ...common, transferSyntax: ts.deflated, samples: values }],
      ['JPEG lossless', { ...common, transferSyntax: ts.jpegLosslessSv1, frame: encodeJpegLossless(values, width, height, 12) }],
      ['MONOCHROME1', { ...common, transferSyntax: ts.explicitLittle, photometric: 'MONOCHROME1', samples: values.map((v) => 4095 - v) }],
    ];
    const lines: string[] = [];
    for (const [name, spec] of variants) {
      const report = await g.check(await buildDicom(spec));
      if (name === 'MONOCHROME1') {
        expect(Math.abs(report.cad.score - reference.cad.score) <= 1e-3, `${name}: score ${report.cad.score} vs ${reference.cad.score}`);
      } else {
        expect(report.input.pixelSha256 === reference.input.pixelSha256, `${name}: pixel hash differs from raw input`);
        expect(Math.abs(report.cad.score - reference.cad.score) <= 1e-3, `${name}: score ${report.cad.score} vs ${reference.cad.score}`);
      }
      lines.push(name);
    }
    const code = await rejectionCode(g.check(new Uint8Array(200).buffer));
    expect(code === 'unsupported-format' || code === 'not-dicom', `garbage bytes: ${code}`);
    return `${lines.join(', ')}: same pixels and score (<= 1e-3)`;
  });

  await check('bad-inputs', 'Bad inputs are typed errors and the worker survives', async () => {
    const g = needGuard();
    const cases: [unknown, string][] = [
      [{ data: new Uint8Array(10), width: 4, height: 4 }, 'invalid-input'],
      [{ data: new Uint8Array(4), width: 0, height: 4 }, 'invalid-input'],
      [{ data: new Uint8Array(4), width: 20000, height: 1 }, 'invalid-input'],
      [{ data: new Float32Array([0, Number.NaN, 0, 0]), width: 2, height: 2 }, 'invalid-input'],
      ['image.png', 'invalid-input'],
      [new TextEncoder().encode('not an image').buffer, 'unsupported-format'],
    ];
    for (const [input, expected] of cases) {
      const code = await rejectionCode(g.check(input as never));
      expect(code === expected, `expected ${expected}, got ${code}`);
    }
    const { display, width, height } = cleanImage(19);
    wellFormed(await g.check({ data: quantise8(display), width, height }));
    return `${cases.length} bad inputs refused with their codes; the next check worked`;
  });

  await check('concurrency', '20 concurrent checks each get their own result', async () => {
    const g = needGuard();
    const images = Array.from({ length: 20 }, (_, i) => cleanImage(100 + i, 96, 96));
    const sequential: number[] = [];
    for (const { display, width, height } of images) sequential.push((await g.check({ data: quantise8(display), width, height })).cad.score);
    const concurrent = await Promise.all(images.map(({ display, width, height }) => g.check({ data: quantise8(display), width, height })));
    concurrent.forEach((report, i) => expect(Math.abs(report.cad.score - sequential[i]) <= 1e-6, `image ${i}: ${report.cad.score} vs ${sequential[i]}`));
    return '20/20 matched their sequential scores';
  });

  await check('abort', 'An aborted check rejects with aborted; the others resolve', async () => {
    const g = needGuard();
    const { display, width, height } = cleanImage(23, 128, 128);
    const controller = new AbortController();
    const first = g.check({ data: quantise8(display), width, height });
    const aborted = g.check({ data: quantise8(display), width, height }, { signal: controller.signal });
    controller.abort();
    expect((await rejectionCode(aborted)) === 'aborted', 'aborted');
    await first;
    return 'aborted check rejected; the queue went on';
  });

  await check('warm-up', "warmUp() runs on these models and leaves a check's values as they were", async () => {
    const g = needGuard();
    const { display, width, height } = cleanImage(31, 160, 200);
    const values = async () => {
      const report = await g.check({ data: quantise8(display), width, height });
      return JSON.stringify([report.cad.score, report.integrity.score, report.integrity.signals.map((s) => [s.id, s.value])]);
    };
    const before = await values();
    const { checkMs, stopped } = await g.warmUp({ checks: 2 });
    expect(stopped === 'done' && checkMs.length === 2, `the warm-up stopped (${stopped}) after ${checkMs.length} of 2 checks`);
    const after = await values();
    expect(after === before, `a check after the warm-up computed ${after}, before it ${before}`);
    return `2 warm-up checks (${checkMs.map((ms) => Math.round(ms)).join(', ')} ms); the same values before and after`;
  });

  await check('webgpu-fallback', 'A WebGPU failure at run time moves the check to WASM, visibly', async () => {
    const probe = await createGuard({ ...base, backend: 'auto', allowSoftwareAdapter: true });
    const hasWebGpu = (await probe.info()).backend === 'webgpu';
    await probe.dispose();
    const { display, width, height } = cleanImage(29, 128, 128);
    if (!hasWebGpu) {
      const fallback = await createGuard({ ...base, backend: 'auto', allowSoftwareAdapter: true, faultInjection: { webgpuAbsent: true } });
      const about = await fallback.info();
      await fallback.dispose();
      expect(about.backend === 'wasm', 'auto without WebGPU runs on WASM');
      return `no WebGPU here: auto runs on WASM (${about.reason}); the run-time fallback needs a WebGPU adapter`;
    }
    const events: string[] = [];
    const faulty = await createGuard({ ...base, backend: 'webgpu', allowSoftwareAdapter: true, faultInjection: { webgpuRuntime: { atCheck: 1, kind: 'error' } }, onEvent: (e) => events.push(e.type) });
    try {
      const report = await faulty.check({ data: quantise8(display), width, height });
      expect(report.backend === 'wasm' && report.fallback?.from === 'webgpu', `backend ${report.backend}, fallback ${JSON.stringify(report.fallback)}`);
      expect(events.includes('backend-fallback'), 'a backend-fallback event');
      return `fell back: ${report.fallback!.reason}`;
    } finally {
      await faulty.dispose();
    }
  });

  await check('tampered-model', 'A model whose bytes differ from the manifest is refused', async () => {
    if (!options.tamperedManifestUrl) throw new Skip('no tampered manifest was provided (cadguard-conformance serves one)');
    const { code, message } = await rejection(createGuard({ ...base, manifestUrl: new URL(options.tamperedManifestUrl, location.href).href }));
    expect(code === 'model-integrity', `code ${code}: ${message}`);
    return 'model-integrity; nothing ran';
  });

  await check('worker-lost', 'A dead worker rejects pending checks with worker-lost; the next check starts a new one', async () => {
    const Original = globalThis.Worker;
    const workers: Worker[] = [];
    globalThis.Worker = class extends Original {
      constructor(url: string | URL, workerOptions?: WorkerOptions) {
        super(url, workerOptions);
        workers.push(this);
      }
    } as typeof Worker;
    let local: Guard;
    try {
      local = await createGuard(base);
    } finally {
      globalThis.Worker = Original;
    }
    try {
      const { display, width, height } = cleanImage(31, 128, 128);
      const pending = local.check({ data: quantise8(display), width, height });
      workers[0].terminate();
      expect((await rejectionCode(pending)) === 'worker-lost', 'worker-lost');
      wellFormed(await local.check({ data: quantise8(display), width, height }));
      return 'pending check rejected; the next check ran on a fresh worker';
    } finally {
      await local.dispose();
    }
  });

  await check('dispose', 'dispose() rejects later calls with disposed', async () => {
    const g = needGuard();
    await g.dispose();
    guard = null;
    const { display, width, height } = cleanImage(37, 64, 64);
    expect((await rejectionCode(g.check({ data: quantise8(display), width, height }))) === 'disposed', 'disposed');
    return 'later calls rejected';
  });

  const count = (status: ConformanceResult['status']) => results.filter((r) => r.status === status).length;
  return { startedAt, finishedAt: new Date().toISOString(), manifestUrl, info, calibrated, results, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}

