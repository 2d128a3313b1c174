// The demo page, tested as a person uses it: the page (demo/index.html, with the built SDK from dist/) is opened in
// an iframe at 1280 x 800; a synthetic 16-bit PNG is dropped on it; the report appears; the Square attack runs on
// it; the verdict changes; a screenshot matches the stored one; a lesion inserted by a click is caught too.
//
// Screenshot comparison: pixelmatch with its default per-pixel colour threshold 0.1 (YIQ distance, 0-1), and at
// most 1 % of the 1280 x 800 pixels may differ. Everything random is seeded (the image, the attack), the page
// runs with `?stable=1` (timings, thread count and adapter hidden), so on one machine the screenshot is stable; fonts
// differ between systems, so the baseline belongs to the CI image (Debian 12, its Chromium). Refresh it with
// `npm run test:update-baseline` (UPDATE_BASELINE=1) and look at test/fixtures/demo/baseline.png before committing.
import { executeServerCommand, sendKeys, sendMouse, setViewport } from '@web/test-runner-commands';
import { assert, pngBytes, quantise16, sha256Hex, syntheticBreast } from './support/helpers.js';

const viewport = { width: 1280, height: 800 };
const pixelmatchThreshold = 0.1;
const maxDifferingFraction = 0.01;
const budget = 6;

const width = 480;
const height = 600;
const pixels = quantise16(syntheticBreast(width, height, 7, 'right'));

let frame: HTMLIFrameElement;
const doc = () => frame.contentDocument!;
const byId = (id: string) => doc().getElementById(id)!;
const state = () => doc().body?.dataset.state;

async function waitForState(wanted: string[], timeoutMs = 110_000): Promise<string> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const current = state();
    if (current && wanted.includes(current)) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the demo did not reach ${wanted.join(' or ')} within ${timeoutMs} ms (state ${state()}, status "${byId('status')?.textContent}")`);
}

/** Two animation frames: layout and paint have caught up. */
const settled = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

/** Imports a demo module by URL (plain JS, typed loosely here). */
const demoModule = (path: string): Promise<any> => import(path);

describe('demo page', function () {
  this.timeout(120_000);

  before(async () => {
    await setViewport(viewport);
    document.body.style.margin = '0';
    frame = document.createElement('iframe');
    frame.title = 'cadguard demo';
    Object.assign(frame.style, { position: 'fixed', left: '0', top: '0', width: `${viewport.width}px`, height: `${viewport.height}px`, border: '0' });
    frame.src = `/demo/?stable=1&budget=${budget}`;
    document.body.append(frame);
    await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    assert((await waitForState(['ready', 'error'])) === 'ready', `the guard started: ${byId('status').textContent}`);
  });

  after(() => frame?.remove());

  it('checks a dropped 16-bit PNG and shows the report', async () => {
    const view = frame.contentWindow as Window & typeof globalThis;
    const file = new view.File([pngBytes(pixels, width, height)], 'synthetic-16bit.png', { type: 'image/png' });
    const transfer = new view.DataTransfer();
    transfer.items.add(file);
    byId('drop').dispatchEvent(new view.DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    assert((await waitForState(['checked', 'error'])) === 'checked', `checked: ${byId('status').textContent}`);
    const decision = byId('decision').dataset.decision;
    // Without an integrity calibration the guard fails closed ('review'); with one, this clean image passes.
    assert(decision === 'show' || decision === 'review', `clean decision ${decision}`);
    const verdict = byId('integrity-verdict').textContent;
    assert(verdict === 'pass' || verdict === 'suspicious', `clean verdict ${verdict}`);
    const summary = byId('summary').textContent!;
    assert(summary.includes(await sha256Hex(pixels)), 'the report shows the SHA-256 of the 16-bit pixels');
    assert(summary.includes(`${width} × ${height}, png, 16 bit`), `image line in ${summary}`);
    const canvas = byId('view') as HTMLCanvasElement;
    assert(canvas.width === width && canvas.height === height, `canvas ${canvas.width} x ${canvas.height}`);
    assert(!byId('attack-box').hasAttribute('disabled'), 'the attack controls are enabled once checked');
  });

  it('windows the image by keyboard, and resets', async () => {
    const readout = () => byId('window-readout').textContent;
    const before = readout();
    byId('view').focus();
    await sendKeys({ press: 'ArrowRight' });
    await sendKeys({ press: 'ArrowUp' });
    assert(readout() !== before, `window changed from ${before}`);
    await sendKeys({ press: 'r' });
    assert(readout() === before, `reset to ${before}, got ${readout()}`);
    (doc().activeElement as HTMLElement | null)?.blur();
  });

  it('runs the Square attack, and the verdict changes to tampered', async () => {
    const cleanVerdict = byId('integrity-verdict').textContent;
    (byId('square') as HTMLButtonElement).click();
    assert((await waitForState(['attacked', 'error'])) === 'attacked', `attacked: ${byId('status').textContent}`);
    const result = byId('attack-result');
    assert(!result.hidden, 'the attack result is shown');
    // Provenance: the attacked pixels are checked against the clean image's hash, as a viewer with the archive's
    // hash does; any change makes the verdict 'tampered' and the decision 'withhold'.
    assert(result.dataset.verdict === 'tampered' && cleanVerdict !== 'tampered', `verdict ${cleanVerdict} -> ${result.dataset.verdict}`);
    assert(byId('attack-headline').dataset.decision === 'withhold', `decision ${byId('attack-headline').dataset.decision}`);
    assert(byId('attack-summary').textContent!.includes('pixels differ from the archived original'), 'provenance is explained');
    assert(byId('attack-title').textContent!.includes(`${budget} queries`) || byId('attack-title').textContent!.includes('flipped'), byId('attack-title').textContent!);
    const diff = byId('diff') as HTMLCanvasElement;
    assert(diff.width === width && diff.height === height, `difference view ${diff.width} x ${diff.height}`);
    assert(/amplified ×\d+/.test(byId('diff-caption').textContent!), 'the amplification is shown');
  });

  it('looks like the stored screenshot (pixelmatch threshold 0.1, at most 1 % of pixels differ)', async () => {
    await settled();
    const result = await executeServerCommand<
      { written: boolean; differing: number; fraction: number; width: number; height: number; diffPath?: string; actualPath?: string; sizeMismatch?: string },
      { baseline: string; clip: { x: number; y: number; width: number; height: number }; threshold: number }
    >('compare-screenshot', { baseline: 'test/fixtures/demo/baseline.png', clip: { x: 0, y: 0, ...viewport }, threshold: pixelmatchThreshold });
    assert(result.width === viewport.width && result.height === viewport.height, `screenshot ${result.width} x ${result.height}`);
    if (result.written) console.info('demo screenshot baseline written to test/fixtures/demo/baseline.png');
    assert(
      result.fraction <= maxDifferingFraction,
      `${result.differing} pixels (${(result.fraction * 100).toFixed(2)} %) differ from the baseline${result.sizeMismatch ? ` (baseline ${result.sizeMismatch})` : ''}; see ${result.actualPath} and ${result.diffPath}`,
    );
  });

  it('inserts a lesion where the image is clicked, and the guard catches it', async () => {
    (byId('insert') as HTMLButtonElement).click();
    assert(byId('insert').getAttribute('aria-pressed') === 'true', 'the insert tool is armed');
    const box = byId('view').getBoundingClientRect();
    const spot = { x: 0.6, y: 0.5 };
    await sendMouse({ type: 'click', position: [Math.round(box.left + box.width * spot.x), Math.round(box.top + box.height * spot.y)] });
    assert((await waitForState(['attacked', 'error'])) === 'attacked', `attacked: ${byId('status').textContent}`);
    const title = byId('attack-title').textContent!;
    const match = /Lesion inserted at \((\d+), (\d+)\)/.exec(title);
    assert(match, `title ${title}`);
    assert(Math.abs(Number(match[1]) - width * spot.x) <= 2 && Math.abs(Number(match[2]) - height * spot.y) <= 2, `spot ${match[1]}, ${match[2]}`);
    assert(byId('attack-result').dataset.verdict === 'tampered', `verdict ${byId('attack-result').dataset.verdict}`);
  });
});

describe('demo modules', () => {
  it('windows 16-bit values at full precision', async () => {
    const { toGreyRgba } = await demoModule('/demo/view.js');
    const image = { data: Uint16Array.of(30000, 30001, 30002, 30003), width: 4, height: 1, bitsStored: 16, photometric: 'MONOCHROME2' };
    const rgba: Uint8ClampedArray = toGreyRgba(image, { center: 30001.5, width: 4 });
    assert(new Set([rgba[0], rgba[4], rgba[8], rgba[12]]).size === 4, `four grey levels from values one apart: ${rgba}`);
  });

  it('decodes a 16-bit PNG in the page to its exact values', async () => {
    const { decodePng } = await demoModule('/demo/decode.js');
    const image = await decodePng(pngBytes(pixels, width, height));
    assert(image.bitsStored === 16 && image.width === width && image.height === height, `decoded ${image.width} x ${image.height}, ${image.bitsStored} bit`);
    assert((await sha256Hex(image.data)) === (await sha256Hex(pixels)), 'same values as encoded');
  });

  it('Square attack: stays within eps, spends its budget, and repeats with its seed', async () => {
    const { squareAttack } = await demoModule('/demo/attacks.js');
    const image = { data: pixels.slice(), width, height, bitsStored: 16, photometric: 'MONOCHROME2' };
    // A stand-in classifier: the mean of a patch, so squares inside it change the score.
    const score = async (candidate: { data: Uint16Array }) => {
      let sum = 0;
      for (let y = 200; y < 300; y++) for (let x = 200; x < 300; x++) sum += candidate.data[y * width + x];
      return sum / 10000 / 65535;
    };
    const run = () => squareAttack({ image, score, threshold: 0, eps: 500, budget: 20, seed: 3 });
    const [first, second] = [await run(), await run()];
    assert(first.queries === 20 && !first.flipped, `queries ${first.queries}, flipped ${first.flipped}`);
    let largest = 0;
    for (let i = 0; i < pixels.length; i++) largest = Math.max(largest, Math.abs(first.image.data[i] - pixels[i]));
    assert(largest <= 500 && largest > 0, `L-inf ${largest}`);
    assert((await sha256Hex(first.image.data)) === (await sha256Hex(second.image.data)), 'same seed, same attack');
    assert(first.score === (await score(first.image)), `the reported score is the attacked image's: ${first.score}`);
  });
});
