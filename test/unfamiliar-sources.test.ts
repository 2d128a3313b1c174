// The bundled guard, calibrated on digitised film and a few simulated chains, must clear clean images of sources it
// never saw: a guard that flags a common vendor's clean images is useless.
import type { Guard } from '../dist/index.js';
import { bundledGuard } from './support/bundled-guard.js';
import { assert, borderAndLabel, gaussian, seededRandom, syntheticBreast } from './support/helpers.js';

async function expectShown(guard: Guard, data: Uint16Array, width: number, height: number, what: string): Promise<void> {
  const report = await guard.check({ data, width, height, bitsStored: 16 });
  const signals = report.integrity.signals.map((s) => `${s.id} ${s.value === null ? 'null' : s.value.toFixed(2)}`).join(', ');
  assert(report.integrity.verdict === 'pass' && report.decision === 'show', `${what} ${width}x${height}: ${report.decision} (${signals})`);
}

describe('clean images of sources the calibration never saw', () => {
  const guard = bundledGuard();

  it('the bundled manifest is calibrated for every signal as this SDK computes it', async () => {
    const { integrity } = await guard().info();
    assert(integrity.ready && Object.keys(integrity.signals).sort().join() === 'content,noise,residual,seam,seamEdge,squeeze,texture', JSON.stringify(integrity));
  });

  it('the bundled guard shows clean 16-bit images whose background is exactly 0 (full-field detectors)', async () => {
    for (const [width, height, seed] of [[1024, 1024, 3], [1600, 2000, 4]]) {
      const breast = syntheticBreast(width, height, seed, 'left', 0.01);
      // syntheticBreast's background is 0.03 with noise; the detector's is nothing.
      const data = Uint16Array.from(breast, (v) => (v <= 0.06 ? 0 : Math.round(v * 65535)));
      await expectShown(guard(), data, width, height, 'empty background');
    }
  });

  it('the bundled guard shows smooth, low-noise 12-bit images with a film border and a burnt-in label', async () => {
    for (const [width, height, seed] of [[1024, 1024, 5], [1200, 1500, 6]]) {
      const scene = syntheticBreast(width, height, seed, 'left', 0);
      borderAndLabel(width, height)(scene);
      const gauss = gaussian(seededRandom(seed + 100));
      // Quantum noise a tenth of the film's, stored at 12 bits and delivered in a 16-bit container.
      const data = Uint16Array.from(scene, (v) => Math.round(Math.round(Math.min(1, Math.max(0, v + 0.002 * Math.sqrt(0.3 + v) * gauss())) * 4095) * (65535 / 4095)));
      await expectShown(guard(), data, width, height, 'border and label');
    }
  });
});
