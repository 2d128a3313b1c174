import { GuardError } from '../errors.js';
import type { IntegritySignal } from '../protocol.js';

/**
 * Provenance: the archive's hash of the stored pixels against the hash of what arrived. Any difference means the
 * pixels changed after they were archived, which no statistical signal can rule out: the verdict is `'tampered'`.
 */
export function provenanceSignal(pixelSha256: string, expectedPixelSha256: string | null): IntegritySignal | null {
  if (expectedPixelSha256 === null) return null;
  const expected = expectedPixelSha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new GuardError('invalid-input', `expectedPixelSha256 must be 64 hex digits (SHA-256 of the stored pixels), got ${JSON.stringify(expectedPixelSha256)}`);
  }
  const match = expected === pixelSha256;
  return {
    id: 'provenance',
    value: match ? 0 : 1,
    flagged: !match,
    detail: match ? 'stored pixels match the expected SHA-256' : `stored pixels hash to ${pixelSha256}, expected ${expected}`,
  };
}
