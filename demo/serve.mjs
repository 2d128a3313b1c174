#!/usr/bin/env node
// Serves the demo page and the built package with the headers WASM threads need (COOP/COEP: the page is then
// cross-origin isolated), from this machine only. Usage: node demo/serve.mjs [--port 8080] [--samples DIR]
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const port = Number(option('port', process.env.PORT ?? 8080));
const samples = option('samples', process.env.CADGUARD_SAMPLES ?? null);

const types = {
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

/** Resolves a URL path inside `base`, refusing anything that climbs out of it. */
function inside(base, urlPath) {
  const path = normalize(join(base, decodeURIComponent(urlPath)));
  return path === base || path.startsWith(base + sep) ? path : null;
}

function send(response, status, body, type = 'text/plain; charset=utf-8') {
  response.writeHead(status, { 'Content-Type': type });
  response.end(body);
}

const server = createServer((request, response) => {
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  response.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; img-src 'self' data: blob:; style-src 'self'");
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname === '/') {
    response.writeHead(302, { Location: '/demo/' });
    return response.end();
  }
  if (url.pathname === '/samples.json') {
    const list = samples && existsSync(samples) ? readdirSync(samples).filter((f) => /\.(png|jpe?g|dcm)$/i.test(f)).sort() : [];
    return send(response, 200, JSON.stringify({ folder: samples, files: list }), types['.json']);
  }
  let path = url.pathname.startsWith('/samples/') && samples ? inside(resolve(samples), url.pathname.slice('/samples/'.length)) : inside(root, url.pathname);
  if (!path || !existsSync(path)) return send(response, 404, 'not found');
  if (statSync(path).isDirectory()) path = join(path, 'index.html');
  if (!existsSync(path)) return send(response, 404, 'not found');
  response.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream', 'Content-Length': statSync(path).size });
  createReadStream(path).pipe(response);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`cadguard demo: http://localhost:${port}/demo/${samples ? `  (samples from ${samples})` : ''}`);
});
