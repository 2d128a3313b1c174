// Starts headless Chromium on the eval page and talks to `window.cadguardEval` there (bin/eval-page/). Every
// failure here is an infrastructure failure: it stops the run with a message, never a partial result.
import puppeteer from 'puppeteer-core';
import { chromeArgs } from './chrome.mjs';

/** The run cannot go on (browser, page, guard); the message says what failed and what was seen. */
export class InfrastructureError extends Error {
  name = 'InfrastructureError';
}

/**
 * Launches Chromium and loads the eval page until its API is there. The bench (bench/run.mjs) passes its own
 * page global and extra flags (memory measurement).
 * @param {{ executablePath: string, url: string, timeoutMs?: number, extraArgs?: string[], readyGlobal?: string }} options
 */
export async function openEvalPage({ executablePath, url, timeoutMs = 60_000, extraArgs = [], readyGlobal = 'cadguardEval' }) {
  let browser;
  try {
    browser = await puppeteer.launch({ executablePath, headless: true, args: [...chromeArgs, ...extraArgs], timeout: timeoutMs, protocolTimeout: 600_000 });
  } catch (error) {
    throw new InfrastructureError(`Chromium (${executablePath}) would not start: ${firstLine(error)}`);
  }
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${firstLine(error)}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`));
    const response = await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    if (!response?.ok()) throw new Error(`${url} answered HTTP ${response?.status() ?? 'nothing'}`);
    await page.waitForFunction((name) => name in window, { timeout: timeoutMs }, readyGlobal);
    return { browser, page, version: await browser.version(), problems };
  } catch (error) {
    await browser.close().catch(() => {});
    throw new InfrastructureError(`the eval page did not load: ${firstLine(error)}${seen(problems)}`);
  }
}

/** The browser-side problems seen so far, for an error message. */
export function seen(problems) {
  return problems.length ? `\n  seen in the page:\n    ${problems.slice(-5).join('\n    ')}` : '';
}

function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}
