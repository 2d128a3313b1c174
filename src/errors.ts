/**
 * Stable error codes. A viewer can branch on `error.code`; the message is for the engineer reading the log.
 *
 * - `invalid-input`: the image or an option is malformed (wrong type, dimensions, length, NaN, ...).
 * - `unsupported-format`: the bytes are a format or variant cadguard does not read.
 * - `decode-failed`: the bytes claim a supported format but could not be decoded.
 * - `not-dicom`: the bytes carry the `DICM` marker but no readable DICOM Part 10 file meta information.
 * - `dicom-truncated`: the DICOM file ends before an element or the pixel data it declares.
 * - `dicom-invalid`: a DICOM image attribute is missing or out of range (rows, columns, bits, photometric, VOI, ...).
 * - `dicom-no-pixel-data`: the DICOM file has no Pixel Data (7FE0,0010).
 * - `unsupported-transfer-syntax`: the DICOM transfer syntax (named in the message) is not decoded by cadguard.
 * - `for-processing`: the DICOM image is `FOR PROCESSING` and the classifier's manifest does not take such images.
 * - `model-integrity`: a model file's SHA-256 differs from the manifest; nothing was run.
 * - `model-load`: the manifest or a model could not be fetched or parsed.
 * - `backend-unavailable`: the backend that was asked for cannot run here.
 * - `check-failed`: the check could not be completed (an engine error on every backend).
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `disposed`: the guard was disposed before or while the call ran.
 * - `worker-lost`: the worker died (crash, out of memory, terminated) while the call was pending.
 */
export type GuardErrorCode =
  | 'invalid-input'
  | 'unsupported-format'
  | 'decode-failed'
  | 'not-dicom'
  | 'dicom-truncated'
  | 'dicom-invalid'
  | 'dicom-no-pixel-data'
  | 'unsupported-transfer-syntax'
  | 'for-processing'
  | 'model-integrity'
  | 'model-load'
  | 'backend-unavailable'
  | 'check-failed'
  | 'aborted'
  | 'disposed'
  | 'worker-lost';

/**
 * The one error type cadguard rejects with. `name` is always `'GuardError'` and `code` is stable,
 * so both survive the worker boundary, where `instanceof` does not: test `error.name === 'GuardError'`
 * or use {@link isGuardError}.
 */
export class GuardError extends Error {
  override readonly name = 'GuardError';
  /** Stable machine-readable code. */
  readonly code: GuardErrorCode;
  /** Optional structured detail (the offending value, the allowed range, ...). */
  readonly details?: Record<string, unknown>;

  constructor(code: GuardErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** True for a {@link GuardError}, also one that crossed a worker boundary (checked by shape, not prototype). */
export function isGuardError(value: unknown): value is GuardError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'GuardError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** Wire form of an error: plain data that structured clone carries intact. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  details?: Record<string, unknown>;
}

/** Flattens any thrown value into its wire form, keeping `code` and `details` of a {@link GuardError}. */
export function serializeError(error: unknown): SerializedError {
  if (isGuardError(error)) {
    return { name: error.name, code: error.code, message: error.message, stack: error.stack, details: error.details };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the error on the receiving side: a real {@link GuardError} when it was one. */
export function deserializeError(wire: SerializedError): Error {
  if (wire.name === 'GuardError' && wire.code) {
    const error = new GuardError(wire.code as GuardErrorCode, wire.message, wire.details);
    if (wire.stack) error.stack = wire.stack;
    return error;
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  return error;
}

/**
 * Wraps an unexpected failure inside a check so the caller always gets a GuardError:
 * a GuardError passes through, anything else becomes `fallbackCode` with the cause's message.
 */
export function asGuardError(error: unknown, fallbackCode: GuardErrorCode, context: string): GuardError {
  if (isGuardError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GuardError(fallbackCode, `${context}: ${message}`);
}
