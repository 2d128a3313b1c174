import { fuseIntegrity } from '../detect/integrity.js';
import { provenanceSignal } from '../detect/provenance.js';
import type { Engine } from '../engine/engine.js';
import type { Manifest } from '../engine/manifest.js';
import { sha256Hex } from '../engine/sha256.js';
import { toDisplay } from '../image/voi.js';
import { toModelInput } from '../image/model-input.js';
import { decodeImage, type WireImage } from '../input/decode.js';
import { decide } from '../policy.js';
import type { AuditRecord, Heatmap, PolicyOptions, Report } from '../protocol.js';
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

  const { result, backend, fallback } = await context.engine.runCheck(async (run) => {
    const t0 = performance.now();
    const outputs = await run(classifier.id, input.tensor);
    const t1 = performance.now();
    return { outputs, classifyMs: t1 - t0, detectMs: performance.now() - t1 };
  });

  const threshold = classifier.thresholds.positive;
  const score = result.outputs.score[0];
  const heatmapSpec = classifier.outputs.find((o) => o.name === 'heatmap');
  let heatmap: Heatmap | undefined;
  if (wantHeatmap && heatmapSpec && result.outputs.heatmap) {
    const shape = heatmapSpec.shape;
    heatmap = { width: shape[shape.length - 1], height: shape[shape.length - 2], data: result.outputs.heatmap, region: input.region };
  }

  const integrity = fuseIntegrity(provenance ? [provenance] : [], null);
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
    integrity: { verdict: integrity.verdict, score: integrity.score, signals: integrity.signals },
    decision,
    backend,
    ...(fallback ? { fallback } : {}),
    timings: {
      decode: decoded - start,
      preprocess: preprocessed - decoded,
      classify: result.classifyMs,
      detect: result.detectMs,
      total: end - start,
    },
    models,
    input: inputInfo,
    audit,
  };
}
