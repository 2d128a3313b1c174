import { GuardError } from '../errors.js';

/** Expected values of one output on the validation input. */
export interface ExpectedOutput {
  /** Mean over all elements, compared within the tolerance. */
  mean?: number;
  /** `[flatIndex, value]` pairs, each compared within the tolerance. */
  samples: [number, number][];
}

/** One model as `models/manifest.json` describes it. */
export interface ModelEntry {
  id: string;
  /**
   * `'classifier'`: the CAD model (exactly one). `'detector'`: the residual detector on the classifier's tensor.
   * `'content'`: the local content detector on full-resolution display tiles (preprocess `'display-tiles-v1'`).
   */
  role: 'classifier' | 'detector' | 'content';
  version: string;
  file: string;
  sha256: string;
  bytes?: number;
  input: {
    name: string;
    shape: number[];
    layout: 'NCHW';
    /**
     * Preprocessing id: `'mammo-crop-v1'` (breast crop, orientation, standardisation), `'resize-v1'`, or for the
     * content role `'display-tiles-v1'` (display values, whole tiles of the input's size, zero-padded).
     */
    preprocess: string;
    /** `'dynamic'` when the model takes a batch dimension other than 1 (the squeezed variants then run as one batch). */
    batch?: 'dynamic' | 'static';
    /** True when the model takes DICOM `FOR PROCESSING` images; otherwise they are refused with `'for-processing'`. @defaultValue false */
    acceptsForProcessing?: boolean;
    /** For `'resize-v1'`: tensor = (display - mean) / std. */
    normalisation?: { mean: number; std: number };
    display?: string;
  };
  outputs: { name: string; shape: number[]; range: [number, number]; meaning: string }[];
  thresholds: Record<string, number>;
  validation: { input: 'sincos-v1'; tolerance: number; expected: Record<string, ExpectedOutput> };
  training: string;
}

/**
 * Calibration of the integrity signals on clean images: each signal is standardised as (value - center) / scale,
 * the fused score is the largest standardised signal, and the thresholds hold the false-positive rates they were
 * set for. Written by `cadguard-calibrate`.
 */
export interface IntegrityCalibration {
  /** Per signal: its clean scale, and the definition it was calibrated for ({@link IntegritySignal.definition}). */
  signals: Record<string, { center: number; scale: number; definition?: string }>;
  thresholds: { suspicious: number; tampered: number };
  /** Provenance of the calibration (images, sources, target rates, confidence intervals); informative. */
  calibration?: Record<string, unknown>;
}

/** The whole manifest, with model URLs resolved against the manifest's own URL. */
export interface Manifest {
  schema: 1;
  models: (ModelEntry & { url: string })[];
  integrity: IntegrityCalibration | null;
}

const roles = new Set(['classifier', 'detector', 'content']);

function fail(what: string, manifestUrl: string): never {
  throw new GuardError('model-load', `model manifest ${manifestUrl} is invalid: ${what}`);
}

/** Checks the fields the worker relies on, so a bad manifest fails at start-up with the field named. */
export function parseManifest(json: unknown, manifestUrl: string): Manifest {
  if (typeof json !== 'object' || json === null) fail('not a JSON object', manifestUrl);
  const { schema, models } = json as { schema?: unknown; models?: unknown };
  if (schema !== 1) fail(`schema is ${JSON.stringify(schema)}, this SDK reads schema 1`, manifestUrl);
  if (!Array.isArray(models) || models.length === 0) fail('"models" must be a non-empty array', manifestUrl);
  const parsed = models.map((entry: ModelEntry, index: number) => {
    const where = `models[${index}]`;
    for (const key of ['id', 'version', 'file', 'sha256', 'training'] as const) {
      if (typeof entry?.[key] !== 'string' || entry[key].length === 0) fail(`${where}.${key} must be a non-empty string`, manifestUrl);
    }
    if (!roles.has(entry.role)) fail(`${where}.role must be "classifier", "detector" or "content", got ${JSON.stringify(entry.role)}`, manifestUrl);
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) fail(`${where}.sha256 must be 64 lower-case hex digits`, manifestUrl);
    const shape = entry.input?.shape;
    if (!Array.isArray(shape) || shape.length !== 4 || shape[0] !== 1 || shape[1] !== 1 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      fail(`${where}.input.shape must be [1, 1, height, width], got ${JSON.stringify(shape)}`, manifestUrl);
    }
    if (!Array.isArray(entry.outputs) || entry.outputs.length === 0) fail(`${where}.outputs must list the model's outputs`, manifestUrl);
    if (entry.validation?.input !== 'sincos-v1' || !(entry.validation.tolerance > 0)) {
      fail(`${where}.validation needs input "sincos-v1" and a tolerance > 0`, manifestUrl);
    }
    return { ...entry, url: new URL(entry.file, manifestUrl).href };
  });
  if (parsed.filter((m) => m.role === 'classifier').length !== 1) fail('exactly one model must have role "classifier"', manifestUrl);
  for (const role of ['detector', 'content']) {
    if (parsed.filter((m) => m.role === role).length > 1) fail(`at most one model may have role "${role}"`, manifestUrl);
  }
  const content = parsed.find((m) => m.role === 'content');
  if (content && (content.input.preprocess !== 'display-tiles-v1' || content.input.shape[2] !== content.input.shape[3] || content.input.batch !== 'dynamic')) {
    fail(`the "content" model ${content.id} needs preprocess "display-tiles-v1", a square tile and batch "dynamic"`, manifestUrl);
  }
  return { schema: 1, models: parsed, integrity: parseIntegrity((json as { integrity?: unknown }).integrity, manifestUrl) };
}

function parseIntegrity(value: unknown, manifestUrl: string): IntegrityCalibration | null {
  if (value === undefined || value === null) return null;
  const integrity = value as IntegrityCalibration;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const entries = Object.entries(integrity.signals ?? {});
  if (entries.length === 0) fail('integrity.signals must calibrate at least one signal', manifestUrl);
  for (const [id, calibration] of entries) {
    if (!finite(calibration?.center) || !finite(calibration?.scale) || !(calibration.scale > 0)) {
      fail(`integrity.signals.${id} needs a finite center and a scale > 0`, manifestUrl);
    }
    if (calibration.definition !== undefined && typeof calibration.definition !== 'string') {
      fail(`integrity.signals.${id}.definition must be a string`, manifestUrl);
    }
  }
  const { suspicious, tampered } = integrity.thresholds ?? ({} as IntegrityCalibration['thresholds']);
  if (!finite(suspicious) || !finite(tampered) || tampered < suspicious) {
    fail('integrity.thresholds needs finite suspicious <= tampered', manifestUrl);
  }
  return integrity;
}
