import { createGuard, type GuardEvent, type Report } from '../dist/index.js';
import { assert, assertClose, fixtureManifest, maxAbsDiff, quantise8, syntheticBreast } from './support/helpers.js';

const width = 320;
const height = 256;

function image(seed = 1) {
  return { data: quantise8(syntheticBreast(width, height, seed)), width, height };
}

async function checkOnce(options: Parameters<typeof createGuard>[0]): Promise<{ report: Report; info: Awaited<ReturnType<Awaited<ReturnType<typeof createGuard>>['info']>> }> {
  const guard = await createGuard({ manifestUrl: fixtureManifest, ...options });
  try {
    const report = await guard.check(image());
    return { report, info: await guard.info() };
  } finally {
    await guard.dispose();
  }
}

describe('backends', () => {
  it('runs the same model on WebGPU and on WASM with 1 and 2 threads, agreeing within 1e-4', async () => {
    const gpu = await checkOnce({ backend: 'webgpu' });
    const one = await checkOnce({ backend: 'wasm', threads: 1 });
    const two = await checkOnce({ backend: 'wasm', threads: 2 });
    assert(gpu.report.backend === 'webgpu' && gpu.info.backend === 'webgpu', 'WebGPU ran');
    assert(one.info.threads === 1, `1 thread, got ${one.info.threads}`);
    assert(two.info.crossOriginIsolated, 'the test page is cross-origin isolated');
    assert(two.info.threads === 2, `2 threads, got ${two.info.threads}`);
    for (const other of [one, two]) {
      assert(other.report.backend === 'wasm', 'WASM ran');
      assertClose(gpu.report.cad.score, other.report.cad.score, 1e-4, 'score');
      const diff = maxAbsDiff(gpu.report.cad.heatmap!.data, other.report.cad.heatmap!.data);
      assert(diff <= 1e-4, `heatmaps differ by ${diff}`);
    }
    assert(gpu.info.adapter !== null, 'adapter info is reported');
  });

  it("'auto' skips a software adapter for WASM and says why", async () => {
    const { info } = await checkOnce({});
    assert(info.backend === 'wasm', `backend ${info.backend}`);
    assert(/software WebGPU adapter/.test(info.reason), info.reason);
    assert(info.adapter?.isFallbackAdapter === true, 'the adapter is reported as a fallback adapter');
  });

  it("'auto' uses a validated software adapter when allowed", async () => {
    const { info } = await checkOnce({ allowSoftwareAdapter: true });
    assert(info.backend === 'webgpu', `backend ${info.backend}: ${info.reason}`);
  });

  it("'auto' falls back to WASM when WebGPU is absent", async () => {
    const events: GuardEvent[] = [];
    const { info, report } = await checkOnce({ allowSoftwareAdapter: true, faultInjection: { webgpuAbsent: true }, onEvent: (e) => events.push(e) });
    assert(info.backend === 'wasm' && report.backend === 'wasm', 'WASM ran');
    assert(/not available/.test(info.reason), info.reason);
    assert(info.adapter === null, 'no adapter');
    assert(events.some((e) => e.type === 'backend-selected' && e.backend === 'wasm'), 'event says wasm');
  });

  it("'auto' falls back to WASM when WebGPU fails validation", async () => {
    const { info } = await checkOnce({ allowSoftwareAdapter: true, faultInjection: { webgpuValidation: true } });
    assert(info.backend === 'wasm', `backend ${info.backend}`);
    assert(/validation failed on webgpu/.test(info.reason), info.reason);
  });

  it("'webgpu' requested where WebGPU is absent is a backend-unavailable error", async () => {
    let code = '';
    try {
      await createGuard({ manifestUrl: fixtureManifest, backend: 'webgpu', faultInjection: { webgpuAbsent: true } });
    } catch (error) {
      code = (error as { code: string }).code;
    }
    assert(code === 'backend-unavailable', `code ${code}`);
  });

  for (const kind of ['nan', 'error'] as const) {
    it(`re-runs a check on WASM when WebGPU fails at run time (${kind}) and reports it`, async () => {
      const events: GuardEvent[] = [];
      const guard = await createGuard({ manifestUrl: fixtureManifest, backend: 'webgpu', faultInjection: { webgpuRuntime: { atCheck: 2, kind } }, onEvent: (e) => events.push(e) });
      try {
        const first = await guard.check(image());
        assert(first.backend === 'webgpu' && !first.fallback, 'first check on WebGPU');
        const second = await guard.check(image());
        assert(second.backend === 'wasm', `second check backend ${second.backend}`);
        assert(second.fallback?.from === 'webgpu' && second.fallback.reason.length > 0, 'report says it fell back');
        assert(second.audit.fallback?.from === 'webgpu', 'audit says it fell back');
        assertClose(second.cad.score, first.cad.score, 1e-4, 'score after fallback');
        assert(events.some((e) => e.type === 'backend-fallback'), 'a backend-fallback event');
        const third = await guard.check(image());
        assert(third.backend === 'wasm' && !third.fallback, 'stays on WASM');
        assert((await guard.info()).backend === 'wasm', 'info says wasm');
      } finally {
        await guard.dispose();
      }
    });
  }
});
