import * as Comlink from 'comlink';
import { integrityStatus } from '../detect/signal-definitions.js';
import { probeWebGpu, planBackends, type WebGpuProbe } from '../engine/backend.js';
import { CheckQueue } from '../engine/check-queue.js';
import { Engine } from '../engine/engine.js';
import { fetchAsset, openAssetCache } from '../engine/fetch-bytes.js';
import { parseManifest, type Manifest } from '../engine/manifest.js';
import { configureRuntime, effectiveThreads, ort } from '../engine/runtime.js';
import { sha256Hex } from '../engine/sha256.js';
import { GuardError, asGuardError } from '../errors.js';
import type { GuardInfo, RawPixels, Report, WarmUpReport, WorkerApi, WorkerCallbacks, WorkerCheckRequest, WorkerDiagnostics, WorkerInitOptions, WorkerWarmUpRequest } from '../protocol.js';
import type { WireImage } from '../input/decode.js';
import { checkImage, type CheckContext } from './check-image.js';
import { holdLifeLock } from './life-lock.js';
import { warmUpImage } from './warm-up.js';

interface Ready {
  engine: Engine;
  manifest: Manifest;
  probe: WebGpuProbe;
  options: WorkerInitOptions;
}

async function loadManifest(url: string): Promise<Manifest> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (error) {
    throw new GuardError('model-load', `could not fetch the model manifest ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new GuardError('model-load', `could not fetch the model manifest ${url}: HTTP ${response.status}`);
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new GuardError('model-load', `the model manifest ${url} is not valid JSON: ${(error as Error).message}`);
  }
  return parseManifest(json, url);
}

/** The worker side of the guard: loads, verifies and validates the models once, then runs checks in order. */
export class GuardWorker implements WorkerApi {
  private ready: Promise<Ready> | null = null;
  private readonly queue = new CheckQueue();
  private disposed = false;
  /** Checks asked for so far: a warm-up stops once this moves. */
  private checksAsked = 0;
  /** Running warm-ups by id, and whether each was cancelled. */
  private readonly warmUps = new Map<number, { cancelled: boolean }>();
  private warmUpChecks = 0;
  private warmUpSize: WorkerDiagnostics['warmUpSize'] = null;
  private readonly startup: WorkerDiagnostics['startup'] = { stages: {}, sources: {} };

  init(options: WorkerInitOptions, callbacks: WorkerCallbacks): Promise<GuardInfo> {
    // Memoised: a failed start stays failed with its cause; the main thread starts a fresh worker to retry.
    this.ready ??= this.start(options, callbacks);
    return this.ready.then((ready) => this.describe(ready));
  }

  private async start(options: WorkerInitOptions, callbacks: WorkerCallbacks): Promise<Ready> {
    const notify = (call: () => Promise<void> | void) => Promise.resolve().then(call).catch(() => undefined);
    let mark = performance.now();
    const stage = (name: string) => {
      const now = performance.now();
      this.startup.stages[name] = (this.startup.stages[name] ?? 0) + now - mark;
      mark = now;
    };
    if (options.lifeLock) await holdLifeLock(options.lifeLock);
    const manifest = await loadManifest(options.manifestUrl);
    stage('manifest');
    let probe: WebGpuProbe =
      options.backend === 'wasm'
        ? { device: null, adapter: null, reason: 'requested' }
        : await probeWebGpu(options.faultInjection);
    const plan = planBackends(options.backend, probe, options.allowSoftwareAdapter);
    if (probe.device && !plan.order.includes('webgpu')) {
      // A device the plan will never use (a skipped software adapter) is given back at once.
      probe.device.destroy();
      probe = { ...probe, device: null };
    }
    stage('webgpuProbe');
    const cache = await openAssetCache(options.cache);
    // The runtime (27 MB) and the models download side by side; each records its own duration, so these two
    // stages overlap rather than add up.
    const assetsStart = mark;
    const timed = async <T>(name: string, work: Promise<T>): Promise<T> => {
      const value = await work;
      this.startup.stages[name] = performance.now() - assetsStart;
      return value;
    };
    const [runtimeSource, bytes] = await Promise.all([
      timed(
        'runtimeFetch',
        configureRuntime({
          assetBase: options.assetBase,
          threads: options.threads,
          device: probe.device,
          onProgress: (loaded, total) => notify(() => callbacks.progress({ asset: 'runtime', loaded, total })),
          cache,
        }),
      ),
      timed(
        'modelFetchAndVerify',
        Promise.all(
          manifest.models.map(async (model) => {
            const onProgress = (loaded: number, total: number | null) => notify(() => callbacks.progress({ asset: model.id, loaded, total }));
            return [model.id, await this.loadModel(model, cache, onProgress)] as const;
          }),
        ).then((entries) => new Map(entries)),
      ),
    ]);
    this.startup.sources.runtime = runtimeSource;
    mark = performance.now();
    const engine = await Engine.start(manifest, bytes, plan, options.faultInjection, (event) => notify(() => callbacks.event(event)));
    stage('sessionsAndValidation');
    return { engine, manifest, probe, options };
  }

  /** Fetches one model (cache first) and verifies its SHA-256 against the manifest before anything runs it. */
  private async loadModel(model: Manifest['models'][number], cache: Cache | null, progress: (loaded: number, total: number | null) => void): Promise<Uint8Array> {
    let { bytes: data, source } = await fetchAsset(model.url, progress, { expectedBytes: model.bytes, cache });
    let digest = await sha256Hex(data);
    if (digest !== model.sha256 && source === 'cache') {
      // A damaged or stale cached copy is dropped and fetched again; the fresh copy faces the same check.
      await cache?.delete(model.url).catch(() => false);
      ({ bytes: data, source } = await fetchAsset(model.url, progress, { expectedBytes: model.bytes, cache, network: true }));
      digest = await sha256Hex(data);
    }
    this.startup.sources[model.id] = source;
    if (digest !== model.sha256) {
      throw new GuardError('model-integrity', `model ${model.id} (${model.url}) has SHA-256 ${digest}, but the manifest says ${model.sha256}; nothing was run. Reinstall the package or fix the manifest.`, {
        model: model.id,
        actual: digest,
        expected: model.sha256,
      });
    }
    return data;
  }

  private describe({ engine, manifest, probe, options }: Ready): GuardInfo {
    return {
      backend: engine.backend,
      reason: engine.reason,
      adapter: probe.adapter,
      threads: engine.backend === 'wasm' ? effectiveThreads(options.threads) : 1,
      crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
      models: manifest.models.map(({ id, version, sha256, role }) => ({ id, version, sha256, role })),
      runtime: ort.env.versions?.web ?? 'unknown',
      integrity: integrityStatus(manifest),
    };
  }

  /** The checks' shared state, once the start has succeeded. */
  private async context(): Promise<CheckContext> {
    if (this.disposed) throw new GuardError('disposed', 'the guard was disposed; create a new one');
    if (!this.ready) throw new GuardError('check-failed', 'the worker was not initialised');
    const ready = await this.ready;
    return { engine: ready.engine, manifest: ready.manifest, policy: ready.options.policy, assetBase: ready.options.assetBase };
  }

  async check(request: WorkerCheckRequest): Promise<Report> {
    this.checksAsked++;
    const context = await this.context();
    return this.queue.add(request.id, async () => {
      try {
        const report = await checkImage(
          context,
          request.image as WireImage,
          request.expectedPixelSha256,
          request.heatmap,
          request.voiIndex ?? 0,
          request.integrity ?? true,
        );
        const buffers = [report.cad.heatmap?.data.buffer, report.integrity.heatmap?.data.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
        return Comlink.transfer(report, buffers);
      } catch (error) {
        throw asGuardError(error, 'check-failed', 'the check could not be completed');
      }
    });
  }

  async warmUp(request: WorkerWarmUpRequest): Promise<WarmUpReport> {
    const context = await this.context();
    const asked = this.checksAsked;
    const state = { cancelled: false };
    this.warmUps.set(request.id, state);
    const checkMs: number[] = [];
    // Made at the first warm-up check, not before: a check that comes first does not wait for it.
    let image: RawPixels | null = null;
    try {
      for (let i = 0; i < request.checks; i++) {
        // A check's own awaits can all settle as microtasks, which keep the worker from reading its messages:
        // a task boundary between warm-up checks lets a viewer's check or a cancel arrive.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (state.cancelled) throw new GuardError('aborted', 'the warm-up was aborted');
        // A viewer's image has come: the warm-up gives way rather than queue ahead of the next one.
        if (this.checksAsked !== asked) return { checkMs, stopped: 'check-waiting' };
        // Through the queue, one check at a time like any other: the sessions reject overlapping runs.
        const ms = await this.queue.add(request.id, async () => {
          const started = performance.now();
          try {
            image ??= warmUpImage(request.width, request.height);
            await checkImage(context, { ...image, data: image.data.slice() }, null, true);
            this.warmUpSize = { width: image.width, height: image.height };
          } catch (error) {
            throw asGuardError(error, 'check-failed', 'a warm-up check failed');
          }
          return performance.now() - started;
        });
        checkMs.push(ms);
        this.warmUpChecks++;
      }
      return { checkMs, stopped: 'done' };
    } finally {
      this.warmUps.delete(request.id);
    }
  }

  cancel(id: number): void {
    this.queue.cancel(id);
    const warmUp = this.warmUps.get(id);
    if (warmUp) warmUp.cancelled = true;
  }

  async info(): Promise<GuardInfo> {
    if (!this.ready) throw new GuardError('check-failed', 'the worker was not initialised');
    return this.describe(await this.ready);
  }

  async diagnostics(): Promise<WorkerDiagnostics> {
    const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
    return {
      jsHeapBytes: memory ? memory.usedJSHeapSize : null,
      startup: { stages: { ...this.startup.stages }, sources: { ...this.startup.sources } },
      warmUpChecks: this.warmUpChecks,
      warmUpSize: this.warmUpSize,
    };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const ready = await this.ready?.catch(() => null);
    await ready?.engine.dispose();
    // Freed now, not whenever the GPU process notices the worker is gone: a guard started right after would
    // otherwise share the (software) GPU with a device nobody uses.
    ready?.probe.device?.destroy();
  }
}
