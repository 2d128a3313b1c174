import { createGuard, type Guard, type Report } from '../dist/index.js';
import { assert, captureWorkers, fixtureManifest, quantise16, rejection, syntheticBreast } from './support/helpers.js';

// Not the warm-up's own size (512): the image a viewer sends next may be any size.
const width = 300;
const height = 420;
const image = () => ({ data: quantise16(syntheticBreast(width, height, 11, 'right', 0.02), 12), width, height, bitsStored: 12 });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// diagnostics() is internal (bench/ and tests): the worker's finished warm-up checks and the last one's size.
type Diagnostics = { warmUpChecks: number; warmUpSize: unknown };
const diagnostics = (guard: object) => (guard as { diagnostics(): Promise<Diagnostics> }).diagnostics();
/** Kills the guard's current worker and waits until the guard has noticed (a pending check rejects). */
async function kill(guard: Guard, worker: Worker) {
  const pending = guard.check(image());
  worker.terminate();
  assert((await rejection(pending, 'check on the killed worker')).code === 'worker-lost', 'worker-lost');
}
/** Kills the guard's worker, starts the next one and fails with `what` if a warm-up runs there within 1.5 s. */
async function killedAndNotWarmed(guard: Guard, worker: Worker, what: string) {
  await kill(guard, worker);
  await guard.info();
  // Time for a few checks of the fixture models.
  await pause(1500);
  assert((await diagnostics(guard)).warmUpChecks === 0, what);
}

/** What a check computed, without its timings and audit times. */
function values(report: Report) {
  return {
    score: report.cad.score,
    decision: report.decision,
    verdict: report.integrity.verdict,
    integrityScore: report.integrity.score,
    signals: report.integrity.signals.map((s) => [s.id, s.value, s.flagged]),
    cadHeatmap: Array.from(report.cad.heatmap?.data ?? []),
    integrityHeatmap: Array.from(report.integrity.heatmap?.data ?? []),
  };
}

describe('warmUp', () => {
  it('runs the asked checks, and a check after it computes exactly what a cold guard computes (default models)', async () => {
    const options = { manifestUrl: '/dist/models/manifest.json', backend: 'wasm' as const };
    const cold = await createGuard(options);
    let coldValues;
    try {
      coldValues = values(await cold.check(image()));
    } finally {
      await cold.dispose();
    }
    const warm = await createGuard(options);
    try {
      const result = await warm.warmUp({ checks: 2 });
      assert(result.stopped === 'done', `stopped ${result.stopped}`);
      assert(result.checkMs.length === 2 && result.checkMs.every((ms) => ms > 0), `checkMs ${JSON.stringify(result.checkMs)}`);
      const warmValues = values(await warm.check(image()));
      assert(coldValues.signals.length >= 6, `signals ${JSON.stringify(coldValues.signals)}`);
      assert(JSON.stringify(warmValues) === JSON.stringify(coldValues), `after a warm-up ${JSON.stringify(warmValues).slice(0, 400)} vs cold ${JSON.stringify(coldValues).slice(0, 400)}`);
    } finally {
      await warm.dispose();
    }
  });

  it('gives way to a check asked for meanwhile', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      const warming = guard.warmUp({ checks: 50 });
      const report = await guard.check(image());
      const result = await warming;
      assert(report.decision !== undefined, 'the check resolved');
      assert(result.stopped === 'check-waiting', `stopped ${result.stopped}`);
      assert(result.checkMs.length < 50, `${result.checkMs.length} warm-up checks ran`);
    } finally {
      await guard.dispose();
    }
  });

  it('rejects bad options and aborted or disposed warm-ups with stable codes; the guard still checks after an abort', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      for (const checks of [0, 51, 1.5, Number.NaN]) {
        const error = await rejection(guard.warmUp({ checks }), `checks ${checks}`);
        assert(error.code === 'invalid-input' && error.message.includes('1 to 50'), `checks ${checks}: ${error.code} ${error.message}`);
      }
      for (const side of [63, 16385, 300.5, Number.NaN]) {
        for (const name of ['width', 'height'] as const) {
          const error = await rejection(guard.warmUp({ [name]: side }), `${name} ${side}`);
          assert(error.code === 'invalid-input' && error.message.includes(`warmUp ${name}`) && error.message.includes('64 to 16384'), `${name} ${side}: ${error.code} ${error.message}`);
        }
      }
      const pre = new AbortController();
      pre.abort();
      assert((await rejection(guard.warmUp({ signal: pre.signal }), 'pre-aborted warm-up')).code === 'aborted', 'pre-aborted');
      const controller = new AbortController();
      const warming = guard.warmUp({ checks: 50, signal: controller.signal });
      controller.abort();
      const error = await rejection(warming, 'aborted warm-up');
      assert(error.name === 'GuardError' && error.code === 'aborted' && error.message.includes('warm-up'), `${error.code}: ${error.message}`);
      assert((await guard.check(image())).decision !== undefined, 'the guard still checks');
    } finally {
      await guard.dispose();
    }
    assert((await rejection(guard.warmUp(), 'warm-up after dispose')).code === 'disposed', 'disposed');
  });

  it('checks an image of the size asked for (512x512 unless told)', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    // diagnostics() is internal (bench/ and tests): the size of the last warm-up image the worker checked.
    const size = async () => (await (guard as unknown as { diagnostics(): Promise<{ warmUpSize: unknown }> }).diagnostics()).warmUpSize;
    try {
      assert((await guard.warmUp({ checks: 1 })).checkMs.length === 1, 'one check');
      assert(JSON.stringify(await size()) === '{"width":512,"height":512}', `default size ${JSON.stringify(await size())}`);
      assert((await guard.warmUp({ checks: 1, width, height })).stopped === 'done', 'sized warm-up done');
      assert(JSON.stringify(await size()) === `{"width":${width},"height":${height}}`, `asked size ${JSON.stringify(await size())}`);
      assert((await guard.check(image())).decision !== undefined, 'the guard checks after it');
    } finally {
      await guard.dispose();
    }
  });

  it('stops in the worker when aborted after it started (no check comes to stop it)', async () => {
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    // diagnostics() is internal (bench/ and tests): it counts the worker's finished warm-up checks.
    const done = async () => (await (guard as unknown as { diagnostics(): Promise<{ warmUpChecks: number }> }).diagnostics()).warmUpChecks;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      const controller = new AbortController();
      const warming = guard.warmUp({ checks: 50, signal: controller.signal });
      for (let tries = 0; tries < 600 && (await done()) < 2; tries++) await pause(50);
      assert((await done()) >= 2, 'the warm-up started');
      controller.abort();
      assert((await rejection(warming, 'aborted warm-up')).code === 'aborted', 'aborted');
      const atAbort = await done();
      // Long enough for several more checks of the tiny fixture models had the worker gone on.
      await pause(1500);
      const later = await done();
      assert(later - atAbort <= 1 && later < 50, `${atAbort} warm-up checks at the abort, ${later} after 1.5 s: the worker went on`);
    } finally {
      await guard.dispose();
    }
  });

  it('is repeated by a restarted worker, unless a later one was aborted', async () => {
    const capture = captureWorkers();
    const warmed = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    const plain = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      assert((await warmed.warmUp({ checks: 2, width, height })).stopped === 'done', 'first warm-up done');
      await kill(warmed, capture.workers[0]);
      await kill(plain, capture.workers[1]);
      // The first call after the loss starts the fresh worker; the warm-up follows it there.
      assert((await warmed.check(image())).decision !== undefined, 'the fresh worker checks');
      await plain.info();
      let after = await diagnostics(warmed);
      for (let tries = 0; tries < 600 && after.warmUpChecks < 2; tries++) {
        await pause(50);
        after = await diagnostics(warmed);
      }
      assert(after.warmUpChecks === 2, `warm-up checks on the fresh worker: ${after.warmUpChecks}`);
      assert(JSON.stringify(after.warmUpSize) === `{"width":${width},"height":${height}}`, `size ${JSON.stringify(after.warmUpSize)}`);
      // Time for a few checks of the fixture models: none come on a guard that was never warmed up.
      await pause(1500);
      assert((await diagnostics(plain)).warmUpChecks === 0, 'a guard never warmed up is not warmed up by a restart');
      // An aborted warm-up is not repeated.
      const controller = new AbortController();
      const aborting = warmed.warmUp({ checks: 50, signal: controller.signal });
      controller.abort();
      assert((await rejection(aborting, 'aborted warm-up')).code === 'aborted', 'aborted');
      await killedAndNotWarmed(warmed, capture.workers[2], 'the aborted warm-up was repeated');
      assert(capture.workers.length === 5, `workers spawned: ${capture.workers.length}`);
    } finally {
      capture.restore();
      await warmed.dispose();
      await plain.dispose();
    }
  });

  it('is not repeated again once a repeat failed', async () => {
    const capture = captureWorkers();
    const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'wasm' });
    try {
      assert((await guard.warmUp({ checks: 50, width: 64, height: 64 })).stopped === 'done', 'warm-up done');
      await kill(guard, capture.workers[0]);
      await guard.info();
      // The repeat is running on the fresh worker: take that worker down too.
      for (let tries = 0; tries < 600 && (await diagnostics(guard)).warmUpChecks < 1; tries++) await pause(20);
      assert((await diagnostics(guard)).warmUpChecks >= 1, 'the repeat started');
      await killedAndNotWarmed(guard, capture.workers[1], 'a warm-up whose repeat failed was repeated again');
      assert(capture.workers.length === 3, `workers spawned: ${capture.workers.length}`);
    } finally {
      capture.restore();
      await guard.dispose();
    }
  });
});
