import { GuardError } from '../errors.js';
import type { Backend } from '../protocol.js';
import type { ModelEntry } from './manifest.js';
import { ort } from './runtime.js';
import { compareOutput, sincosInput } from './validation.js';

/** Outputs of one run, by output name, copied out of onnxruntime's buffers. */
export type ModelOutputs = Record<string, Float32Array>;

/** A run on a backend that must not be trusted (error, device loss, or outputs out of the declared range). */
export class BackendFault extends Error {
  constructor(readonly backend: Backend, message: string) {
    super(message);
  }
}

/** One model on one backend: an onnxruntime session created from verified bytes and validated before first use. */
export class ModelSession {
  private constructor(
    readonly model: ModelEntry,
    readonly backend: Backend,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Creates the session; throws {@link BackendFault} if the backend cannot run the model. */
  static async create(model: ModelEntry, bytes: Uint8Array, backend: Backend): Promise<ModelSession> {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [backend],
        graphOptimizationLevel: 'all',
      });
      const missing = model.outputs.map((o) => o.name).filter((name) => !session.outputNames.includes(name));
      if (!session.inputNames.includes(model.input.name) || missing.length > 0) {
        await session.release();
        throw new GuardError(
          'model-load',
          `model ${model.id} does not match its manifest: inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]; manifest expects input ${model.input.name} and outputs ${model.outputs.map((o) => o.name).join(', ')}`,
        );
      }
      return new ModelSession(model, backend, session);
    } catch (error) {
      if (error instanceof GuardError) throw error;
      throw new BackendFault(backend, `${backend} could not create a session for ${model.id}: ${(error as Error).message}`);
    }
  }

  /**
   * Runs a batch of `batch` tensors (each [1, H, W] flat). Outputs are checked: non-finite or out-of-range values
   * throw {@link BackendFault}, so a broken GPU never yields a fabricated score.
   */
  async run(input: Float32Array, batch = 1, corrupt?: 'error' | 'nan'): Promise<ModelOutputs> {
    const [, channels, height, width] = this.model.input.shape;
    const feed = new ort.Tensor('float32', input, [batch, channels, height, width]);
    let results: ort.InferenceSession.ReturnType;
    try {
      if (corrupt === 'error') throw new Error('injected fault: GPU device lost');
      results = await this.session.run({ [this.model.input.name]: feed });
    } catch (error) {
      throw new BackendFault(this.backend, `${this.model.id} failed on ${this.backend}: ${(error as Error).message}`);
    }
    const outputs: ModelOutputs = {};
    for (const spec of this.model.outputs) {
      const tensor = results[spec.name];
      const data = new Float32Array(tensor.data as Float32Array);
      tensor.dispose();
      if (corrupt === 'nan') data.fill(Number.NaN);
      const [low, high] = spec.range;
      for (let i = 0; i < data.length; i++) {
        const value = data[i];
        if (!(value >= low - 1e-6 && value <= high + 1e-6)) {
          throw new BackendFault(this.backend, `${this.model.id} output ${spec.name}[${i}] = ${value} on ${this.backend} is outside its range [${low}, ${high}]`);
        }
      }
      outputs[spec.name] = data;
    }
    return outputs;
  }

  /** Runs the manifest's validation input; returns the first mismatch, or null when the outputs reproduce. */
  async validate(corrupt = false): Promise<string | null> {
    const [, , height, width] = this.model.input.shape;
    const outputs = await this.run(sincosInput(height, width));
    const { expected, tolerance } = this.model.validation;
    for (const [name, values] of Object.entries(expected)) {
      const actual = outputs[name];
      if (!actual) return `${this.model.id} has no output ${name}`;
      if (corrupt) actual.forEach((v, i) => (actual[i] = v + 0.1 + 10 * tolerance));
      const mismatch = compareOutput(`${this.model.id}.${name}`, actual, values, tolerance);
      if (mismatch) return mismatch;
    }
    return null;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
