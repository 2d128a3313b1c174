#!/usr/bin/env node
// Serves the demo page and the built package with the headers WASM threads need (COOP/COEP: the page is then
// cross-origin isolated), from this machine only. Usage: node demo/serve.mjs [--port 8080] [--samples DIR]
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentTypes, createStaticServer, send } from '../bin/lib/static-server.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const port = Number(option('port', process.env.PORT ?? 8080));
const samples = option('samples', process.env.CADGUARD_SAMPLES ?? null);

const server = createStaticServer({
  root,
  mounts: samples ? { '/samples/': samples } : {},
  extraRoutes: {
    '/': (request, response) => {
      response.writeHead(302, { Location: '/demo/' });
      response.end();
    },
    '/samples.json': (request, response) => {
      const list = samples && existsSync(samples) ? readdirSync(samples).filter((f) => /\.(png|jpe?g|dcm)$/i.test(f)).sort() : [];
      send(response, 200, JSON.stringify({ folder: samples, files: list }), contentTypes['.json']);
    },
  },
});

server.listen(port, '127.0.0.1', () => {
  console.log(`cadguard demo: http://localhost:${port}/demo/${samples ? `  (samples from ${samples})` : ''}`);
});
