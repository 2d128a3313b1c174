// Bring your own model: a second, differently shaped classifier (96 x 128 input, static batch, coarser heatmap)
// replaces the default with no code change, is calibrated on clean images, and passes the conformance kit.
import { assert, runServerJob } from './support/helpers.js';

interface ConformanceRun {
  calibrate: { exitCode: number; stderr: string };
  conformance: {
    exitCode: number;
    stderr: string;
    report: { passed: number; failed: number; skipped: number; calibrated: boolean; results: { id: string; status: string; detail: string }[]; info: { models: { id: string }[] } } | null;
    markdown: string | null;
  };
}

describe('vendor integration kit', () => {
  it('a differently shaped classifier, calibrated by cadguard-calibrate, passes cadguard-conformance', async () => {
    const run = await runServerJob<ConformanceRun>('cadguard-conformance', { manifest: '/test/fixtures/models/manifest-other.json' });
    assert(run.calibrate.exitCode === 0, `calibrate: ${run.calibrate.stderr}`);
    const { report, markdown, exitCode, stderr } = run.conformance;
    assert(report !== null && markdown !== null, `conformance wrote its report: ${stderr}`);
    const failed = report.results.filter((r) => r.status === 'fail');
    assert(exitCode === 0 && report.failed === 0, `failed checks: ${failed.map((r) => `${r.id}: ${r.detail}`).join('; ')}`);
    assert(report.calibrated && report.info.models[0].id === 'other-classifier', 'ran the vendor model with its calibration');
    const skipped = report.results.filter((r) => r.status === 'skip').map((r) => r.id);
    assert(skipped.length === 1 && skipped[0] === 'fail-closed', `only the uncalibrated-manifest check is skipped: ${skipped}`);
    for (const id of ['start', 'calibration', 'clean-images', 'provenance', 'manipulation', 'dicom', 'bad-inputs', 'concurrency', 'abort', 'warm-up', 'webgpu-fallback', 'tampered-model', 'worker-lost', 'dispose']) {
      assert(report.results.some((r) => r.id === id && r.status === 'pass'), `${id} passed`);
    }
    assert(/Result: \*\*PASS\*\*/.test(markdown) && /other-classifier/.test(markdown), 'the Markdown report a QA engineer files');
  });

  it('the kit fails, with exit code 1, when the integration is broken (a tampered model file)', async () => {
    const run = await runServerJob<ConformanceRun>('cadguard-conformance', { manifest: '/test/fixtures/models/manifest-tampered.json' });
    assert(run.calibrate.exitCode !== 0, 'calibration refuses a manifest whose model fails its integrity check');
  });
});
