// The Cornerstone3D example (demo/cornerstone/, built into dist-examples/cornerstone/ by `npm run build:examples`),
// tested as a viewer vendor would run it: a DICOM built in code is loaded through Cornerstone's DICOM image loader,
// decoded once, checked by cadguard from the loaded IImage, and the CAD marks appear only when the decision is
// `show`; `review` and `withhold` put up a banner and draw nothing. Then the example page itself, in an iframe.
import { createGuard, type CheckOptions, type Guard, type ImageInput, type Report } from '../dist/index.js';
import { buildDicom, ts } from './support/dicom-builder.js';
import { assert, quantise16, sha256Hex, syntheticBreast } from './support/helpers.js';

const width = 160;
const height = 128;
const stored12 = quantise16(syntheticBreast(width, height, 23, 'left'), 12);

interface OpenResult {
  imageId: string;
  image: { getPixelData(): ArrayLike<number>; rows: number; columns: number };
  report: Report | null;
  error: (Error & { code?: string }) | null;
}
interface CadViewer {
  readonly decodes: number;
  readonly marksBox: { left: number; top: number; right: number; bottom: number } | null;
  open(file: Blob, options?: CheckOptions): Promise<OpenResult>;
  destroy(): void;
}

/** Imports the built example by URL (plain JS, typed here). */
const exampleModule = (path: string): Promise<{ createCadViewer(element: HTMLElement, options: { guard: Guard }): Promise<CadViewer> }> => import(path);

const dicomFile = async (samples = stored12) =>
  new File(
    [await buildDicom({ transferSyntax: ts.explicitLittle, rows: height, columns: width, bitsAllocated: 16, bitsStored: 12, samples, windowCenter: [2048], windowWidth: [4096], rescale: { slope: 1, intercept: 0 }, laterality: 'L', viewCode: '399162004' })],
    'synthetic.dcm',
    { type: 'application/dicom' },
  );

/** Whether any pixel of the overlay canvas is drawn (alpha > 0). */
function drawnPixels(canvas: HTMLCanvasElement): number {
  if (canvas.width === 0 || canvas.height === 0) return 0;
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  let count = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
  return count;
}

/** The viewer's visible state agrees with the report's decision: marks only for `show`, a banner otherwise. */
function assertConsistent(element: HTMLElement, decision: string, what: string): void {
  const banner = element.querySelector<HTMLElement>('.cad-banner')!;
  const overlay = element.querySelector<HTMLCanvasElement>('.cad-marks')!;
  assert(element.dataset.decision === decision, `${what}: viewer shows decision ${element.dataset.decision}, report says ${decision}`);
  if (decision === 'show') {
    assert(banner.hidden, `${what}: no banner for show`);
    assert(element.dataset.marks === 'shown' && !overlay.hidden, `${what}: CAD marks shown for show`);
    assert(drawnPixels(overlay) > 0, `${what}: CAD marks drawn (${overlay.width} x ${overlay.height} overlay)`);
  } else {
    assert(!banner.hidden && banner.dataset.decision === decision && banner.textContent!.length > 0, `${what}: ${decision} banner shown`);
    assert(element.dataset.marks === 'none' && overlay.hidden && drawnPixels(overlay) === 0, `${what}: no CAD marks for ${decision}`);
  }
}

describe('Cornerstone3D example', function () {
  this.timeout(240_000);
  const guards: Guard[] = [];
  const viewers: CadViewer[] = [];
  let element: HTMLElement;

  /** A guard whose check() records what it was given. */
  const spiedGuard = async (options: Parameters<typeof createGuard>[0] = {}) => {
    const guard = await createGuard({ backend: 'wasm', ...options });
    guards.push(guard);
    const received: ImageInput[] = [];
    const check = guard.check.bind(guard);
    guard.check = (image, checkOptions) => {
      received.push(image);
      return check(image, checkOptions);
    };
    return { guard, received };
  };

  const mount = async (guard: Guard) => {
    viewers.pop()?.destroy();
    element?.remove();
    element = document.createElement('div');
    Object.assign(element.style, { width: '480px', height: '480px' });
    document.body.append(element);
    const { createCadViewer } = await exampleModule('/dist-examples/cornerstone/viewer.js');
    const viewer = await createCadViewer(element, { guard });
    viewers.push(viewer);
    return viewer;
  };

  after(async () => {
    for (const viewer of viewers) viewer.destroy();
    element?.remove();
    for (const guard of guards) await guard.dispose();
  });

  it('decodes the DICOM once, checks the IImage Cornerstone loaded, and hashes the pixels as the SDK does from the bytes', async () => {
    const { guard, received } = await spiedGuard();
    const viewer = await mount(guard);
    const { image, report, error } = await viewer.open(await dicomFile());
    assert(error === null && report, `the check resolved: ${error?.message}`);
    assert(viewer.decodes === 1, `Cornerstone decoded the image once, not ${viewer.decodes} times`);
    assert(received.length === 1 && received[0] === (image as unknown), 'cadguard received the IImage Cornerstone loaded (no second decode)');
    assert(typeof image.getPixelData === 'function' && image.rows === height && image.columns === width, 'an IImage');
    assert(report.input.format === 'viewer', `format ${report.input.format}`);
    const direct = await guard.check(await (await dicomFile()).arrayBuffer());
    assert(direct.input.format === 'dicom', 'the same bytes passed directly');
    assert(report.input.pixelSha256 === direct.input.pixelSha256, `pixelSha256 ${report.input.pixelSha256} equals the SDK's ${direct.input.pixelSha256}`);
    assert(report.input.pixelSha256 === (await sha256Hex(stored12)), 'and the hash of the stored values');
    assertConsistent(element, report.decision, 'default manifest');
  });

  it('withholds with a banner and no marks when the pixels differ from the archive\'s hash', async () => {
    const { guard } = await spiedGuard();
    const viewer = await mount(guard);
    const other = await sha256Hex(stored12.map((value) => 4095 - value));
    const { report } = await viewer.open(await dicomFile(), { expectedPixelSha256: other });
    assert(report?.decision === 'withhold' && report.integrity.verdict === 'tampered', `decision ${report?.decision}`);
    assertConsistent(element, 'withhold', 'provenance mismatch');
    assert(viewer.decodes === 1, 'decoded once');
  });

  it('draws the CAD marks, placed on the image, only for show', async () => {
    // The uncalibrated fixture manifest makes every verdict 'suspicious' (a synthetic 160 x 128 image is outside what
    // the default calibration describes), and a host policy that shows suspicious images makes `show` reachable.
    const { guard } = await spiedGuard({ manifestUrl: '/test/fixtures/models/manifest.json', policy: { onSuspicious: 'show' } });
    const viewer = await mount(guard);
    const { report } = await viewer.open(await dicomFile());
    assert(report?.decision === 'show' && report.cad.heatmap, `decision ${report?.decision}`);
    assertConsistent(element, 'show', 'show');
    // The marks lie on the displayed image, where the heatmap's region is: the 160 x 128 image fills the 480 x 480
    // viewport's width (3 CSS pixels per image pixel), centred vertically (48 CSS pixels above and below).
    const { region } = report.cad.heatmap;
    const box = viewer.marksBox;
    assert(box, 'marks placed');
    const expected = { left: region.x * 3, top: 48 + region.y * 3, right: (region.x + region.width) * 3, bottom: 48 + (region.y + region.height) * 3 };
    for (const side of ['left', 'top', 'right', 'bottom'] as const) {
      assert(Math.abs(box[side] - expected[side]) <= 3, `marks ${side} ${box[side]} vs ${expected[side]} (region ${JSON.stringify(region)})`);
    }
    const overlay = element.querySelector<HTMLCanvasElement>('.cad-marks')!;
    const ratio = overlay.width / 480;
    const { data } = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height);
    let outside = 0;
    for (let y = 0; y < overlay.height; y++) {
      for (let x = 0; x < overlay.width; x++) {
        const inBox = x >= (box.left - 1) * ratio && x <= (box.right + 1) * ratio && y >= (box.top - 1) * ratio && y <= (box.bottom + 1) * ratio;
        if (!inBox && data[(y * overlay.width + x) * 4 + 3] > 0) outside++;
      }
    }
    assert(outside === 0, `${outside} overlay pixels drawn outside the region`);
  });

  it('runs as the example page, served with the package and its local assets only', async () => {
    const frame = document.createElement('iframe');
    Object.assign(frame.style, { width: '800px', height: '600px' });
    frame.src = '/demo/cornerstone/index.html';
    document.body.append(frame);
    try {
      await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
      const doc = frame.contentDocument!;
      const waitFor = async (states: string[]) => {
        const start = performance.now();
        while (!states.includes(doc.body.dataset.state ?? '')) {
          if (performance.now() - start > 180_000) throw new Error(`state ${doc.body.dataset.state}: ${doc.getElementById('status')?.textContent}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return doc.body.dataset.state;
      };
      assert((await waitFor(['ready', 'error'])) === 'ready', `the page started: ${doc.getElementById('status')?.textContent}`);
      const input = doc.getElementById('file') as HTMLInputElement;
      const transfer = new DataTransfer();
      transfer.items.add(await dicomFile());
      input.files = transfer.files;
      input.dispatchEvent(new Event('change'));
      await waitFor(['done']);
      const viewer = doc.getElementById('viewer')!;
      const decision = viewer.dataset.decision!;
      assert(['show', 'review', 'withhold'].includes(decision), `decision ${decision}: ${doc.getElementById('status')?.textContent}`);
      assertConsistent(viewer, decision, 'example page');
    } finally {
      frame.remove();
    }
  });
});
