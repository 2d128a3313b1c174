// Runs models/classifier.onnx in onnxruntime-web (WebAssembly, in Node) on the sincos-v1 input and
// compares it with the manifest's validation values. Run from the repository root:
//   node models/train/check_onnx.mjs
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';

const manifest = JSON.parse(readFileSync('models/manifest.json', 'utf8'));
const entry = manifest.models.find((model) => model.id === 'cadguard-classifier');
const [, , height, width] = entry.input.shape;
const input = new Float32Array(height * width);
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    input[y * width + x] = 0.5 + 0.5 * Math.sin(0.05 * x + 0.031 * y) * Math.cos(0.017 * x - 0.043 * y);
  }
}
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(readFileSync(`models/${entry.file}`));
const started = performance.now();
const outputs = await session.run({ image: new ort.Tensor('float32', input, entry.input.shape) });
const ms = performance.now() - started;
const { expected, tolerance } = entry.validation;
let worst = 0;
for (const [index, value] of expected.score.samples) worst = Math.max(worst, Math.abs(outputs.score.data[index] - value));
for (const [index, value] of expected.heatmap.samples) worst = Math.max(worst, Math.abs(outputs.heatmap.data[index] - value));
const heat = outputs.heatmap.data;
const mean = heat.reduce((a, b) => a + b, 0) / heat.length;
worst = Math.max(worst, Math.abs(mean - expected.heatmap.mean));
console.log(`score ${outputs.score.data[0]} heatmap dims ${outputs.heatmap.dims} max abs diff ${worst.toExponential(3)} (tolerance ${tolerance}) run ${ms.toFixed(0)} ms`);
process.exitCode = worst <= tolerance ? 0 : 1;
