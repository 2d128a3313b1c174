import * as Comlink from 'comlink';
import { GuardError } from './errors.js';
import { fromRawPixels } from './input/raw-pixels.js';
import { MAX_DIMENSION } from './input/stored-image.js';
import type { WireImage } from './input/decode.js';
import { resolvePolicy } from './policy.js';
import type { CheckOptions, GuardEvent, GuardInfo, GuardOptions, ImageInput, RawPixels, Report, ViewerImage, ViewerWire, WarmUpOptions, WarmUpReport, WorkerApi, WorkerDiagnostics, WorkerInitOptions } from './protocol.js';
import { installErrorTransfer } from './wire.js';
import { ALIVE_MESSAGE } from './worker/life-lock.js';

/** A running guard: one worker with its models loaded, verified and validated. */
export interface Guard {
  /**
   * Checks one image. Pixel buffers are transferred to the worker (the caller's array is detached afterwards);
   * pass `{transfer: false}` in `options` to copy instead. Rejects with a {@link GuardError}, never answers
   * `'show'` for an image it could not check completely.
   */
  check(image: ImageInput, options?: CheckOptions & { transfer?: boolean }): Promise<Report>;
  /**
   * Runs a few checks of a built-in synthetic image (no data of yours, nothing fetched) so that the first check of
   * a real image runs at the guard's steady speed: right after a start the browser still runs the models and
   * kernels on unoptimised code, and the first checks take several times a later one. Call it when the viewer is
   * idle (after login, before the worklist opens); it gives way to `check()`: a check asked for meanwhile waits for
   * at most the one warm-up check already running. Give it the size of the viewer's usual images: a check of
   * another size sets up its own working buffers on its first run. A worker that had to be restarted
   * (`'worker-restarted'` event) repeats the last warm-up that finished once it is ready, in the background and giving
   * way to checks like any warm-up, so the viewer is not left with a cold guard after a crash; not after a later
   * warm-up was aborted, and never again once a repeat has failed (a warm-up that takes the worker down is not
   * repeated on every restart).
   *
   * @example
   * ```ts
   * const guard = await createGuard();
   * void guard.warmUp({ width: 3328, height: 4096 }); // or await it, e.g. behind the viewer's own start-up screen
   * ```
   */
  warmUp(options?: WarmUpOptions): Promise<WarmUpReport>;
  /** The backend in use and why, the adapter, threads, isolation, and each model's identity. */
  info(): Promise<GuardInfo>;
  /** Releases the sessions, then the proxy, then terminates the worker. Pending checks reject with `'disposed'`. */
  dispose(): Promise<void>;
}

interface Generation {
  worker: Worker;
  remote: Comlink.Remote<WorkerApi>;
  ready: Promise<GuardInfo>;
  pending: Set<(error: Error) => void>;
  dead: GuardError | null;
}

let errorTransferInstalled = false;

const aborted = (what: string) => new GuardError('aborted', `the ${what} was aborted`);

/**
 * `warmUp()`'s checks unless told otherwise, and the most it takes. Checked here, on the main thread: the worker only
 * makes the image (src/worker/warm-up.ts), so the page's bundle does not carry its generator.
 */
const WARM_UP_CHECKS = 6;
const WARM_UP_MAX_CHECKS = 50;
/**
 * The warm-up image's default side (the bundled classifier's input size) and the smallest it takes: below that the
 * synthetic breast has too few pixels to run every signal as on a mammogram.
 */
const WARM_UP_SIDE = 512;
const WARM_UP_MIN_SIDE = 64;

/** A `warmUp()` option: `fallback` when absent, else an integer from `min` to `max`, or `invalid-input`. */
function warmUpOption(name: keyof WarmUpOptions, value: number | undefined, fallback: number, min: number, max: number, unit = ''): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GuardError('invalid-input', `warmUp ${name} must be an integer from ${min} to ${max}${unit}, got ${String(value)}`);
  }
  return value;
}

/**
 * Starts a guard: spawns its module worker, loads the models named by the manifest, checks their SHA-256,
 * chooses the backend (validating WebGPU against the manifest's expected outputs) and resolves once ready.
 *
 * @example
 * ```ts
 * const guard = await createGuard({ onProgress: (p) => bar.update(p.loaded / (p.total ?? 1)) });
 * const report = await guard.check(pngBlob);
 * if (report.decision === 'show') showCadMarks(report.cad);
 * ```
 */
export async function createGuard(options: GuardOptions = {}): Promise<Guard> {
  if (!errorTransferInstalled) {
    installErrorTransfer();
    errorTransferInstalled = true;
  }
  const client = new GuardClient(options);
  await client.start();
  return client;
}

class GuardClient implements Guard {
  private readonly init: WorkerInitOptions;
  private current: Generation | null = null;
  private disposed = false;
  private nextId = 1;
  /** The last warm-up that finished (null when none, after an aborted one, or once a repeat failed): a restarted worker repeats it. */
  private lastWarmUp: { checks: number; width: number; height: number } | null = null;

  constructor(private readonly options: GuardOptions) {
    this.init = {
      backend: options.backend ?? 'auto',
      manifestUrl: new URL(options.manifestUrl ?? './models/manifest.json', import.meta.url).href,
      assetBase: new URL(options.assetBase ?? './', import.meta.url).href,
      threads: options.threads ?? Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1),
      allowSoftwareAdapter: options.allowSoftwareAdapter ?? false,
      policy: resolvePolicy(options.policy),
      faultInjection: options.faultInjection ?? {},
      cache: options.cache ?? true,
      lifeLock: null,
    };
    if (!Number.isInteger(this.init.threads) || this.init.threads < 1) {
      throw new GuardError('invalid-input', `threads must be a positive integer, got ${String(options.threads)}`);
    }
  }

  async start(): Promise<void> {
    const generation = this.spawn();
    try {
      await generation.ready;
    } catch (error) {
      this.kill(generation);
      throw error;
    }
  }

  private emit(event: GuardEvent): void {
    this.options.onEvent?.(event);
  }

  private spawn(): Generation {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'cadguard' });
    const remote = Comlink.wrap<WorkerApi>(worker);
    const lifeLock = globalThis.navigator?.locks ? `cadguard-${crypto.randomUUID()}` : null;
    const generation: Generation = { worker, remote, ready: Promise.resolve(null as never), pending: new Set(), dead: null };
    worker.addEventListener('message', (event: MessageEvent) => {
      if (event.data?.type === ALIVE_MESSAGE && lifeLock) {
        void navigator.locks.request(lifeLock, () => this.lost(generation, 'the worker stopped (it crashed, ran out of memory or was terminated)'));
      }
    });
    // An uncaught error leaves the worker in an unknown state: it is replaced rather than trusted.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.lost(generation, `the worker failed: ${event.message || 'it could not be loaded (check that worker.js is served next to index.js)'}`);
    });
    const callbacks = {
      progress: (progress: Parameters<NonNullable<GuardOptions['onProgress']>>[0]) => this.options.onProgress?.(progress),
      event: (event: GuardEvent) => this.emit(event),
    };
    generation.ready = this.track(generation, remote.init({ ...this.init, lifeLock }, Comlink.proxy(callbacks)));
    this.current = generation;
    return generation;
  }

  /** Rejects with `worker-lost` if the generation dies while the call is pending. */
  private track<T>(generation: Generation, call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (generation.dead) return reject(generation.dead);
      generation.pending.add(reject);
      call.then(resolve, reject).finally(() => generation.pending.delete(reject));
    });
  }

  private lost(generation: Generation, reason: string): void {
    if (generation.dead) return;
    this.kill(generation, new GuardError('worker-lost', `${reason}; pending calls were rejected and the next check starts a fresh worker`));
  }

  private kill(generation: Generation, error = new GuardError('disposed', 'the guard was disposed')): void {
    if (!generation.dead) generation.dead = error;
    for (const reject of generation.pending) reject(generation.dead);
    generation.pending.clear();
    generation.worker.terminate();
    if (this.current === generation) this.current = null;
  }

  /** The live generation, starting a fresh worker if the last one died. */
  private async live(): Promise<Generation> {
    if (this.disposed) throw new GuardError('disposed', 'the guard was disposed; create a new one with createGuard()');
    let generation = this.current;
    if (!generation) {
      generation = this.spawn();
      this.emit({ type: 'worker-restarted', reason: 'the previous worker was lost' });
      this.rewarm(generation);
    }
    await generation.ready;
    return generation;
  }

  /**
   * Repeats the last warm-up on a restarted worker once it is ready. A task later, so that the call that restarted it
   * reaches the worker first: the warm-up then runs behind it instead of delaying it. Nobody awaits it; if it fails
   * (the worker lost again, perhaps by the warm-up itself), it is not repeated again.
   */
  private rewarm(generation: Generation): void {
    const last = this.lastWarmUp;
    if (!last) return;
    generation.ready.then(
      () =>
        setTimeout(() => {
          if (this.current !== generation || generation.dead) return;
          const id = this.nextId++;
          this.track(generation, generation.remote.warmUp({ id, ...last })).catch(() => {
            if (this.lastWarmUp === last) this.lastWarmUp = null;
          });
        }, 0),
      () => undefined,
    );
  }

  async check(image: ImageInput, options: CheckOptions & { transfer?: boolean } = {}): Promise<Report> {
    if (options.signal?.aborted) throw aborted('check');
    const voiIndex = options.voiIndex ?? 0;
    if (!Number.isInteger(voiIndex) || voiIndex < 0) throw new GuardError('invalid-input', `voiIndex must be an integer >= 0, got ${String(options.voiIndex)}`);
    const { wire, transfers } = toWire(image, options.transfer ?? true);
    const id = this.nextId++;
    const request = { id, image: wire, expectedPixelSha256: options.expectedPixelSha256 ?? null, heatmap: options.heatmap ?? true, voiIndex, integrity: options.integrity ?? true };
    return this.send(id, 'check', options.signal, (remote) =>
      remote.check(Comlink.transfer(request, transfers)).catch((error: unknown) => {
        if (error instanceof DOMException && error.name === 'DataCloneError') {
          throw new GuardError('invalid-input', `the image cannot be sent to the worker: ${error.message}`);
        }
        throw error;
      }),
    );
  }

  async warmUp(options: WarmUpOptions = {}): Promise<WarmUpReport> {
    if (options.signal?.aborted) throw aborted('warm-up');
    // `checks: null` has always meant the default (the sides take only undefined).
    const checks = warmUpOption('checks', options.checks ?? undefined, WARM_UP_CHECKS, 1, WARM_UP_MAX_CHECKS);
    const width = warmUpOption('width', options.width, WARM_UP_SIDE, WARM_UP_MIN_SIDE, MAX_DIMENSION, ' pixels');
    const height = warmUpOption('height', options.height, WARM_UP_SIDE, WARM_UP_MIN_SIDE, MAX_DIMENSION, ' pixels');
    const id = this.nextId++;
    const asked = { checks, width, height };
    // A warm-up the viewer called off is not one to repeat, nor is an earlier one.
    const forget = () => (this.lastWarmUp = null);
    options.signal?.addEventListener('abort', forget, { once: true });
    try {
      const report = await this.send(id, 'warm-up', options.signal, (remote) => remote.warmUp({ id, ...asked }));
      // Only one that finished: a warm-up that failed (or took its worker down) is not repeated on the next worker.
      this.lastWarmUp = asked;
      return report;
    } finally {
      options.signal?.removeEventListener('abort', forget);
    }
  }

  /**
   * Sends call `id` to the live worker; rejects with `worker-lost` if the worker dies meanwhile, and with `aborted`
   * when `signal` fires (the worker is told, so a queued call never starts).
   */
  private send<T>(id: number, what: string, signal: AbortSignal | undefined, call: (remote: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
    let sentTo: Generation | null = null;
    const work = (async () => {
      const generation = await this.live();
      if (signal?.aborted) throw aborted(what);
      sentTo = generation;
      return this.track(generation, call(generation.remote));
    })();
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        sentTo?.remote.cancel(id).catch(() => undefined);
        reject(aborted(what));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async info(): Promise<GuardInfo> {
    const generation = await this.live();
    return this.track(generation, generation.remote.info());
  }

  /**
   * Diagnostic for bench/ (memory and start-up profile of the worker). Not part of the {@link Guard} interface and
   * not a public API: it may change or go away in any release.
   * @internal
   */
  async diagnostics(): Promise<WorkerDiagnostics> {
    const generation = await this.live();
    return this.track(generation, generation.remote.diagnostics());
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const generation = this.current;
    if (!generation) return;
    const released = generation.remote.dispose().catch(() => undefined);
    await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 2000))]);
    generation.remote[Comlink.releaseProxy]();
    this.kill(generation);
  }
}

/** Prepares an input for the trip to the worker: what is transferred, and ImageData as its bytes. */
function toWire(image: ImageInput, transfer: boolean): { wire: WireImage; transfers: Transferable[] } {
  const transferable = (buffer: ArrayBufferLike): Transferable[] =>
    transfer && buffer instanceof ArrayBuffer && buffer.byteLength > 0 ? [buffer] : [];
  if (typeof ImageData !== 'undefined' && image instanceof ImageData) {
    return { wire: { rgba: image.data, width: image.width, height: image.height }, transfers: transferable(image.data.buffer) };
  }
  if (image instanceof ArrayBuffer) return { wire: image, transfers: transferable(image) };
  if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) return { wire: image, transfers: transfer ? [image] : [] };
  if (typeof Blob !== 'undefined' && image instanceof Blob) return { wire: image, transfers: [] };
  if (typeof image === 'object' && image !== null && typeof (image as ViewerImage).getPixelData === 'function') return { wire: viewerWire(image as ViewerImage), transfers: [] };
  if (typeof image === 'object' && image !== null && 'data' in image) {
    // Validated here as well, so a malformed request fails before its buffer is detached.
    fromRawPixels(image as RawPixels);
    const raw = image as RawPixels;
    return { wire: raw, transfers: transferable(raw.data.buffer) };
  }
  // Anything else goes to the worker as is and is refused there with the full list of accepted inputs.
  return { wire: image as WireImage, transfers: [] };
}

/**
 * A viewer's decoded image, read on the main thread (its `getPixelData()` cannot cross to the worker). The pixels
 * are copied, not transferred: the viewer is still displaying them.
 */
function viewerWire(image: ViewerImage): ViewerWire {
  const list = (value: number | number[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value.map(Number) : [Number(value)]);
  const scaled = image.preScale?.scaled === true;
  let data: ViewerWire['viewer']['data'];
  try {
    data = image.getPixelData();
  } catch (error) {
    throw new GuardError('invalid-input', `the viewer image's getPixelData() threw: ${(error as Error)?.message ?? String(error)}`);
  }
  return {
    viewer: {
      data,
      width: image.columns,
      height: image.rows,
      slope: scaled ? 1 : image.slope ?? 1,
      intercept: scaled ? 0 : image.intercept ?? 0,
      windowCenter: list(image.windowCenter),
      windowWidth: list(image.windowWidth),
      voiLUTFunction: image.voiLUTFunction ?? 'LINEAR',
      invert: image.invert === true,
    },
  };
}
