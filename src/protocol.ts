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
 * A decoded image as Cornerstone3D's image loader hands it to a viewer (an `IImage`-like object), so a viewer that
 * already decoded a DICOM image does not decode it twice. `getPixelData()` is called on the main thread and its
 * values are copied (never transferred: the viewer keeps displaying them); the worker applies `slope` / `intercept`,
 * the window with `voiLUTFunction`, and `invert` exactly as the viewer does. See docs/dicom.md.
 */
export interface ViewerImage {
  /** Stored values, row-major, one per pixel (Float32Array: modality values, which then need a window). */
  getPixelData(): Uint8Array | Int8Array | Uint16Array | Int16Array | Float32Array;
  rows: number;
  columns: number;
  /** Rescale slope. @defaultValue 1 */
  slope?: number;
  /** Rescale intercept. @defaultValue 0 */
  intercept?: number;
  /** Window centre(s) in modality units; with several, `CheckOptions.voiIndex` picks one. */
  windowCenter?: number | number[];
  /** Window width(s), > 0, one per centre. */
  windowWidth?: number | number[];
  /** `'LINEAR'`, `'LINEAR_EXACT'` or `'SIGMOID'`. @defaultValue 'LINEAR' */
  voiLUTFunction?: string;
  /** True when the image is displayed inverted (Cornerstone sets it for MONOCHROME1). @defaultValue false */
  invert?: boolean;
  /** Cornerstone3D sets `scaled` when `getPixelData()` already holds modality values; the rescale is then not applied again. */
  preScale?: { scaled?: boolean };
}

/**
 * Anything `check()` accepts: raw pixels, an `ImageData`, an `ImageBitmap`, a viewer's decoded image, or encoded
 * bytes (PNG 8 or 16 bit, JPEG, DICOM Part 10) as a `Blob` or `ArrayBuffer`.
 */
export type ImageInput = RawPixels | ImageData | ImageBitmap | ViewerImage | Blob | ArrayBuffer;

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
  /**
   * Keep the runtime's WASM and the model files in Cache Storage (cache `'cadguard-v1'`, keyed by URL), so the next
   * start reads them from there instead of the network. Model bytes are SHA-256-checked on every start, cached or
   * not; a cached model that fails the check is dropped from the cache and fetched again. Takes effect where
   * `caches` exists (secure contexts: https or localhost).
   * @defaultValue true
   */
  cache?: boolean;
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
  /**
   * Which VOI to display DICOM or viewer input with, 0-based: the n-th window, or the n-th VOI LUT when the file has
   * no window. Takes effect for DICOM and {@link ViewerImage} input only.
   * @defaultValue 0
   */
  voiIndex?: number;
  /**
   * Compute the integrity signals (feature squeezing, noise consistency, texture and blend seams, the detector and content models). `false` runs the
   * classifier alone, for hosts that measure or need the bare CAD score: the image then cannot be cleared, so the
   * verdict is `'suspicious'` (or `'tampered'` on a provenance mismatch) with a flagged `'integrity-skipped'` signal,
   * and the decision is never `'show'`.
   * @defaultValue true
   */
  integrity?: boolean;
}

/** Options of `guard.warmUp()`. */
export interface WarmUpOptions {
  /** Checks of the built-in synthetic image to run (1-50). @defaultValue 6 */
  checks?: number;
  /**
   * Width of the synthetic image, in pixels (64 to 16,384). Warming up at the size of the viewer's own images also
   * sets up the working buffers a check of that size uses, which another size does not. @defaultValue 512
   */
  width?: number;
  /** Height of the synthetic image, in pixels (64 to 16,384). @defaultValue 512 */
  height?: number;
  /** Aborts the warm-up; it then rejects with code `'aborted'` (a warm-up check already running finishes first). */
  signal?: AbortSignal;
}

/** What `guard.warmUp()` resolves with. */
export interface WarmUpReport {
  /** Each warm-up check's time in the worker, in ms, in order: the later ones come down towards the steady speed. */
  checkMs: number[];
  /**
   * `'done'`: every asked check ran; `'check-waiting'`: it stopped early because `check()` was called (a viewer's
   * image never waits behind more than the one warm-up check already running).
   */
  stopped: 'done' | 'check-waiting';
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
  /**
   * What computed the value: the SDK's method and version, and for a model's signal the model's SHA-256 prefix
   * (`'noise-texture-v3'`, `'squeeze-v1+90ec1693...'`). A calibration made for another definition does not apply.
   */
  definition?: string;
  /**
   * Milliseconds this signal cost in the worker (`squeeze`: squeezing and the squeezed classifier runs; `residual`:
   * the detector run; `content`: the content model over the full-resolution tiles that hold breast; `noise`: the
   * statistic and the display values it reads; `seam`: the ring search, which also gives `seamEdge`, so that one has
   * none), to set against `timings.classify`.
   */
  ms?: number;
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
  /**
   * `score` is the fused integrity score: the largest standardised signal, z = -log10 of the estimated share of clean
   * calibration images that reach it (2: about 1 %; 3: about 0.1 %; +Infinity when the
   * manifest has no calibration). `heatmap` localises a suspected change over the whole image.
   */
  integrity: { verdict: Verdict; score: number; signals: IntegritySignal[]; heatmap?: Heatmap };
  decision: Decision;
  backend: Backend;
  /** Present when this check had to leave WebGPU for WASM. */
  fallback?: { from: Backend; reason: string };
  /**
   * Milliseconds per stage, wall time in the worker. `decode`: input to stored pixels, and their SHA-256.
   * `preprocess`: display transform (VOI) and model tensors. `classify`: the classifier run. `detect`: the integrity
   * signals, including the float32 display image that the noise signals read (0 when integrity is off).
   */
  timings: { decode: number; preprocess: number; classify: number; detect: number; total: number };
  models: ModelIdentity[];
  input: {
    width: number;
    height: number;
    /**
     * SHA-256 (hex) of the stored pixel values, little-endian, row-major, in their stored type (8 or 16 bit; float32
     * for float input). For DICOM: the first frame's values after decompression, shifted down by
     * (high bit + 1 - bits stored), masked to bits stored and, for pixel representation 1, sign-extended, as Uint8
     * (8 bits allocated, unsigned), Uint16 (16, unsigned) or Int16 (signed); before rescale, VOI and MONOCHROME1
     * inversion, so every transfer syntax of the same image hashes alike. For a {@link ViewerImage}: the values of
     * `getPixelData()` in its array type (Int8 widened to Int16).
     */
    pixelSha256: string;
    /** What the bytes were: `'raw'`, `'png'`, `'jpeg'`, `'imagedata'`, `'imagebitmap'`, `'dicom'`, `'viewer'`. */
    format: string;
    bitsStored: number;
    /** For DICOM input: its identity, view and transfer syntax. */
    dicom?: DicomInfo;
  };
  audit: AuditRecord;
}

/** What a DICOM image says about itself, as the report carries it. */
export interface DicomInfo {
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
  transferSyntaxUid: string;
  /** From Image Laterality (0020,0062), else Laterality (0020,0060). */
  laterality: 'L' | 'R' | null;
  /** `'CC'`, `'MLO'`, ... from the View Code Sequence (0054,0220), else View Position (0018,5101). */
  view: string | null;
  /** Presentation Intent Type (0008,0068). */
  presentationIntent: string | null;
}

/** A JSON record a viewer can store as is. */
export interface AuditRecord {
  schema: 'cadguard-audit/1';
  time: string;
  sdkVersion: string;
  input: {
    pixelSha256: string;
    width: number;
    height: number;
    format: string;
    expectedPixelSha256: string | null;
    /** The DICOM UIDs, for DICOM input. */
    dicom?: { studyInstanceUid: string | null; seriesInstanceUid: string | null; sopInstanceUid: string | null };
  };
  models: ModelIdentity[];
  backend: Backend;
  fallback: { from: Backend; reason: string } | null;
  cad: { score: number; threshold: number; positive: boolean };
  integrity: { verdict: Verdict; score: number; signals: { id: string; value: number | null; flagged: boolean; definition?: string }[] };
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
  /** Whether an image can pass at all: the manifest's calibration against the signals this guard computes. */
  integrity: IntegrityStatus;
}

/** Whether the manifest's integrity calibration fits the signals this guard computes (`guard.info().integrity`). */
export interface IntegrityStatus {
  /** True when the calibration covers this guard's signals as it computes them: only then can an image pass. */
  ready: boolean;
  /** The definition of every signal this guard computes ({@link IntegritySignal.definition}), by signal id. */
  signals: Record<string, string>;
  /** What keeps `ready` false, one actionable line each. */
  problems: string[];
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
  /** {@link GuardOptions.cache}. */
  cache: boolean;
  /** Web Lock the worker holds while alive, so the main thread notices its death; null without Web Locks. */
  lifeLock: string | null;
}

/** A check request as it crosses to the worker. */
export interface WorkerCheckRequest {
  id: number;
  /** An {@link ImageInput}; ImageData travels as `{rgba, width, height}`, a {@link ViewerImage} as {@link ViewerWire}. */
  image: Exclude<ImageInput, ImageData | ViewerImage> | { rgba: Uint8ClampedArray; width: number; height: number } | ViewerWire;
  expectedPixelSha256: string | null;
  heatmap: boolean;
  /** {@link CheckOptions.voiIndex}; absent means 0. */
  voiIndex?: number;
  /** {@link CheckOptions.integrity}; absent means true. */
  integrity?: boolean;
}

/** A {@link ViewerImage} as it crosses to the worker: `getPixelData()` was called on the main thread. */
export interface ViewerWire {
  viewer: {
    data: Uint8Array | Int8Array | Uint16Array | Int16Array | Float32Array;
    width: number;
    height: number;
    slope: number;
    intercept: number;
    windowCenter: number[];
    windowWidth: number[];
    voiLUTFunction: string;
    invert: boolean;
  };
}

/** A warm-up request as it crosses to the worker ({@link WarmUpOptions} less the signal). */
export interface WorkerWarmUpRequest {
  /** Shares the numbering of check ids, so `cancel(id)` reaches it. */
  id: number;
  checks: number;
  width: number;
  height: number;
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
  /**
   * Runs `checks` checks of a built-in synthetic image, so the browser optimises the code a check runs; stops early
   * when a check arrives. Resolves with each warm-up check's time.
   */
  warmUp(request: WorkerWarmUpRequest): Promise<WarmUpReport>;
  /**
   * Cancels a queued check (a running one finishes, and its result is dropped by the caller), or a warm-up (it stops
   * after the check it is running and rejects with `'aborted'`).
   */
  cancel(id: number): void;
  info(): Promise<GuardInfo>;
  /** Releases every session. */
  dispose(): Promise<void>;
  /** Diagnostic, for bench/ only (not on the public Guard): the worker's memory and how its start was spent. */
  diagnostics(): Promise<WorkerDiagnostics>;
}

/** What {@link WorkerApi.diagnostics} reports. Diagnostic only; its shape may change without notice. */
export interface WorkerDiagnostics {
  /**
   * The worker's used JS heap in bytes where the browser tells it (`performance.memory`), else null. onnxruntime's
   * WebAssembly memory is not in it; `performance.measureUserAgentSpecificMemory()` in the page counts both.
   */
  jsHeapBytes: number | null;
  /** Milliseconds per start-up stage, and where each asset came from (`'cache'` or `'network'`). */
  startup: { stages: Record<string, number>; sources: Record<string, 'cache' | 'network'> };
  /** Warm-up checks this worker has finished. */
  warmUpChecks: number;
  /** The size of the last warm-up image this worker checked (null before any). */
  warmUpSize: { width: number; height: number } | null;
}

export type { SerializedError };
