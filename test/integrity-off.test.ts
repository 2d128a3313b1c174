import { createGuard, type Guard } from '../dist/index.js';
import { assert, fixtureManifest, quantise8, sha256Hex, syntheticBreast } from './support/helpers.js';

const width = 160;
const height = 120;
let guard: Guard;
before(async () => {
  guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
});
after(async () => {
  await guard?.dispose();
});

describe('integrity off (classifier only)', () => {
  it('gives the same CAD score as a full check, and a verdict that never clears the image', async () => {
    const pixels = quantise8(syntheticBreast(width, height, 21));
    const full = await guard.check({ data: pixels.slice(), width, height });
    const bare = await guard.check({ data: pixels.slice(), width, height }, { integrity: false });
    assert(bare.cad.score === full.cad.score, `score ${bare.cad.score} vs ${full.cad.score}`);
    assert(bare.integrity.verdict === 'suspicious' && bare.decision === 'review', `${bare.integrity.verdict} / ${bare.decision}`);
    const ids = bare.integrity.signals.map((s) => s.id);
    assert(!ids.includes('squeeze') && !ids.includes('noise') && !ids.includes('texture'), `no integrity signal was computed: ${ids.join(', ')}`);
    const skipped = bare.integrity.signals.find((s) => s.id === 'integrity-skipped');
    assert(skipped?.flagged === true && skipped.value === null, 'a flagged integrity-skipped signal says why');
    assert(bare.audit.integrity.signals.some((s) => s.id === 'integrity-skipped' && s.flagged), 'the audit records it');
    assert(bare.integrity.heatmap === undefined && bare.timings.detect === 0, 'no tamper heatmap, no detect time');
  });

  it('never shows, even when the policy would show suspicious images', async () => {
    const lenient = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm', policy: { onSuspicious: 'show' } });
    try {
      const report = await lenient.check({ data: quantise8(syntheticBreast(width, height, 22)), width, height }, { integrity: false });
      assert(report.integrity.verdict === 'suspicious' && report.decision === 'review', `${report.integrity.verdict} / ${report.decision}`);
    } finally {
      await lenient.dispose();
    }
  });

  it('still marks a provenance mismatch tampered', async () => {
    const pixels = quantise8(syntheticBreast(width, height, 23));
    const hash = await sha256Hex(pixels);
    pixels[100] ^= 1;
    const report = await guard.check({ data: pixels, width, height }, { integrity: false, expectedPixelSha256: hash });
    assert(report.integrity.verdict === 'tampered' && report.decision === 'withhold', `${report.integrity.verdict} / ${report.decision}`);
  });
});
