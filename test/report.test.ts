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

describe('report', () => {
  it('carries the CAD result, integrity, decision, timings, model identities and an audit record', async () => {
    const pixels = quantise8(syntheticBreast(width, height, 8));
    const hash = await sha256Hex(pixels);
    const report = await guard.check({ data: pixels, width, height });
    const info = await guard.info();
    assert(report.cad.score >= 0 && report.cad.score <= 1, `score ${report.cad.score}`);
    assert(report.cad.positive === report.cad.score >= report.cad.threshold && report.cad.threshold === 0.5, 'threshold from the manifest');
    const heatmap = report.cad.heatmap!;
    assert(heatmap.width === 8 && heatmap.height === 8 && heatmap.data.length === 64, 'heatmap shape from the manifest');
    assert(heatmap.region.width === width && heatmap.region.height === height, 'heatmap region');
    assert(report.input.pixelSha256 === hash && report.input.width === width, 'input identity');
    assert(report.models.length === 1 && report.models[0].sha256 === info.models[0].sha256, 'model identity');
    for (const [stage, ms] of Object.entries(report.timings)) assert(Number.isFinite(ms) && ms >= 0, `timing ${stage} = ${ms}`);
    assert(report.timings.total >= report.timings.classify, 'total covers classify');
    const audit = JSON.parse(JSON.stringify(report.audit));
    assert(audit.schema === 'cadguard-audit/1' && !Number.isNaN(Date.parse(audit.time)), 'audit schema and time');
    assert(audit.input.pixelSha256 === hash && audit.models[0].sha256 === info.models[0].sha256, 'audit hashes');
    assert(audit.backend === 'wasm' && audit.cad.score === report.cad.score && audit.decision === report.decision, 'audit mirrors the report');
    assert(!('heatmap' in audit.cad), 'the audit stays small: no heatmap');
    // The audit says what computed each signal: a later reader can tell an old SDK's values from a new one's.
    const texture = audit.integrity.signals.find((s: { id: string }) => s.id === 'texture');
    const squeeze = audit.integrity.signals.find((s: { id: string }) => s.id === 'squeeze');
    assert(texture?.definition === 'noise-texture-v3' && squeeze?.definition === `squeeze-v1+${info.models[0].sha256.slice(0, 16)}`, JSON.stringify(audit.integrity.signals));
  });

  it('fails closed: without a calibrated detector the image is never shown', async () => {
    const report = await guard.check({ data: quantise8(syntheticBreast(width, height, 9)), width, height });
    assert(report.integrity.verdict === 'suspicious' && report.decision === 'review', `${report.integrity.verdict} / ${report.decision}`);
    assert(report.integrity.signals.some((s) => s.id === 'calibration' && s.flagged), 'the missing calibration is a flagged signal');
    // And the guard says so at start-up, before any image.
    const { integrity } = await guard.info();
    assert(!integrity.ready && integrity.problems.length === 1 && /no integrity calibration.*cadguard-calibrate/.test(integrity.problems[0]), JSON.stringify(integrity));
    assert(integrity.signals.texture === 'noise-texture-v3' && integrity.signals.squeeze.startsWith('squeeze-v1+'), JSON.stringify(integrity.signals));
  });

  it('marks a provenance mismatch tampered and withholds; a match is recorded', async () => {
    const pixels = quantise8(syntheticBreast(width, height, 10));
    const hash = await sha256Hex(pixels);
    const changed = pixels.slice();
    changed[500] ^= 1;
    const tampered = await guard.check({ data: changed, width, height }, { expectedPixelSha256: hash });
    assert(tampered.integrity.verdict === 'tampered' && tampered.decision === 'withhold', `${tampered.integrity.verdict} / ${tampered.decision}`);
    assert(tampered.audit.input.expectedPixelSha256 === hash, 'the audit keeps the expected hash');
    const matching = await guard.check({ data: pixels, width, height }, { expectedPixelSha256: hash.toUpperCase() });
    const provenance = matching.integrity.signals.find((s) => s.id === 'provenance');
    assert(provenance && !provenance.flagged, 'a matching hash is not flagged');
  });

  it('lets the viewer choose the decision for suspicious images, never show for tampered', async () => {
    const lenient = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm', policy: { onSuspicious: 'withhold' } });
    try {
      const report = await lenient.check({ data: quantise8(syntheticBreast(width, height, 11)), width, height });
      assert(report.decision === 'withhold', report.decision);
    } finally {
      await lenient.dispose();
    }
  });

  it('leaves the heatmap out on request', async () => {
    const report = await guard.check({ data: quantise8(syntheticBreast(width, height, 12)), width, height }, { heatmap: false });
    assert(report.cad.heatmap === undefined, 'no heatmap');
  });
});
