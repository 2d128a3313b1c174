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
  role: 'classifier' | 'detector';
  version: string;
  file: string;
  sha256: string;
  bytes?: number;
  input: {
    name: string;
    shape: number[];
    layout: 'NCHW';
    /** Preprocessing id: `'mammo-crop-v1'` (breast crop, orientation, standardisation) or `'resize-v1'`. */
    preprocess: string;
    /** For `'resize-v1'`: tensor = (display - mean) / std. */
    normalisation?: { mean: number; std: number };
    display?: string;
  };
  outputs: { name: string; shape: number[]; range: [number, number]; meaning: string }[];
  thresholds: Record<string, number>;
  validation: { input: 'sincos-v1'; tolerance: number; expected: Record<string, ExpectedOutput> };
  training: string;
}

/** The whole manifest, with model URLs resolved against the manifest's own URL. */
export interface Manifest {
  schema: 1;
  models: (ModelEntry & { url: string })[];
}

const roles = new Set(['classifier', 'detector']);

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
    if (!roles.has(entry.role)) fail(`${where}.role must be "classifier" or "detector", got ${JSON.stringify(entry.role)}`, manifestUrl);
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
  return { schema: 1, models: parsed };
}
