import { assembleContent, spreadTiles, tileBatch, tileGrid, tilePlan, type ContentMap } from '../detect/content-tiles.js';
import { SQUEEZE_VARIANTS, squeezeDisagreement, squeezedBatch } from '../detect/feature-squeeze.js';
import { fuseIntegrity, type Integrity } from '../detect/integrity.js';
import { noiseConsistency, quantisationStep } from '../detect/noise-consistency.js';
import { noiseTexture } from '../detect/noise-texture.js';
import { blendSeam, type SeamRing } from '../detect/blend-seam.js';
import { noiseTileGrid } from '../detect/noise-tiles.js';
import { provenanceSignal } from '../detect/provenance.js';
import { signalDefinitions } from '../detect/signal-definitions.js';
import type { Engine, RunModel } from '../engine/engine.js';
import type { Manifest, ModelEntry } from '../engine/manifest.js';
import { sha256Hex } from '../engine/sha256.js';
import { toModelInput } from '../image/model-input.js';
import { breastMask, type BreastMask } from '../image/preprocess.js';
import { displayImage, displayValues } from '../image/voi.js';
import { decodeImage, type WireImage } from '../input/decode.js';
import { decide } from '../policy.js';
import { scratch } from '../scratch.js';
import type { AuditRecord, Heatmap, IntegritySignal, PolicyOptions, Report } from '../protocol.js';
import { SDK_VERSION } from '../version.js';

/** What a check needs from the worker's state. */
export interface CheckContext {
  engine: Engine;
  manifest: Manifest;
  policy: Required<PolicyOptions>;
  /** Folder URL of the package's assets (the DICOM codecs lie in its `codecs/`). */
  assetBase?: string;
}

/**
 * One check, stage by stage along the data's way: input -> stored pixels -> display (VOI) -> model tensor ->
 * classifier + integrity signals -> decision -> report with its audit record.
 */
export async function checkImage(context: CheckContext, image: WireImage, expectedPixelSha256: string | null, wantHeatmap: boolean, voiIndex = 0, integrityOn = true): Promise<Report> {
  const start = performance.now();
  const acceptsForProcessing = context.manifest.models.some((m) => m.role === 'classifier' && m.input.acceptsForProcessing === true);
  const stored = await decodeImage(image, { assetBase: context.assetBase, voiIndex, acceptsForProcessing });
  // Hashed before the display transform, not alongside it: Chromium's WebCrypto digests on the calling thread.
  const pixelSha256 = await sha256Hex(stored.pixels);
  const provenance = provenanceSignal(pixelSha256, expectedPixelSha256);
  const decoded = performance.now();

  const classifier = context.manifest.models.find((m) => m.role === 'classifier')!;
  const display = displayImage(stored, 'display.table');
  // Noise texture judges only the breast, noise consistency counts only too-smooth tiles off it, the content model
  // runs only on tiles that hold some; the default preprocessing finds the same mask, so it is found once.
  const breast = integrityOn ? breastMask(display) : undefined;
  // The tensors live in kept buffers (they are done with when this check ends): fresh ones cost page faults.
  const input = toModelInput(classifier.input, display, breast, 'input.classifier');
  const preprocessed = performance.now();

  const detector = context.manifest.models.find((m) => m.role === 'detector');
  // The bundled detector reads the classifier's own tensor: it is computed once.
  const sameInput =
    detector?.input.preprocess === classifier.input.preprocess &&
    detector.input.shape.join() === classifier.input.shape.join() &&
    JSON.stringify(detector.input.normalisation ?? null) === JSON.stringify(classifier.input.normalisation ?? null);
  const detectorInput = detector && integrityOn ? (sameInput ? input : toModelInput(detector.input, display, breast, 'input.detector')) : null;
  const [, , modelHeight, modelWidth] = classifier.input.shape;
  const content = integrityOn ? context.manifest.models.find((m) => m.role === 'content') : undefined;
  // The noise signals and the content model read every display value as float32: materialised once, here.
  const displayStart = performance.now();
  const displayed = integrityOn ? displayValues(display, display.table ? scratch(Float32Array, 'display', stored.width * stored.height) : undefined) : null;
  const displayMs = performance.now() - displayStart;

  const { result, backend, fallback } = await context.engine.runCheck(async (run) => {
    const t0 = performance.now();
    const outputs = await run(classifier.id, input.tensor);
    const t1 = performance.now();
    if (!integrityOn) return { outputs, squeezedScores: null, detectorOutputs: null, contentMap: null, classifyMs: t1 - t0, signalMs: {} };
    const squeezedScores = await runSqueezed(run, classifier, squeezedBatch(input.tensor, modelWidth, modelHeight, scratch(Float32Array, 'squeezed', 2 * input.tensor.length)));
    const t2 = performance.now();
    const detectorOutputs = detector && detectorInput ? await run(detector.id, detectorInput.tensor) : null;
    const signalMs: Record<string, number> = { squeeze: t2 - t1 };
    if (detectorOutputs) signalMs.residual = performance.now() - t2;
    const t3 = performance.now();
    const contentMap = content && displayed ? await runContent(run, content, displayed, stored.width, stored.height, breast) : null;
    if (contentMap) signalMs.content = performance.now() - t3;
    return { outputs, squeezedScores, detectorOutputs, contentMap, classifyMs: t1 - t0, signalMs };
  });
  const signalMs: Record<string, number> = result.signalMs;
  const noiseStart = performance.now();
  // The quantisation step is read off the display table where there is one (the same levels, without a sort).
  const noise = displayed ? noiseConsistency(displayed, stored.width, stored.height, breast, quantisationStep(display)) : null;
  if (noise) signalMs.noise = displayMs + performance.now() - noiseStart;
  const textureStart = performance.now();
  const texture = displayed ? noiseTexture(displayed, stored.width, stored.height, breast) : null;
  if (texture) signalMs.texture = performance.now() - textureStart;
  const seamStart = performance.now();
  const seam = displayed ? blendSeam(displayed, stored.width, stored.height, breast) : null;
  if (seam) signalMs.seam = performance.now() - seamStart;
  const detectMs = Object.values(signalMs).reduce((sum, ms) => sum + ms, 0);

  const threshold = classifier.thresholds.positive;
  const score = result.outputs.score[0];
  const heatmapSpec = classifier.outputs.find((o) => o.name === 'heatmap');
  let heatmap: Heatmap | undefined;
  if (wantHeatmap && heatmapSpec && result.outputs.heatmap) {
    const shape = heatmapSpec.shape;
    heatmap = { width: shape[shape.length - 1], height: shape[shape.length - 2], data: result.outputs.heatmap, region: input.region };
  }

  const definitions = signalDefinitions(context.manifest);
  const signals: IntegritySignal[] = [];
  if (result.squeezedScores) {
    signals.push({
      id: 'squeeze',
      definition: definitions.squeeze,
      value: squeezeDisagreement(score, result.squeezedScores),
      flagged: false,
      ms: signalMs.squeeze,
      detail: 'largest change of the CAD score under median smoothing or bit-depth reduction (feature squeezing)',
    });
  }
  if (noise) signals.push({ id: 'noise', definition: definitions.noise, value: noise.value, flagged: false, ms: signalMs.noise, detail: `local break of the image's own noise-intensity relation over ${noise.tiles} tiles` });
  if (texture) {
    signals.push({ id: 'texture', definition: definitions.texture, value: texture.value, flagged: false, ms: signalMs.texture, detail: `how much whiter than the image's own grain its whitest region's noise is (a filled-in patch is whiter), over ${texture.tiles} tiles` });
  }
  if (seam) {
    const where = (ring: SeamRing | null) => (ring ? `; strongest ring radius ${Math.round(ring.radius)} px at (${Math.round(ring.x)}, ${Math.round(ring.y)})` : '');
    // One search gives both values; its time is the seam's (seamEdge carries none, so per-signal times still add up).
    signals.push({ id: 'seam', definition: definitions.seam, value: seam.value, flagged: false, ms: signalMs.seam, detail: `how much quieter than its sides the quietest ring of the breast's noise is (the feather of a pasted patch mixes two noises and halves their variance)${where(seam.ring)}` });
    signals.push({ id: 'seamEdge', definition: definitions.seamEdge, value: seam.edge, flagged: false, detail: `the same for rings partly off the breast (a large paste at the skin line), judged on the sectors that lie on it${where(seam.edgeRing)}` });
  }
  if (result.detectorOutputs) {
    signals.push({ id: 'residual', definition: definitions.residual, value: result.detectorOutputs.score[0], flagged: false, ms: signalMs.residual, detail: 'learned detector on high-pass noise residuals' });
  }
  const contentMap = result.contentMap;
  if (contentMap) {
    signals.push({ id: 'content', definition: definitions.content, value: contentMap.value, flagged: false, ms: signalMs.content, detail: `learned detector of generated (GAN) fills on the full-resolution display, ${contentMap.mapWidth} x ${contentMap.mapHeight} cells of ${contentMap.cell} px in tiles that hold breast (largest 3x3 mean cell logit)` });
  }
  if (provenance) signals.push(provenance);
  const integrity = integrityOn ? fuseIntegrity(signals, context.manifest.integrity) : skippedIntegrity(signals, context.manifest.integrity);
  const wholeImage = { x: 0, y: 0, width: stored.width, height: stored.height, flipped: false };
  const noiseOverlay = noise ? overlay(overlay(noise.map, texture?.map), seam?.map) : null;
  let tamperHeatmap: Heatmap | undefined;
  if (contentMap) {
    const data = noiseOverlay ? onContentGrid(contentMap, noiseOverlay, stored.width, stored.height) : contentMap.map;
    tamperHeatmap = { width: contentMap.mapWidth, height: contentMap.mapHeight, data, region: wholeImage };
  } else if (noise && noiseOverlay) {
    tamperHeatmap = { width: noise.mapWidth, height: noise.mapHeight, data: noiseOverlay, region: wholeImage };
  }
  const policyDecision = decide(integrity.verdict, context.policy);
  // Fail closed whatever the policy: a check without integrity signals never clears an image.
  const decision = !integrityOn && policyDecision === 'show' ? 'review' : policyDecision;
  const models = context.manifest.models.map(({ id, version, sha256 }) => ({ id, version, sha256 }));
  const inputInfo = { width: stored.width, height: stored.height, pixelSha256, format: stored.format, bitsStored: stored.bitsStored, ...(stored.dicom ? { dicom: stored.dicom } : {}) };
  const dicomUids = stored.dicom && { studyInstanceUid: stored.dicom.studyInstanceUid, seriesInstanceUid: stored.dicom.seriesInstanceUid, sopInstanceUid: stored.dicom.sopInstanceUid };
  const cad = { score, positive: score >= threshold, threshold };

  const audit: AuditRecord = {
    schema: 'cadguard-audit/1',
    time: new Date().toISOString(),
    sdkVersion: SDK_VERSION,
    input: { pixelSha256, width: stored.width, height: stored.height, format: stored.format, expectedPixelSha256, ...(dicomUids ? { dicom: dicomUids } : {}) },
    models,
    backend,
    fallback: fallback ?? null,
    cad,
    integrity: {
      verdict: integrity.verdict,
      score: integrity.score,
      signals: integrity.signals.map(({ id, value, flagged, definition }) => ({ id, value, flagged, ...(definition ? { definition } : {}) })),
    },
    thresholds: integrity.thresholds,
    decision,
  };
  const end = performance.now();
  return {
    cad: heatmap ? { ...cad, heatmap } : cad,
    integrity: { verdict: integrity.verdict, score: integrity.score, signals: integrity.signals, ...(wantHeatmap && tamperHeatmap ? { heatmap: tamperHeatmap } : {}) },
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

/**
 * Integrity when the host turned the signals off (`CheckOptions.integrity: false`): never `'pass'`, a flagged
 * `'integrity-skipped'` signal says why, and provenance still decides `'tampered'`.
 */
function skippedIntegrity(signals: IntegritySignal[], calibration: Manifest['integrity']): Integrity {
  const tampered = signals.some((s) => s.id === 'provenance' && s.flagged);
  const skipped: IntegritySignal = { id: 'integrity-skipped', value: null, flagged: true, detail: 'integrity signals were turned off for this check (CheckOptions.integrity = false): the image cannot be cleared' };
  return {
    verdict: tampered ? 'tampered' : 'suspicious',
    score: Number.POSITIVE_INFINITY,
    signals: [...signals, skipped],
    thresholds: { suspicious: calibration?.thresholds.suspicious ?? null, tampered: calibration?.thresholds.tampered ?? null },
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

/**
 * Tiles of the display through the content model, a few at a time (memory stays flat on full-field images); only
 * tiles that hold breast run.
 */
async function runContent(run: RunModel, model: ModelEntry, displayed: Float32Array, width: number, height: number, breast?: BreastMask): Promise<ContentMap> {
  const grid = tileGrid(width, height, model.input.shape[3]);
  const plan = tilePlan(displayed, width, height, grid, breast);
  const parts: Float32Array[] = [];
  for (let first = 0; first < plan.run.length; first += CONTENT_BATCH) {
    const tiles = plan.run.slice(first, first + CONTENT_BATCH);
    const batch = tileBatch(displayed, width, height, grid, tiles, scratch(Float32Array, 'content.batch', tiles.length * grid.tile * grid.tile));
    parts.push((await run(model.id, batch, tiles.length)).heatmap);
  }
  const heatmaps = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    heatmaps.set(part, offset);
    offset += part.length;
  }
  return assembleContent(spreadTiles(heatmaps, plan, heatmaps.length / plan.run.length), grid, width, height);
}

const CONTENT_BATCH = 8;

/** The noise overlay sampled onto the content map's finer cells: the tamper heatmap shows the stronger per cell. */
function onContentGrid(content: ContentMap, noise: Float32Array, width: number, height: number): Float32Array {
  const { tile, mapWidth, mapHeight } = noiseTileGrid(width, height);
  const data = Float32Array.from(content.map);
  for (let cy = 0; cy < content.mapHeight; cy++) {
    const ty = Math.min(mapHeight - 1, Math.floor(((cy + 0.5) * content.cell - 1) / tile));
    for (let cx = 0; cx < content.mapWidth; cx++) {
      const tx = Math.min(mapWidth - 1, Math.floor(((cx + 0.5) * content.cell - 1) / tile));
      const i = cy * content.mapWidth + cx;
      data[i] = Math.max(data[i], noise[ty * mapWidth + tx]);
    }
  }
  return data;
}

/** The noise maps (consistency, texture, seam) share one tile grid: the tamper heatmap shows the strongest per tile. */
function overlay(level: Float32Array, other: Float32Array | undefined): Float32Array {
  if (!other) return level;
  return level.map((v, i) => Math.max(v, other[i]));
}
