import { SQUEEZE_VARIANTS, squeezeDisagreement, squeezedBatch } from '../detect/feature-squeeze.js';
import { fuseIntegrity } from '../detect/integrity.js';
import { noiseConsistency } from '../detect/noise-consistency.js';
import { provenanceSignal } from '../detect/provenance.js';
import type { Engine, RunModel } from '../engine/engine.js';
import type { Manifest, ModelEntry } from '../engine/manifest.js';
import { sha256Hex } from '../engine/sha256.js';
import { toDisplay } from '../image/voi.js';
import { toModelInput } from '../image/model-input.js';
import { decodeImage, type WireImage } from '../input/decode.js';
import { decide } from '../policy.js';
import type { AuditRecord, Heatmap, IntegritySignal, PolicyOptions, Report } from '../protocol.js';
import { SDK_VERSION } from '../version.js';

/** What a check needs from the worker's state. */
export interface CheckContext {
  engine: Engine;
  manifest: Manifest;
  policy: Required<PolicyOptions>;
}

/**
 * One check, stage by stage along the data's way: input -> stored pixels -> display (VOI) -> model tensor ->
 * classifier + integrity signals -> decision -> report with its audit record.
 */
export async function checkImage(context: CheckContext, image: WireImage, expectedPixelSha256: string | null, wantHeatmap: boolean): Promise<Report> {
  const start = performance.now();
  const stored = await decodeImage(image);
  const pixelSha256 = await sha256Hex(stored.pixels);
  const provenance = provenanceSignal(pixelSha256, expectedPixelSha256);
  const decoded = performance.now();

  const classifier = context.manifest.models.find((m) => m.role === 'classifier')!;
  const display = toDisplay(stored);
  const input = toModelInput(classifier.input, display, stored.width, stored.height);
  const preprocessed = performance.now();

  const detector = context.manifest.models.find((m) => m.role === 'detector');
  const detectorInput = detector ? toModelInput(detector.input, display, stored.width, stored.height) : null;
  const [, , modelHeight, modelWidth] = classifier.input.shape;

  const { result, backend, fallback } = await context.engine.runCheck(async (run) => {
    const t0 = performance.now();
    const outputs = await run(classifier.id, input.tensor);
    const t1 = performance.now();
    const squeezedScores = await runSqueezed(run, classifier, squeezedBatch(input.tensor, modelWidth, modelHeight));
    const detectorOutputs = detector && detectorInput ? await run(detector.id, detectorInput.tensor) : null;
    return { outputs, squeezedScores, detectorOutputs, classifyMs: t1 - t0, modelDetectMs: performance.now() - t1 };
  });
  const noiseStart = performance.now();
  const noise = noiseConsistency(display, stored.width, stored.height);
  const detectMs = result.modelDetectMs + (performance.now() - noiseStart);

  const threshold = classifier.thresholds.positive;
  const score = result.outputs.score[0];
  const heatmapSpec = classifier.outputs.find((o) => o.name === 'heatmap');
  let heatmap: Heatmap | undefined;
  if (wantHeatmap && heatmapSpec && result.outputs.heatmap) {
    const shape = heatmapSpec.shape;
    heatmap = { width: shape[shape.length - 1], height: shape[shape.length - 2], data: result.outputs.heatmap, region: input.region };
  }

  const signals: IntegritySignal[] = [
    {
      id: 'squeeze',
      value: squeezeDisagreement(score, result.squeezedScores),
      flagged: false,
      detail: 'largest change of the CAD score under median smoothing or bit-depth reduction (feature squeezing)',
    },
    { id: 'noise', value: noise.value, flagged: false, detail: `local break of the image's own noise-intensity relation over ${noise.tiles} tiles` },
  ];
  if (result.detectorOutputs) {
    signals.push({ id: 'residual', value: result.detectorOutputs.score[0], flagged: false, detail: 'learned detector on high-pass noise residuals' });
  }
  if (provenance) signals.push(provenance);
  const integrity = fuseIntegrity(signals, context.manifest.integrity);
  const tamperHeatmap: Heatmap = { width: noise.mapWidth, height: noise.mapHeight, data: noise.map, region: { x: 0, y: 0, width: stored.width, height: stored.height, flipped: false } };
  const decision = decide(integrity.verdict, context.policy);
  const models = context.manifest.models.map(({ id, version, sha256 }) => ({ id, version, sha256 }));
  const inputInfo = { width: stored.width, height: stored.height, pixelSha256, format: stored.format, bitsStored: stored.bitsStored };
  const cad = { score, positive: score >= threshold, threshold };

  const audit: AuditRecord = {
    schema: 'cadguard-audit/1',
    time: new Date().toISOString(),
    sdkVersion: SDK_VERSION,
    input: { pixelSha256, width: stored.width, height: stored.height, format: stored.format, expectedPixelSha256 },
    models,
    backend,
    fallback: fallback ?? null,
    cad,
    integrity: {
      verdict: integrity.verdict,
      score: integrity.score,
      signals: integrity.signals.map(({ id, value, flagged }) => ({ id, value, flagged })),
    },
    thresholds: integrity.thresholds,
    decision,
  };
  const end = performance.now();
  return {
    cad: heatmap ? { ...cad, heatmap } : cad,
    integrity: { verdict: integrity.verdict, score: integrity.score, signals: integrity.signals, ...(wantHeatmap ? { heatmap: tamperHeatmap } : {}) },
    decision,
    backend,
    ...(fallback ? { fallback } : {}),
    timings: {
      decode: decoded - start,
      preprocess: preprocessed - decoded,
      classify: result.classifyMs,
      detect: detectMs,
      total: end - start,
    },
    models,
    input: inputInfo,
    audit,
  };
}

/** Scores of the squeezed variants: one batched run when the model takes a batch, else one run each. */
async function runSqueezed(run: RunModel, classifier: ModelEntry, batch: Float32Array): Promise<Float32Array> {
  if (classifier.input.batch === 'dynamic') return (await run(classifier.id, batch, SQUEEZE_VARIANTS)).score;
  const size = batch.length / SQUEEZE_VARIANTS;
  const scores = new Float32Array(SQUEEZE_VARIANTS);
  for (let k = 0; k < SQUEEZE_VARIANTS; k++) scores[k] = (await run(classifier.id, batch.subarray(k * size, (k + 1) * size))).score[0];
  return scores;
}
