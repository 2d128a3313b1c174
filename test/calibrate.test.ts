// cadguard-calibrate end to end: clean images of several simulated sources -> calibrated manifest -> cadguard-eval
// with it passes those clean images and catches manipulated ones. Plus the statistics it rests on.
import { calibrate, clopperPearson, tailScale, thresholdFor } from '../bin/lib/calibration.mjs';
import { SIGNAL_METHODS } from '../src/detect/signal-definitions.js';
import { assert, assertClose, runServerJob } from './support/helpers.js';

interface CalibrateRun {
  calibrate: { exitCode: number; stderr: string };
  manifest: { integrity?: { signals: Record<string, { center: number; scale: number; definition?: string }>; thresholds: { suspicious: number; tampered: number }; calibration: { images: number; warnings: string[] } }; models: { file: string }[] } | null;
  copiedModel: boolean;
  eval: { exitCode: number; stderr: string; results: { summary: { integrity: { fprClean: number; tprTampered: number } }; rows: { file: string; verdict: string }[] } | null } | null;
}

const runCalibrate = (count: number, args: string[] = []) => runServerJob<CalibrateRun>('cadguard-calibrate', { count, args });

describe('cadguard-calibrate', () => {
  it('writes a calibrated manifest that passes the clean images and flags manipulated ones', async () => {
    const run = (await runCalibrate(24))!;
    assert(run.calibrate.exitCode === 0, `exit ${run.calibrate.exitCode}: ${run.calibrate.stderr}`);
    const integrity = run.manifest!.integrity!;
    assert(Object.keys(integrity.signals).sort().join() === 'noise,seam,seamEdge,squeeze,texture', `signals ${Object.keys(integrity.signals)}`);
    const definitions = Object.entries(integrity.signals).map(([id, scale]) => `${id}: ${scale.definition}`).join(', ');
    // What the SDK computed is recorded, so that a later SDK or another model is not judged by this calibration.
    assert(
      integrity.signals.noise.definition === SIGNAL_METHODS.noise && integrity.signals.texture.definition === SIGNAL_METHODS.texture &&
        integrity.signals.seam.definition === SIGNAL_METHODS.seam &&
        new RegExp(`^${SIGNAL_METHODS.squeeze}\\+[0-9a-f]{16}$`).test(integrity.signals.squeeze.definition ?? ''),
      definitions,
    );
    assert(integrity.thresholds.suspicious <= integrity.thresholds.tampered, 'suspicious <= tampered');
    assert(integrity.calibration.images === 24, `images ${integrity.calibration.images}`);
    assert(integrity.calibration.warnings.some((w) => /too few/.test(w)), 'warns that 24 images are too few for the targets');
    assert(/warning: .*too few/.test(run.calibrate.stderr), 'the warning is printed');
    assert(run.copiedModel && run.manifest!.models[0].file === 'tiny-classifier.onnx', 'the model sits next to the new manifest');
    const results = run.eval!.results!;
    assert(run.eval!.exitCode === 0, run.eval!.stderr);
    assert(!/no image can pass/.test(run.calibrate.stderr + run.eval!.stderr), 'no start-up warning: calibrating is the cure, and the result fits');
    assert(results.summary.integrity.fprClean === 0, `clean images flagged: ${results.summary.integrity.fprClean}`);
    assert(results.summary.integrity.tprTampered === 1, `manipulated images caught: ${results.summary.integrity.tprTampered}`);
  });

  it('refuses too few images without writing anything', async () => {
    const run = (await runCalibrate(5))!;
    assert(run.calibrate.exitCode === 2 && /at least 20 clean images/.test(run.calibrate.stderr), `${run.calibrate.exitCode}: ${run.calibrate.stderr}`);
    assert(run.manifest === null, 'nothing written');
  });

  it('sets thresholds by rank and reports exact confidence intervals', () => {
    assertClose(clopperPearson(0, 100)[1], 0.03622, 1e-4, 'upper bound of 0/100');
    assertClose(clopperPearson(5, 50)[0], 0.03328, 1e-4, 'lower bound of 5/50');
    const scores = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const t = thresholdFor(scores, 0.01);
    assert(scores.filter((s) => s >= t).length === 10, 'exactly 1 % at or above');
    const rows = scores.map((v, i) => ({ file: String(i), signals: { a: v, b: (i * 7919) % 1000 / 1000 } }));
    const result = calibrate(rows, { suspiciousRate: 0.01, tamperedRate: 0.001 });
    assert(result.calibration.achieved.suspicious.rate <= 0.01, `achieved ${result.calibration.achieved.suspicious.rate}`);
    assert(result.calibration.warnings.some((w) => /0.1 %/.test(w)), 'warns that 1000 images are too few for 0.1 %');
    const recorded = calibrate(rows, { definitions: { a: 'a-v3' } });
    assert(recorded.signals.a.definition === 'a-v3' && recorded.signals.b.definition === undefined, 'records the definitions it was given');
    assert(recorded.signals.a.center === result.signals.a.center, 'a definition does not change the scale');
  });

  it('standardises each signal by its own clean tail: z is -log10 of the clean share, long tail or short', () => {
    // Two clean signals with the same ranks but tails of very different length (exponential vs its cube root).
    const n = 20000;
    const long = Array.from({ length: n }, (_, i) => -Math.log(1 - (i + 0.5) / n));
    const short = long.map((v) => Math.cbrt(v));
    const zLong = tailScale(long);
    const zShort = tailScale(short);
    const at = (values: number[], share: number) => values[Math.round(n * (1 - share))];
    assertClose((at(long, 0.01) - zLong.center) / zLong.scale, 2, 0.05, 'exponential tail: 1 % point at z = 2');
    assertClose((at(long, 0.001) - zLong.center) / zLong.scale, 3, 0.1, 'exponential tail: 0.1 % point at z = 3');
    const shortAt1 = (at(short, 0.01) - zShort.center) / zShort.scale;
    assert(Math.abs(shortAt1 - 2) < 0.5, `a short tail also puts its 1 % point near z = 2 (got ${shortAt1.toFixed(2)})`);
  });
});
