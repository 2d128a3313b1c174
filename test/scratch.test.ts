// The worker keeps its large working buffers between checks (src/scratch.ts): a check must not see what the one
// before it left there. The same image checked after a larger one, a smaller one and an 8-bit one gives the same
// signal values, to the bit, as it did first.
import type { Report } from '../dist/index.js';
import { bundledGuard } from './support/bundled-guard.js';
import { acquire, assert, quantise16, quantise8, sourceGrains } from './support/helpers.js';

describe('buffers kept between checks', () => {
  const guard = bundledGuard();

  const values = (report: Report): string => report.integrity.signals.map((s) => `${s.id} ${s.value}`).join(', ');

  it('leave no trace of the previous check in the next one', async () => {
    const image = acquire(640, 768, 31, sourceGrains[0]);
    const first = await guard().check({ data: quantise16(image), width: 640, height: 768, bitsStored: 16 });
    const others = [
      { data: quantise16(acquire(1024, 1280, 32, sourceGrains[1])), width: 1024, height: 1280, bitsStored: 16 },
      { data: quantise8(acquire(512, 512, 33, sourceGrains[2])), width: 512, height: 512, bitsStored: 8 },
    ];
    for (const other of others) {
      await guard().check(other);
      const again = await guard().check({ data: quantise16(image), width: 640, height: 768, bitsStored: 16 });
      assert(values(again) === values(first), `after a ${other.width}x${other.height} check:\n${values(again)}\nfirst:\n${values(first)}`);
      assert(again.integrity.score === first.integrity.score, `fused score ${again.integrity.score}, first ${first.integrity.score}`);
    }
  });
});
