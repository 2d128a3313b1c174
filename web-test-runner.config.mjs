import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { chromeArgs } from './bin/lib/chrome.mjs';
import { evalCommandPlugin } from './test/support/eval-command.mjs';
import { screenshotCommandPlugin } from './test/support/screenshot-command.mjs';
import { isolationHeaders } from './test/support/server-middleware.mjs';
import { summaryReporter } from './test/support/summary-reporter.mjs';

// The flags that give headless Chromium a real (software) WebGPU adapter without touching the network; one list,
// shared with cadguard-eval (bin/lib/chrome.mjs), so the eval runs the SDK in the browser setup the tests use.
export { chromeArgs };

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 120000,
  testsStartTimeout: 120000,
  testsFinishTimeout: 900000,
  testFramework: { config: { timeout: 300000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), evalCommandPlugin(), screenshotCommandPlugin()],
  middleware: [isolationHeaders],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
        headless: true,
        args: chromeArgs,
      },
    }),
  ],
  reporters: [defaultReporter(), summaryReporter()],
};
