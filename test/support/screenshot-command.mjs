// A test-runner plugin with one server command, `compare-screenshot`: it screenshots a clip of the test page through
// the launcher's puppeteer page and compares it with a stored PNG using pixelmatch. With UPDATE_BASELINE=1 in the
// environment (npm run test:update-baseline), or when no baseline exists yet, it writes the baseline instead.
// On a mismatch the actual screenshot and pixelmatch's diff are written to the system temp folder for a look.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode } from 'fast-png';
import pixelmatch from 'pixelmatch';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** RGBA bytes of a PNG (screenshots are RGB or RGBA, 8 bit). */
function rgba(png) {
  const image = decode(png);
  if (image.depth !== 8) throw new Error(`expected an 8-bit PNG, got ${image.depth} bit`);
  if (image.channels === 4) return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
  const out = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) {
    out.set(image.channels === 3 ? image.data.subarray(i * 3, i * 3 + 3) : [image.data[i], image.data[i], image.data[i]], i * 4);
    out[i * 4 + 3] = 255;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Payload: `{ baseline, clip: {x, y, width, height}, threshold }`; `baseline` is relative to the repository root,
 * `threshold` is pixelmatch's per-pixel colour threshold. Answers `{ written, width, height, differing, fraction,
 * actualPath?, diffPath? }`; `written` says the baseline was (re)written and nothing was compared.
 */
export async function compareScreenshot(page, { baseline, clip, threshold }) {
  const shot = rgba(await page.screenshot({ type: 'png', clip }));
  const baselinePath = join(root, baseline);
  if (process.env.UPDATE_BASELINE === '1' || !existsSync(baselinePath)) {
    mkdirSync(dirname(baselinePath), { recursive: true });
    writeFileSync(baselinePath, encode({ width: shot.width, height: shot.height, data: shot.data, channels: 4, depth: 8 }));
    return { written: true, width: shot.width, height: shot.height, differing: 0, fraction: 0 };
  }
  const stored = rgba(readFileSync(baselinePath));
  if (stored.width !== shot.width || stored.height !== shot.height) {
    return { written: false, width: shot.width, height: shot.height, differing: shot.width * shot.height, fraction: 1, sizeMismatch: `${stored.width} x ${stored.height}` };
  }
  const diff = new Uint8Array(shot.data.length);
  const differing = pixelmatch(stored.data, shot.data, diff, shot.width, shot.height, { threshold });
  const result = { written: false, width: shot.width, height: shot.height, differing, fraction: differing / (shot.width * shot.height) };
  if (differing > 0) {
    const stem = join(tmpdir(), basename(baseline, '.png'));
    result.actualPath = `${stem}-actual.png`;
    result.diffPath = `${stem}-diff.png`;
    writeFileSync(result.actualPath, encode({ width: shot.width, height: shot.height, data: shot.data, channels: 4, depth: 8 }));
    writeFileSync(result.diffPath, encode({ width: shot.width, height: shot.height, data: diff, channels: 4, depth: 8 }));
  }
  return result;
}

/** The plugin for web-test-runner.config.mjs. */
export function screenshotCommandPlugin() {
  return {
    name: 'cadguard-screenshot-command',
    async executeCommand({ command, payload, session }) {
      if (command !== 'compare-screenshot') return undefined;
      if (typeof session.browser.getPage !== 'function') throw new Error('compare-screenshot needs the Chrome launcher (puppeteer)');
      return compareScreenshot(session.browser.getPage(session.id), payload);
    },
  };
}
