import { GuardError } from '../errors.js';
import type { Backend, FaultInjection, GuardEvent } from '../protocol.js';
import type { BackendPlan } from './backend.js';
import type { Manifest } from './manifest.js';
import { BackendFault, ModelSession, type ModelOutputs } from './model-session.js';

/** Runs a model by id on the backend of the current attempt. */
export type RunModel = (modelId: string, input: Float32Array, batch?: number) => Promise<ModelOutputs>;

/** Result of one check's model work, with the backend that produced it. */
export interface EngineResult<T> {
  result: T;
  backend: Backend;
  fallback?: { from: Backend; reason: string };
}

/**
 * Owns the sessions of every model on the active backend and moves to WASM, visibly, when WebGPU fails
 * validation at start-up or misbehaves at run time. Callers serialise `runCheck`: onnxruntime-web rejects a
 * second `run()` on a session that is still running ("Session already started").
 */
export class Engine {
  private readonly sessions = new Map<Backend, Map<string, ModelSession>>();
  private webgpuChecks = 0;

  private constructor(
    private readonly manifest: Manifest,
    private readonly bytes: Map<string, Uint8Array>,
    private readonly faults: FaultInjection,
    private readonly emit: (event: GuardEvent) => void,
    public backend: Backend,
    public reason: string,
  ) {}

  /** Creates and validates sessions on the first backend of the plan that passes. */
  static async start(manifest: Manifest, bytes: Map<string, Uint8Array>, plan: BackendPlan, faults: FaultInjection, emit: (event: GuardEvent) => void): Promise<Engine> {
    const engine = new Engine(manifest, bytes, faults, emit, plan.order[0], plan.reason);
    const failures: string[] = [];
    for (const backend of plan.order) {
      try {
        await engine.open(backend);
        engine.backend = backend;
        engine.reason = failures.length > 0 ? failures.join('; ') : plan.reason || (backend === 'webgpu' ? 'WebGPU adapter passed validation' : 'requested');
        emit({ type: 'backend-selected', backend, reason: engine.reason });
        return engine;
      } catch (error) {
        if (!(error instanceof BackendFault)) throw error;
        failures.push(error.message);
      }
    }
    throw new GuardError('backend-unavailable', `no backend could run the models: ${failures.join('; ')}`);
  }

  /** Creates every model's session on `backend` and runs its validation input; a mismatch is a BackendFault. */
  private async open(backend: Backend): Promise<Map<string, ModelSession>> {
    const existing = this.sessions.get(backend);
    if (existing) return existing;
    const opened = new Map<string, ModelSession>();
    try {
      for (const model of this.manifest.models) {
        const session = await ModelSession.create(model, this.bytes.get(model.id)!, backend);
        opened.set(model.id, session);
        const mismatch = await session.validate(backend === 'webgpu' && Boolean(this.faults.webgpuValidation));
        if (mismatch) {
          if (backend === 'wasm') {
            throw new GuardError('model-load', `model ${model.id} does not reproduce its manifest's validation output on WASM (${mismatch}): the manifest and the model file do not belong together`);
          }
          throw new BackendFault(backend, `validation failed on ${backend}: ${mismatch}`);
        }
      }
    } catch (error) {
      await Promise.all([...opened.values()].map((s) => s.release().catch(() => undefined)));
      throw error;
    }
    this.sessions.set(backend, opened);
    return opened;
  }

  /**
   * Runs one check's model work on the active backend. A WebGPU fault re-runs the whole work on WASM (never mixing
   * backends in one report), switches over for good, and says so in an event and in the result.
   */
  async runCheck<T>(work: (run: RunModel) => Promise<T>): Promise<EngineResult<T>> {
    const backend = this.backend;
    let corrupt: 'error' | 'nan' | undefined;
    if (backend === 'webgpu') {
      this.webgpuChecks++;
      if (this.faults.webgpuRuntime?.atCheck === this.webgpuChecks) corrupt = this.faults.webgpuRuntime.kind;
    }
    try {
      return { result: await work(this.runner(backend, corrupt)), backend };
    } catch (error) {
      if (!(error instanceof BackendFault)) throw error;
      if (backend === 'wasm') throw new GuardError('check-failed', `the check could not be completed: ${error.message}`);
      const reason = error.message;
      await this.open('wasm');
      this.backend = 'wasm';
      this.reason = `switched from WebGPU after a run-time failure: ${reason}`;
      this.emit({ type: 'backend-fallback', from: 'webgpu', to: 'wasm', reason });
      await this.closeBackend('webgpu');
      try {
        return { result: await work(this.runner('wasm')), backend: 'wasm', fallback: { from: 'webgpu', reason } };
      } catch (retryError) {
        if (retryError instanceof BackendFault) throw new GuardError('check-failed', `the check failed on WebGPU (${reason}) and on WASM (${retryError.message})`);
        throw retryError;
      }
    }
  }

  private runner(backend: Backend, corrupt?: 'error' | 'nan'): RunModel {
    const sessions = this.sessions.get(backend)!;
    return (modelId, input, batch) => sessions.get(modelId)!.run(input, batch, corrupt);
  }

  private async closeBackend(backend: Backend): Promise<void> {
    const sessions = this.sessions.get(backend);
    this.sessions.delete(backend);
    if (sessions) await Promise.all([...sessions.values()].map((s) => s.release().catch(() => undefined)));
  }

  /** Releases every session. */
  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((backend) => this.closeBackend(backend)));
  }
}
