/**
 * cadguard's public door: only the exports of this file are the API. A test locks this list.
 */
export { createGuard } from './guard.js';
export type { Guard } from './guard.js';
export { GuardError, isGuardError } from './errors.js';
export type { GuardErrorCode } from './errors.js';
export type {
  AuditRecord,
  Backend,
  BackendRequest,
  CheckOptions,
  Decision,
  FaultInjection,
  GuardEvent,
  GuardInfo,
  GuardOptions,
  Heatmap,
  ImageInput,
  IntegritySignal,
  IntegrityStatus,
  ModelIdentity,
  PixelArray,
  PolicyOptions,
  ProgressEvent,
  RawPixels,
  Report,
  Verdict,
  ViewerImage,
  DicomInfo,
  WarmUpOptions,
  WarmUpReport,
} from './protocol.js';
