// Middleware shared by the test runner, the demo server and the bench: cross-origin isolation (so WASM threads
// work), a strict CSP on /test/csp/ pages, and a log of every request so a test can prove where data goes.

/** Every path requested, in order, since the server started. */
export const requestLog = [];

const strictCsp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
].join('; ');

export async function isolationHeaders(ctx, next) {
  if (ctx.path === '/__requests') {
    const since = Number(ctx.query.since ?? 0);
    ctx.body = { total: requestLog.length, requests: requestLog.slice(since) };
    return;
  }
  requestLog.push({ path: ctx.path, host: ctx.host });
  await next();
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  if (ctx.path.startsWith('/test/csp/')) ctx.set('Content-Security-Policy', strictCsp);
}
