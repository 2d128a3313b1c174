// The blend seam's WebAssembly kernel (wasm/ring-sums.wat) against the plain loop it replaced: the same doubles added
// in the same order, so every sum must match to the bit, on prefix rows that reach far from zero (where a changed
// order of additions would show).
import { RingSums } from '../src/detect/ring-sums.js';
import { assert, seededRandom } from './support/helpers.js';

describe('ring sums kernel', () => {
  it('gives the plain loop\'s sums to the bit, and again after its memory grows', () => {
    const next = seededRandom(7);
    for (const [rowLength, rows, slots, runCount, centres] of [[40, 30, 24, 150, 60], [300, 260, 24, 260, 5000], [17, 17, 3, 9, 4]]) {
      // Interleaved pairs (noise sum, sample count) of row prefix sums.
      const prefix = new Float64Array(2 * rowLength * rows);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        let count = 0;
        for (let x = 0; x < rowLength; x++) {
          sum += next() * 3.7;
          count += Math.floor(next() * 17);
          prefix[2 * (r * rowLength + x)] = sum;
          prefix[2 * (r * rowLength + x) + 1] = count;
        }
      }
      const reach = 4;
      const slotOf = Array.from({ length: runCount }, () => Math.floor(next() * slots)).sort((a, b) => a - b);
      const lower = new Int32Array(runCount);
      const upper = new Int32Array(runCount);
      for (let r = 0; r < runCount; r++) {
        const dy = Math.floor(next() * (2 * reach + 1)) - reach;
        const from = Math.floor(next() * (2 * reach + 1)) - reach;
        lower[r] = dy * rowLength + from;
        upper[r] = lower[r] + Math.min(reach - from, 1 + Math.floor(next() * 4));
      }
      const slotEnd = new Int32Array(slots + 1);
      for (const s of slotOf) slotEnd[s + 1]++;
      for (let s = 0; s < slots; s++) slotEnd[s + 1] += slotEnd[s];
      const bases = Int32Array.from({ length: centres }, () => (reach + Math.floor(next() * (rows - 2 * reach))) * rowLength + reach + Math.floor(next() * (rowLength - 2 * reach)));

      const got = new RingSums(prefix).sums({ lower, upper, slotEnd }, bases);
      let mismatches = 0;
      bases.forEach((b, k) => {
        for (let s = 0, r = 0; s < slots; s++) {
          let sum = 0;
          let count = 0;
          for (; r < slotEnd[s + 1]; r++) {
            sum += prefix[2 * (b + upper[r])] - prefix[2 * (b + lower[r])];
            count += prefix[2 * (b + upper[r]) + 1] - prefix[2 * (b + lower[r]) + 1];
          }
          const at = 2 * (k * slots + s);
          if (!Object.is(got[at], sum) || !Object.is(got[at + 1], count)) mismatches++;
        }
      });
      assert(got.length === 2 * slots * centres, `${got.length} values for ${centres} centres of ${slots} slots`);
      assert(mismatches === 0, `${mismatches} of ${centres * slots} slot sums differ (${rowLength}x${rows}, ${runCount} runs)`);
    }
  });

  it('refuses to read prefix sums a newer instance has replaced', () => {
    const runs = { lower: Int32Array.of(0), upper: Int32Array.of(1), slotEnd: Int32Array.of(0, 1) };
    const older = new RingSums(new Float64Array(8).fill(1));
    new RingSums(new Float64Array(8).fill(2));
    let message = '';
    try {
      older.sums(runs, Int32Array.of(0));
    } catch (error) {
      message = (error as Error).message;
    }
    assert(message.includes('newer RingSums'), `older instance read the kernel memory (${message || 'no error'})`);
  });
});
