import { createGuard, isGuardError } from '../dist/index.js';
import { assert, fixtureManifest, quantise8, rejection, syntheticBreast } from './support/helpers.js';

const good = () => ({ data: quantise8(syntheticBreast(64, 48, 3)), width: 64, height: 48 });

describe('errors', () => {
  it('refuses a tampered model file with model-integrity before anything runs', async () => {
    const error = await rejection(createGuard({ manifestUrl: '/test/fixtures/models/manifest-tampered.json', backend: 'wasm' }), 'tampered model');
    assert(error.name === 'GuardError' && error.code === 'model-integrity', `${error.code}: ${error.message}`);
    assert(/SHA-256/.test(error.message) && /tiny-classifier/.test(error.message), error.message);
  });

  it('refuses a model whose output does not match its manifest validation on WASM', async () => {
    const error = await rejection(createGuard({ manifestUrl: '/test/fixtures/models/manifest-mismatch.json', backend: 'wasm' }), 'mismatched manifest');
    assert(error.code === 'model-load' && /validation/.test(error.message), `${error.code}: ${error.message}`);
  });

  it('refuses a missing manifest with model-load naming the URL', async () => {
    const error = await rejection(createGuard({ manifestUrl: '/test/fixtures/models/nope.json', backend: 'wasm' }), 'missing manifest');
    assert(error.code === 'model-load' && /nope\.json/.test(error.message) && /404/.test(error.message), `${error.code}: ${error.message}`);
  });

  it('refuses an unknown backend and a bad policy with invalid-input', async () => {
    const backend = await rejection(createGuard({ manifestUrl: fixtureManifest, backend: 'cuda' as 'wasm' }), 'unknown backend');
    assert(backend.code === 'invalid-input' && /'auto', 'webgpu', 'wasm'/.test(backend.message), backend.message);
    const policy = await rejection(createGuard({ manifestUrl: fixtureManifest, policy: { onTampered: 'show' as 'review' } }), 'show on tampered');
    assert(policy.code === 'invalid-input' && /never 'show'/.test(policy.message), policy.message);
  });

  it('gives each bad input a typed error naming the value, and the worker keeps working', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      const nan = new Float32Array(64 * 48).fill(0.5);
      nan[100] = Number.NaN;
      const cases: [string, unknown, RegExp, string?][] = [
        ['zero width', { data: new Uint8Array(0), width: 0, height: 10 }, /width must be an integer from 1 to 16384, got 0/],
        ['negative height', { data: new Uint8Array(10), width: 10, height: -1 }, /height .* got -1/],
        ['huge', { data: new Uint8Array(4), width: 20000, height: 2 }, /16384, got 20000/],
        ['fractional', { data: new Uint8Array(4), width: 2.5, height: 2 }, /got 2.5/],
        ['length mismatch', { data: new Uint8Array(10), width: 4, height: 4 }, /10 values but width x height = 4 x 4 = 16/],
        ['NaN', { data: nan, width: 64, height: 48 }, /pixels.data\[100\] is NaN/],
        ['wrong array type', { data: [1, 2, 3, 4], width: 2, height: 2 }, /Uint8Array, Uint16Array, Int16Array or Float32Array, got Array/],
        ['Int32Array', { data: new Int32Array(4), width: 2, height: 2 }, /got Int32Array/],
        ['bitsStored', { data: new Uint8Array(4), width: 2, height: 2, bitsStored: 12 }, /bitsStored must be an integer from 1 to 8/],
        ['photometric', { data: new Uint8Array(4), width: 2, height: 2, photometric: 'RGB' }, /photometric/],
        ['window', { data: new Uint8Array(4), width: 2, height: 2, windowCenter: 100 }, /windowCenter and windowWidth/],
        ['string', 'hello.png', /check\(\) takes RawPixels/],
        ['null', null, /got null/],
        ['bare typed array', new Uint8Array(16), /has no dimensions/],
        ['empty bytes', new ArrayBuffer(0), /empty/],
        ['not an image', new TextEncoder().encode('not an image at all').buffer, /unrecognised image bytes/, 'unsupported-format'],
        ['broken PNG', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 1]).buffer, /PNG could not be decoded/, 'decode-failed'],
        ['broken JPEG', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).buffer, /JPEG could not be decoded/, 'decode-failed'],
        ['bad expected hash', good(), /expectedPixelSha256 must be 64 hex digits/],
        ['uncloneable', { data: new Uint8Array(4), width: 2, height: 2, extra: () => 1 }, /cannot be sent to the worker/],
      ];
      for (const [what, input, message, code = 'invalid-input'] of cases) {
        const options = what === 'bad expected hash' ? { expectedPixelSha256: 'abc' } : {};
        const error = await rejection(guard.check(input as never, options), what);
        assert(isGuardError(error), `${what}: a GuardError (got ${(error as Error).name}: ${(error as Error).message})`);
        assert(error.code === code, `${what}: code ${error.code}, expected ${code} (${error.message})`);
        assert(message.test(error.message), `${what}: message "${error.message}" should match ${message}`);
        const report = await guard.check(good());
        assert(report.input.width === 64, `${what}: the next check works`);
      }
    } finally {
      await guard.dispose();
    }
  });

  it('keeps name, code and details of a GuardError across the worker boundary', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      // Sent as an ArrayBuffer, so the main thread cannot validate it: this error is thrown inside the worker.
      const error = await rejection(guard.check(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer), 'garbage bytes');
      assert(error instanceof Error, 'an Error instance on the main thread');
      assert(error.name === 'GuardError' && error.code === 'unsupported-format', `${error.name} ${error.code}`);
      const tampered = await rejection(createGuard({ manifestUrl: '/test/fixtures/models/manifest-tampered.json', backend: 'wasm' }), 'tampered');
      const details = (tampered as { details?: { expected?: string } }).details;
      assert(typeof details?.expected === 'string' && details.expected.length === 64, 'details survive');
    } finally {
      await guard.dispose();
    }
  });
});
