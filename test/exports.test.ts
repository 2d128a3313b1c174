import * as cadguard from '../dist/index.js';
import { assert } from './support/helpers.js';

describe('public surface', () => {
  it('exports exactly the documented names', () => {
    const names = Object.keys(cadguard).sort();
    assert(JSON.stringify(names) === JSON.stringify(['GuardError', 'createGuard', 'isGuardError']), `exports: ${names.join(', ')}`);
  });

  it('declares types first in the exports map, no side effects, and the audit version matches', async () => {
    const pkg = await (await fetch('/package.json')).json();
    assert(Object.keys(pkg.exports['.'])[0] === 'types', 'types first');
    assert(pkg.sideEffects === false && pkg.type === 'module', 'ESM without side effects');
    const guard = await cadguard.createGuard({ manifestUrl: '/test/fixtures/models/manifest.json', backend: 'wasm' });
    try {
      const report = await guard.check({ data: new Uint8Array(64 * 64).fill(100), width: 64, height: 64 });
      assert(report.audit.sdkVersion === pkg.version, `audit sdkVersion ${report.audit.sdkVersion} vs package ${pkg.version}`);
    } finally {
      await guard.dispose();
    }
  });

  it('GuardError carries a stable name and code', () => {
    const error = new cadguard.GuardError('invalid-input', 'x');
    assert(error instanceof Error && error.name === 'GuardError' && error.code === 'invalid-input', 'shape');
    assert(cadguard.isGuardError({ name: 'GuardError', code: 'aborted', message: '' }), 'recognised by shape');
    assert(!cadguard.isGuardError(new Error('x')), 'plain errors are not GuardErrors');
  });
});
