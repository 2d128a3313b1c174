import { assert } from './support/helpers.js';

interface CspResult {
  ok: boolean;
  error?: string;
  backend?: string;
  threads?: number;
  isolated?: boolean;
  requestsDuringCheck?: string[];
  violations: string[];
}

function runCspPage(backend: string): Promise<CspResult> {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    const onMessage = (event: MessageEvent) => {
      if (!event.data?.cadguardCsp) return;
      window.removeEventListener('message', onMessage);
      frame.remove();
      resolve(event.data.cadguardCsp);
    };
    window.addEventListener('message', onMessage);
    frame.src = `/test/csp/index.html?backend=${backend}`;
    document.body.append(frame);
  });
}

describe('privacy and CSP', () => {
  it('checks an image under a strict CSP (no eval, no blob: workers) on WASM with threads', async () => {
    const result = await runCspPage('wasm');
    assert(result.ok, `the guard works under the CSP: ${result.error} / violations: ${result.violations.join('; ')}`);
    assert(result.violations.length === 0, `no CSP violations: ${result.violations.join('; ')}`);
    assert(result.isolated === true && (result.threads ?? 0) > 1, `threads ${result.threads}, isolated ${result.isolated}`);
  });

  it('checks an image under the strict CSP on WebGPU', async () => {
    const result = await runCspPage('webgpu');
    assert(result.ok && result.backend === 'webgpu', `${result.error ?? result.backend} / ${result.violations.join('; ')}`);
    assert(result.violations.length === 0, `no CSP violations: ${result.violations.join('; ')}`);
  });

  it('sends no request while checking: pixels never leave the page', async () => {
    const result = await runCspPage('wasm');
    assert(result.ok, String(result.error));
    assert(result.requestsDuringCheck!.length === 0, `requests during a check: ${result.requestsDuringCheck!.join(', ')}`);
  });

  it('loads only the package\'s own assets from the page\'s own origin', async () => {
    const before = await (await fetch('/__requests')).json();
    const result = await runCspPage('wasm');
    assert(result.ok, String(result.error));
    const after = await (await fetch(`/__requests?since=${before.total}`)).json();
    const paths: string[] = after.requests.map((r: { path: string }) => r.path);
    const allowed = /^\/(dist\/|test\/csp\/|test\/fixtures\/models\/|__requests$|favicon\.ico$)/;
    const foreign = paths.filter((p) => !allowed.test(p));
    assert(foreign.length === 0, `unexpected requests: ${foreign.join(', ')}`);
    const all = await (await fetch('/__requests')).json();
    assert(all.requests.some((r: { path: string }) => r.path === '/dist/ort-wasm-simd-threaded.asyncify.wasm'), 'the runtime came from the package files');
    assert(after.requests.every((r: { host: string }) => r.host === location.host), 'every request went to this origin');
  });
});
