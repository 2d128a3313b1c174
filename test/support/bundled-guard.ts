import { createGuard, type Guard } from '../../dist/index.js';

/**
 * The bundled guard (the package's own manifest and models, WASM) for the enclosing describe block: created before
 * its tests, disposed after them. Returns a getter, valid inside the tests.
 */
export function bundledGuard(): () => Guard {
  let guard: Guard | undefined;
  before(async () => {
    guard = await createGuard({ manifestUrl: '/dist/models/manifest.json', backend: 'wasm' });
  });
  after(async () => {
    await guard?.dispose();
  });
  return () => {
    if (!guard) throw new Error('bundledGuard(): the guard exists only inside the tests of its describe block');
    return guard;
  };
}
