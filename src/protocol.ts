/**
 * The contract between the main thread and the guard worker: types only.
 * The worker implements {@link WorkerApi}; the main thread sees it as `Remote<WorkerApi>`.
 */

import type { SerializedError } from './errors.js';

/** Pixel arrays cadguard accepts for raw input. */
export type PixelArray = Uint8Array | Uint16Array | Int16Array | Float32Array;

/**
 * Raw stored pixels, one grey value per pixel, row-major. The buffer is transferred to the worker
 * (the caller's array is detached afterwards), not copied.
 */
export interface RawPixels {
  data: PixelArray;
  width: number;
  height: number;
  /**
   * Significant bits per stored value (1-16). Sets the default display range when no window is given.
   * @defaultValue 8 for Uint8Array, 16 for Uint16Array / Int16Array; ignored for Float32Array (values are taken as display values in [0, 1])
   */
  bitsStored?: number;
  /** MONOCHROME1 means the lowest value is displayed white (it is inverted before the model). @defaultValue 'MONOCHROME2' */
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  /** VOI window centre in stored-value units (DICOM LINEAR function). Both centre and width, or neither. */
  windowCenter?: number;
  /** VOI window width in stored-value units, > 0. */
  windowWidth?: number;
}

/**
 * Anything `check()` accepts: raw pixels, an `ImageData`, an `ImageBitmap`, or encoded bytes
 * (PNG 8 or 16 bit, JPEG) as a `Blob` or `ArrayBuffer`.
 */
export type ImageInput = RawPixels | ImageData | ImageBitmap | Blob | ArrayBuffer;

/** Backend request: `'auto'` tries WebGPU (validated) and falls back to WASM. */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm';

/** A backend that actually ran. */
export type Backend = 'webgpu' | 'wasm';

/** Integrity verdict of one image. */
export type Verdict = 'pass' | 'suspicious' | 'tampered';

/** What the viewer should do with the CAD result. */
export type Decision = 'show' | 'review' | 'withhold';

/**
 * Fault injection for QA and conformance tests: each one drives the real fallback path.
 * Never set in production.
 */
export interface FaultInjection {
  /** Behave as if `navigator.gpu` were absent. */
  webgpuAbsent?: boolean;
  /** Corrupt the WebGPU validation run's outputs, so validation fails. */
  webgpuValidation?: boolean;
  /** Make the n-th WebGPU check (1-based) fail at run time with an error (`'error'`) or NaN outputs (`'nan'`). */
  webgpuRuntime?: { atCheck: number; kind: 'error' | 'nan' };
}

/** Options of {@link createGuard}. One typed object; every field is optional. */
export interface GuardOptions {
  /** @defaultValue 'auto' */
  backend?: BackendRequest;
  /**
   * URL of the model manifest; model files are resolved relative to it.
   * @defaultValue the `models/manifest.json` shipped next to the bundle
   */
  manifestUrl?: string;
  /**
   * Folder URL holding onnxruntime's `ort-wasm-simd-threaded.asyncify.wasm`, for hosts that move the package's files.
   * @defaultValue the folder of the bundle
   */
  assetBase?: string;
  /**
   * WASM threads. Takes effect only when the page is cross-origin isolated; otherwise one thread is used.
   * @defaultValue min(4, navigator.hardwareConcurrency)
   */
  threads?: number;
  /**
   * Let `'auto'` settle on a software (fallback) WebGPU adapter such as SwiftShader. Off by default because such
   * adapters are far slower than WASM.
   * @defaultValue false
   */
  allowSoftwareAdapter?: boolean;
  /** Decision policy; see {@link PolicyOptions}. */
  policy?: PolicyOptions;
  /** Progress while models and the WASM runtime download. */
  onProgress?: (event: ProgressEvent) => void;
  /** Backend switches and other events a viewer may log. */
  onEvent?: (event: GuardEvent) => void;
  /** QA only: see {@link FaultInjection}. */
  faultInjection?: FaultInjection;
}

/** How verdicts map to decisions. */
export interface PolicyOptions {
  /** Decision when the verdict is `'suspicious'`. @defaultValue 'review' */
  onSuspicious?: Decision;
  /** Decision when the verdict is `'tampered'`. Can never be `'show'`. @defaultValue 'withhold' */
  onTampered?: Exclude<Decision, 'show'>;
}

/** Download progress of one asset. */
export interface ProgressEvent {
  /** `'runtime'` for onnxruntime's WASM, else the model id. */
  asset: string;
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes, when known. */
  total: number | null;
}

/** An event a viewer may log or show. */
export type GuardEvent =
  | { type: 'backend-selected'; backend: Backend; reason: string }
  | { type: 'backend-fallback'; from: Backend; to: Backend; reason: string }
  | { type: 'worker-restarted'; reason: string };

/** Options of one check. */
export interface CheckOptions {
  /** Aborts the check, queued or running; it then rejects with code `'aborted'`. */
  signal?: AbortSignal;
  /**
   * SHA-256 (hex) of the stored pixels as the archive recorded them. A mismatch makes the verdict `'tampered'`
   * whatever the other signals say. See `report.input.pixelSha256` for which bytes are hashed.
   */
  expectedPixelSha256?: string;
  /** Include the classifier heatmap in the report. @defaultValue true */
  heatmap?: boolean;
}

/** A heatmap over the model's view of the image. */
export interface Heatmap {
  width: number;
  height: number;
  /** Row-major values in [0, 1]. */
  data: Float32Array;
  /**
   * Where the heatmap lies on the input image: the crop box in image pixels, mirrored horizontally when `flipped`.
   */
  region: { x: number; y: number; width: number; height: number; flipped: boolean };
}

/** One integrity signal and what it found. */
export interface IntegritySignal {
  id: string;
  /** Signal value on its own scale (see `detail`). */
  value: number | null;
  /** Whether this signal alone exceeded its threshold. */
  flagged: boolean;
  detail: string;
}

/** Model identity as recorded in reports and audits. */
export interface ModelIdentity {
  id: string;
  version: string;
  sha256: string;
}

/** The result of one check. */
export interface Report {
  cad: { score: number; positive: boolean; threshold: number; heatmap?: Heatmap };
  integrity: { verdict: Verdict; score: number; signals: IntegritySignal[] };
  decision: Decision;
  backend: Backend;
  /** Present when this check had to leave WebGPU for WASM. */
  fallback?: { from: Backend; reason: string };
  /** Milliseconds per stage. */
  timings: { decode: number; preprocess: number; classify: number; detect: number; total: number };
  models: ModelIdentity[];
  input: {
    width: number;
    height: number;
    /** SHA-256 (hex) of the stored pixel values, little-endian, row-major, in their stored type (8 or 16 bit; float32 for float input). */
    pixelSha256: string;
    /** What the bytes were: `'raw'`, `'png'`, `'jpeg'`, `'imagedata'`, `'imagebitmap'`. */
    format: string;
    bitsStored: number;
  };
  audit: AuditRecord;
}

/** A JSON record a viewer can store as is. */
export interface AuditRecord {
  schema: 'cadguard-audit/1';
  time: string;
  sdkVersion: string;
  input: { pixelSha256: string; width: number; height: number; format: string; expectedPixelSha256: string | null };
  models: ModelIdentity[];
  backend: Backend;
  fallback: { from: Backend; reason: string } | null;
  cad: { score: number; threshold: number; positive: boolean };
  integrity: { verdict: Verdict; score: number; signals: { id: string; value: number | null; flagged: boolean }[] };
  thresholds: { suspicious: number | null; tampered: number | null };
  decision: Decision;
}

/** What `guard.info()` tells. */
export interface GuardInfo {
  backend: Backend;
  /** Why this backend, e.g. `'no adapter'` or `'validation failed: ...'`. */
  reason: string;
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean } | null;
  threads: number;
  crossOriginIsolated: boolean;
  models: (ModelIdentity & { role: string })[];
  /** Version of onnxruntime-web in the worker. */
  runtime: string;
}

/** Options the worker receives (functions stay on the main thread). */
export interface WorkerInitOptions {
  backend: BackendRequest;
  manifestUrl: string;
  assetBase: string;
  threads: number;
  allowSoftwareAdapter: boolean;
  policy: Required<PolicyOptions>;
  faultInjection: FaultInjection;
  /** Web Lock the worker holds while alive, so the main thread notices its death; null without Web Locks. */
  lifeLock: string | null;
}

/** A check request as it crosses to the worker. */
export interface WorkerCheckRequest {
  id: number;
  /** An {@link ImageInput}; ImageData travels as `{rgba, width, height}`. */
  image: Exclude<ImageInput, ImageData> | { rgba: Uint8ClampedArray; width: number; height: number };
  expectedPixelSha256: string | null;
  heatmap: boolean;
}

/** Callbacks the worker calls back on (proxied). */
export interface WorkerCallbacks {
  progress(event: ProgressEvent): void;
  event(event: GuardEvent): void;
}

/** The worker's API, as the main thread sees it through comlink. */
export interface WorkerApi {
  /** Loads, verifies and validates the models; resolves with the info once ready. */
  init(options: WorkerInitOptions, callbacks: WorkerCallbacks): Promise<GuardInfo>;
  /** Runs one check; checks are queued and run one at a time. */
  check(request: WorkerCheckRequest): Promise<Report>;
  /** Cancels a queued check (a running one finishes, and its result is dropped by the caller). */
  cancel(id: number): void;
  info(): Promise<GuardInfo>;
  /** Releases every session. */
  dispose(): Promise<void>;
}

export type { SerializedError };
