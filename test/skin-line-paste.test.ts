// A large lesion transplant at the skin line, through the bundled guard: no ring of its size lies wholly on the
// breast, so only the skin-line blend seam (seamEdge, calibrated on its own clean tail) can find it. The same image
// without the paste must still be shown.
import type { IntegritySignal } from '../dist/index.js';
import { bundledGuard } from './support/bundled-guard.js';
import { acquire, assert, quantise16, skinLine, sourceGrains, transplant, whiteGrain, type Grain } from './support/helpers.js';

const width = 1024;
const height = 1024;

describe('a large paste at the skin line, through the bundled guard', () => {
  const guard = bundledGuard();

  const check = async (image: Float32Array) => {
    const report = await guard().check({ data: quantise16(image), width, height, bitsStored: 16 });
    const byId = (id: string): IntegritySignal | undefined => report.integrity.signals.find((s) => s.id === id);
    const line = report.integrity.signals.map((s) => `${s.id} ${s.value === null ? 'null' : s.value.toFixed(2)}${s.flagged ? ' (flagged)' : ''}`).join(', ');
    return { report, byId, line };
  };

  // A film digitiser's anisotropic 12-bit grain and a detector's white 16-bit noise.
  for (const [k, source] of ([[1, sourceGrains[1]], [4, whiteGrain]] as Array<[number, Grain]>)) {
    it(`${source.name}: the pasted image is not shown, the clean one is`, async () => {
      const clean = skinLine(acquire(width, height, 10 * k + 1, source), width, height);
      const donor = acquire(width, height, 10 * k + 2, source);
      const pasted = skinLine(transplant(clean, donor, width, 770, 512, 100, source.bits), width, height);

      const original = await check(clean);
      assert(original.report.decision === 'show', `clean: ${original.report.decision} (${original.line})`);

      const forged = await check(pasted);
      assert(forged.report.decision !== 'show' && forged.report.integrity.verdict !== 'pass', `pasted: ${forged.report.decision} (${forged.line})`);
      // Found by the skin-line rings, at the paste, and not by the rings wholly on the breast.
      const edge = forged.byId('seamEdge');
      assert(edge?.flagged === true && /at \(7[5-9]\d, (49|5[0-2])\d\)/.test(edge.detail), `seamEdge: ${edge?.detail} (${forged.line})`);
      assert(forged.byId('seam')?.flagged === false, `seam: ${forged.byId('seam')?.detail}`);
    });
  }
});
