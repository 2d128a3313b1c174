// The blend seam's WebAssembly kernel (wasm/ring-sums.wat) against the plain loop it replaced: the same doubles added
// in the same order, so every sum must match to the bit, on prefix rows that reach far from zero (where a changed
// order of additions would show).
import { RingSums } from '../src/detect/ring-sums.js';
import { assert, seededRandom } from './support/helpers.js';

describe('ring sums kernel', () => {
  it('gives the plain loop\'s sums to the bit, and again after its memory grows', () => {
    const next = seededRandom(7);
    // The kernel takes centres four at a time and the rest one at a time: counts of 4k, 4k + 1 and under 4.
    for (const [rowLength, rows, slots, runCount, centres] of [[40, 30, 24, 150, 61], [300, 260, 24, 260, 5000], [17, 17, 3, 9, 4], [17, 17, 3, 9, 3]]) {
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

  it("judges rings as blend-seam.ts's JavaScript did: the same pool and the same sector, to the bit", () => {
    const next = seededRandom(19);
    const rings = 3000;
    // Ring k's 24 slot pairs are prefix entries base + 2s + 1 over base + 2s = (0, 0): each slot one run.
    const prefix = new Float64Array(2 * 48 * rings);
    const expected: Array<[number, number, number]> = [];
    const enough = Float64Array.from({ length: 24 }, () => 5 + Math.floor(next() * 20));
    for (let k = 0; k < rings; k++) {
      const pairs = new Float64Array(48);
      for (let s = 0; s < 24; s++) {
        const roll = next();
        // Mostly enough samples and noise; some slots short of samples, some with no noise.
        pairs[2 * s + 1] = roll < 0.08 ? Math.floor(next() * enough[s]) : enough[s] + Math.floor(next() * 30);
        pairs[2 * s] = roll > 0.95 ? 0 : next() * pairs[2 * s + 1] * 0.01;
      }
      // Tied sectors: twice the previous sector's sums over the same counts, the same ratio of means (exactly) but
      // other means, so which of the two is chosen shows.
      for (let s = 1; s < 8; s++) {
        if (next() > 0.3) continue;
        for (const slot of [s, 8 + s, 16 + s]) {
          pairs[2 * slot] = 2 * pairs[2 * (slot - 1)];
          pairs[2 * slot + 1] = pairs[2 * (slot - 1) + 1];
        }
      }
      for (let s = 0; s < 24; s++) {
        prefix[2 * (48 * k + 2 * s + 1)] = pairs[2 * s];
        prefix[2 * (48 * k + 2 * s + 1) + 1] = pairs[2 * s + 1];
      }
      expected.push(judgeReference(pairs, enough));
    }
    const runs = { lower: Int32Array.from({ length: 24 }, (_, s) => 2 * s), upper: Int32Array.from({ length: 24 }, (_, s) => 2 * s + 1), slotEnd: Int32Array.from({ length: 25 }, (_, s) => s) };
    const got = new RingSums(prefix).judge(runs, Int32Array.from({ length: rings }, (_, k) => 48 * k), { enough, minSectors: 6, weakest: 3 });
    let mismatches = 0;
    const pools = new Set<number>();
    expected.forEach(([pool, feather, side], k) => {
      pools.add(pool);
      if (!Object.is(got[3 * k], pool) || (pool >= 0 && (!Object.is(got[3 * k + 1], feather) || !Object.is(got[3 * k + 2], side)))) mismatches++;
    });
    assert(mismatches === 0, `${mismatches} of ${rings} rings judged differently`);
    assert([-1, 6, 7, 8, 9].every((p) => pools.has(p)), `pools seen: ${[...pools].join(', ')}`);
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

/**
 * blend-seam.ts's ring judgement before the kernel (wholeRing, partRing, dipAt): pool (9 whole, 6-8 sectors, -1
 * none) and the chosen sector's feather and side means.
 */
function judgeReference(pairs: Float64Array, enough: Float64Array): [number, number, number] {
  const feathers: number[] = [];
  const sides: number[] = [];
  const judged = (feather: number, side: number) => {
    feathers.push(feather);
    sides.push(side);
  };
  let whole = true;
  for (let s = 0; s < 8 && whole; s++) {
    const feather = pairs[2 * s];
    const featherCount = pairs[2 * s + 1];
    const side = pairs[2 * (8 + s)] + pairs[2 * (16 + s)];
    const sideCount = pairs[2 * (8 + s) + 1] + pairs[2 * (16 + s) + 1];
    if (featherCount < enough[s] || feather <= 0 || sideCount < enough[8 + s] + enough[16 + s] || side <= 0) whole = false;
    else judged(feather / featherCount, side / sideCount);
  }
  let pool = 9;
  if (!whole) {
    feathers.length = 0;
    sides.length = 0;
    for (let s = 0; s < 8; s++) {
      const feather = pairs[2 * s];
      const featherCount = pairs[2 * s + 1];
      if (featherCount < enough[s] || feather <= 0) continue;
      let side = 0;
      let sideCount = 0;
      for (let band = 1; band <= 2; band++) {
        const slot = 2 * (band * 8 + s);
        if (pairs[slot + 1] < enough[band * 8 + s] || pairs[slot] <= 0) continue;
        side += pairs[slot];
        sideCount += pairs[slot + 1];
      }
      if (sideCount === 0) continue;
      judged(feather / featherCount, side / sideCount);
    }
    if (feathers.length < 6) return [-1, Number.NaN, Number.NaN];
    pool = feathers.length;
  }
  // Insertion sort by ratio (stable), as dipAt did; the statistic is the sector 3 from the top.
  const n = feathers.length;
  const ratio = feathers.map((f, i) => f / sides[i]);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    let j = i;
    for (; j > 0 && ratio[order[j - 1]] > ratio[i]; j--) order[j] = order[j - 1];
    order[j] = i;
  }
  const k = order[n - 3];
  return [pool, feathers[k], sides[k]];
}
