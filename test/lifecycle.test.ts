import { createGuard, type GuardEvent } from '../dist/index.js';
import { assert, assertClose, captureWorkers, fixtureManifest, quantise8, rejection, syntheticBreast } from './support/helpers.js';

const width = 200;
const height = 160;

function image(seed: number) {
  return { data: quantise8(syntheticBreast(width, height, seed, seed % 2 ? 'left' : 'right', 0.01 + (seed % 7) * 0.02)), width, height };
}

describe('lifecycle', () => {
  it('resolves 50 concurrent checks, each with its own image\'s result', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      const sequential: number[] = [];
      for (let seed = 0; seed < 50; seed++) sequential.push((await guard.check(image(seed))).cad.score);
      const concurrent = await Promise.all(Array.from({ length: 50 }, (_, seed) => guard.check(image(seed))));
      concurrent.forEach((report, seed) => assertClose(report.cad.score, sequential[seed], 1e-6, `score of image ${seed}`));
      assert(new Set(sequential.map((s) => s.toFixed(6))).size > 10, 'the images give different scores');
    } finally {
      await guard.dispose();
    }
  });

  it('aborts a queued check and a check whose signal already fired; the others still resolve', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      const pre = new AbortController();
      pre.abort();
      assert((await rejection(guard.check(image(1), { signal: pre.signal }), 'pre-aborted check')).code === 'aborted', 'pre-aborted');
      const controller = new AbortController();
      const first = guard.check(image(2));
      const queued = guard.check(image(3), { signal: controller.signal });
      const last = guard.check(image(4));
      controller.abort();
      const error = await rejection(queued, 'aborted check');
      assert(error.name === 'GuardError' && error.code === 'aborted', `code ${error.code}`);
      await first;
      await last;
      assert((await guard.check(image(5))).decision !== undefined, 'the guard still works');
    } finally {
      await guard.dispose();
    }
  });

  it('dispose rejects pending checks with disposed, terminates the worker, and refuses later calls', async () => {
    const capture = captureWorkers();
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' }).finally(capture.restore);
    const pending = Array.from({ length: 5 }, (_, i) => guard.check(image(i)).then(() => 'resolved', (e) => e.code as string));
    await guard.dispose();
    const outcomes = await Promise.all(pending);
    assert(outcomes.every((o) => o === 'resolved' || o === 'disposed'), `outcomes ${outcomes.join(',')}`);
    assert((await rejection(guard.check(image(1)), 'check after dispose')).code === 'disposed', 'disposed');
    assert((await rejection(guard.info(), 'info after dispose')).code === 'disposed', 'disposed info');
    assert(capture.workers.length === 1, 'one worker');
  });

  it('rejects pending checks with worker-lost when the worker dies, and the next check starts a fresh worker', async () => {
    const capture = captureWorkers();
    const events: GuardEvent[] = [];
    try {
      const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm', onEvent: (e) => events.push(e) });
      const before = await guard.check(image(9));
      const pending = [guard.check(image(10)), guard.check(image(11))];
      capture.workers[0].terminate();
      for (const check of pending) {
        const error = await rejection(check, 'check on a dead worker');
        assert(error.code === 'worker-lost', `code ${error.code}: ${error.message}`);
      }
      const after = await guard.check(image(9));
      assertClose(after.cad.score, before.cad.score, 1e-6, 'same result on the fresh worker');
      assert(capture.workers.length === 2, `workers spawned: ${capture.workers.length}`);
      assert(events.some((e) => e.type === 'worker-restarted'), 'a worker-restarted event');
      await guard.dispose();
    } finally {
      capture.restore();
    }
  });

  it('reports download progress for the runtime and each model', async () => {
    const progress: { asset: string; loaded: number; total: number | null }[] = [];
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm', onProgress: (p) => progress.push(p) });
    await guard.dispose();
    for (const asset of ['runtime', 'tiny-classifier']) {
      const last = progress.filter((p) => p.asset === asset).at(-1);
      assert(last && last.total !== null && last.loaded === last.total, `${asset} progress reached its total: ${JSON.stringify(last)}`);
    }
    assert(progress.filter((p) => p.asset === 'runtime').length > 2, 'the runtime reports progress in steps');
  });
});
