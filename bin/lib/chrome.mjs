// Which Chromium to run and with which flags; web-test-runner.config.mjs takes its flags from here too, so the
// eval runs the SDK in the same browser setup the tests do.
import { existsSync } from 'node:fs';

/** The flags that give headless Chromium a real (software) WebGPU adapter without touching the network. */
export const chromeArgs = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Chromium used when neither `--chrome` nor `CHROME_PATH` names one. */
export const defaultChromePath = '/usr/bin/chromium';

/**
 * The Chromium executable: `--chrome` first, then `CHROME_PATH`, then {@link defaultChromePath}.
 * @param {string | undefined} option the `--chrome` value
 * @returns {{ path: string, from: string, exists: boolean }}
 */
export function resolveChromePath(option, env = process.env) {
  const [path, from] = option ? [option, '--chrome'] : env.CHROME_PATH ? [env.CHROME_PATH, 'CHROME_PATH'] : [defaultChromePath, 'the default'];
  return { path, from, exists: existsSync(path) };
}
