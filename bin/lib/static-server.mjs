// The one static file server behind the demo (demo/serve.mjs) and cadguard-eval: it serves a folder with the
// headers WASM threads need (COOP/COEP: the page is then cross-origin isolated) and a CSP that allows only
// same-origin scripts, workers and WebAssembly. Extra folders are mounted under URL prefixes; a few exact paths
// can be answered by code. It never climbs out of a folder it serves.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** Content types by file extension; anything else is sent as `application/octet-stream`. */
export const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.dcm': 'application/dicom',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json',
};

const contentSecurityPolicy =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; img-src 'self' data: blob:; style-src 'self'";

/** Resolves a URL path inside `base`, or null for anything that climbs out of it (or cannot be decoded). */
export function inside(base, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const path = normalize(join(base, decoded));
  return path === base || path.startsWith(base + sep) ? path : null;
}

/** Sends a small whole body with a status and content type. */
export function send(response, status, body, type = 'text/plain; charset=utf-8') {
  response.writeHead(status, { 'Content-Type': type });
  response.end(body);
}

/**
 * Creates (does not start) an HTTP server for `root`.
 *
 * @param {object} options
 * @param {string} options.root Folder served at `/`.
 * @param {Record<string, string>} [options.mounts] URL prefix (`'/samples/'`, with both slashes) -> folder served there.
 * @param {Record<string, (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse, url: URL) => void>} [options.extraRoutes]
 *   Exact URL path -> handler; checked before files.
 * @returns {import('node:http').Server}
 */
export function createStaticServer({ root, mounts = {}, extraRoutes = {} }) {
  const base = resolve(root);
  const folders = Object.entries(mounts).map(([prefix, folder]) => [prefix, resolve(folder)]);
  return createServer((request, response) => {
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    response.setHeader('Content-Security-Policy', contentSecurityPolicy);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = Object.hasOwn(extraRoutes, url.pathname) ? extraRoutes[url.pathname] : null;
    if (route) return route(request, response, url);
    const mount = folders.find(([prefix]) => url.pathname.startsWith(prefix));
    let path = mount ? inside(mount[1], url.pathname.slice(mount[0].length)) : inside(base, url.pathname);
    if (!path || !existsSync(path)) return send(response, 404, 'not found');
    if (statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) return send(response, 404, 'not found');
    response.writeHead(200, { 'Content-Type': contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': statSync(path).size });
    createReadStream(path).pipe(response);
  });
}
