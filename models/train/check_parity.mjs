// Compares src/image/preprocess.ts with the Python fixtures in test/fixtures/preprocess/.
// Run from the repository root:
//   npx esbuild src/image/preprocess.ts --format=esm --outfile=/tmp/cadguard-preprocess.mjs && node models/train/check_parity.mjs
import { readFileSync, readdirSync } from 'node:fs';
import { decode } from 'fast-png';

const { preprocessMammogram } = await import(process.env.PREPROCESS_BUNDLE ?? '/tmp/cadguard-preprocess.mjs');
const dir = 'test/fixtures/preprocess';
let worst = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.png'))) {
  const name = file.slice(0, -4);
  const png = decode(readFileSync(`${dir}/${file}`));
  const peak = png.depth === 16 ? 65535 : 255;
  const display = new Float32Array(png.width * png.height);
  for (let i = 0; i < display.length; i++) display[i] = png.data[i * png.channels] / peak;
  const meta = JSON.parse(readFileSync(`${dir}/${name}.expected.json`, 'utf8'));
  const bytes = readFileSync(`${dir}/${name}.expected.f32`);
  const expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const started = performance.now();
  const result = preprocessMammogram(display, png.width, png.height, meta.size);
  const ms = performance.now() - started;
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected[i] - result.tensor[i]));
  const maskSum = result.mask.reduce((a, b) => a + b, 0);
  const same = result.flipped === meta.flipped && maskSum === meta.maskSum && JSON.stringify(result.crop) === JSON.stringify(meta.crop);
  worst = Math.max(worst, maxDiff);
  console.log(`${name}: depth ${png.depth} maxAbsDiff ${maxDiff.toExponential(3)} metaMatch ${same} ${ms.toFixed(1)} ms`);
  if (!same) console.log('  expected', meta, 'got', { flipped: result.flipped, crop: result.crop, maskSum });
}
console.log(`worst maxAbsDiff ${worst.toExponential(3)}`);
process.exitCode = worst <= 1e-3 ? 0 : 1;
