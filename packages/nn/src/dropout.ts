import { checkHyper, checkOptions, describeValue, HyperParameterError, type Module, onRestore, resolveSeed, StateError, Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkName } from './internal/base.js';

/** Options of `dropout`. @example `{ seed: 42 }` */
export interface DropoutOptions {
  /** Seed of the mask sequence (an integer); default: a fresh random seed (not reproducible). */
  readonly seed?: number;
  /** The module's name, used as its tap name outside a container (default `'dropout'`). */
  readonly name?: string;
}

/**
 * The buffers of a dropout module: where its mask sequence stands, saved and restored by checkpoints.
 *
 * @example
 * ```ts
 * const { rngState } = dropout(0.5, { seed: 1 }).buffers; // int32 [4]: [seed low, seed high, masks low, masks high]
 * ```
 */
export type DropoutBuffers = {
  /**
   * An int32 `[4]` variable: the seed (low 32 bits, then the high bits, signed) and the number of
   * masks drawn so far (low, high). The k-th mask (k from 0) is drawn from `Xoshiro128.fromSeed(seed, k)`.
   */
  readonly rngState: tf.Variable;
};

/**
 * Inverted dropout (see `dropout`): a seeded mask in training, the identity in inference.
 *
 * @example
 * ```ts
 * const drop: Dropout = dropout(0.5, { seed: 1 });
 * drop.rate; // 0.5
 * ```
 */
export interface Dropout extends Module<Record<string, never>> {
  /** Probability p of zeroing an element, in [0, 1). */
  readonly rate: number;
  /** The seed the mask sequence started from (the checkpoint's after `loadCheckpoint`). */
  readonly seed: number;
  /** `{ rngState }`: the seed and the number of masks drawn, which checkpoints save. */
  readonly buffers: DropoutBuffers;
  /** Restarts the mask sequence from `seed` (default: the module's seed), so the next masks repeat the first ones. */
  reseed(seed?: number): void;
}

const TWO_32 = 2 ** 32;
/** A safe integer as two int32 words: its low 32 bits, then the rest (signed). */
const words = (n: number): [number, number] => {
  const high = Math.floor(n / TWO_32);
  return [(n - high * TWO_32) | 0, high];
};
/** The safe integer two int32 words hold (the inverse of `words`). */
const joined = (low: number, high: number): number => high * TWO_32 + (low >>> 0);

class DropoutModule extends BaseModule<Record<string, never>> implements Dropout {
  readonly name: string;
  readonly params: Record<string, never> = {};
  override readonly buffers: DropoutBuffers;
  readonly rate: number;
  /** Host mirror of `rngState`: the seed and the masks drawn, valid while `rngState` still holds `syncedData`. */
  private seedValue: number;
  private count = 0;
  /** The data `rngState` held when the mirror last matched it; `assign` from outside replaces it. */
  private syncedData: object;

  constructor(rate: number, options: DropoutOptions) {
    super();
    if (typeof rate !== 'number')
      throw new HyperParameterError('rate', `dropout(rate, options): rate must be a number in [0, 1) such as 0.5, got ${describeValue(rate)}`);
    this.rate = checkHyper('rate', rate, { min: 0, max: 1, maxExclusive: true });
    const o = checkOptions('dropout', options, ['seed', 'name'], { example: 'dropout(0.5, { seed: 42 })' });
    this.seedValue = resolveSeed(o.seed, 'dropout');
    this.name = checkName(o.name, 'dropout');
    const rngState = tf.tidy(() => tf.variable(tf.tensor1d([...words(this.seedValue), 0, 0], 'int32'), false));
    this.buffers = { rngState };
    this.syncedData = rngState.dataId;
    onRestore(rngState, () => this.sync());
  }

  get seed(): number {
    return this.seedValue;
  }

  reseed(seed: number = this.seedValue): void {
    this.write(resolveSeed(seed, 'dropout.reseed'), 0);
  }

  protected forward(x: tf.Tensor, training: boolean): tf.Tensor {
    if (!training || this.rate === 0) return x;
    if (this.buffers.rngState.dataId !== this.syncedData)
      throw new StateError(
        'rngState',
        `${this.name}: its buffer rngState was assigned from outside and its mask counter is read on the host: await syncBuffers(model) before training (loadCheckpoint does this itself)`,
      );
    const random = Xoshiro128.fromSeed(this.seedValue, this.count);
    const n = x.size;
    const scale = 1 / (1 - this.rate);
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = random.nextFloat32() < this.rate ? 0 : scale;
    const y = tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
    this.write(this.seedValue, this.count + 1);
    return y;
  }

  /** Sets the host mirror and uploads it to `rngState` (never a readback). */
  private write(seed: number, count: number): void {
    const state = tf.tensor1d([...words(seed), ...words(count)], 'int32');
    this.buffers.rngState.assign(state);
    state.dispose();
    this.seedValue = seed;
    this.count = count;
    this.syncedData = this.buffers.rngState.dataId;
  }

  /** Reads `rngState` back into the host mirror when it was assigned from outside (`syncBuffers`). */
  private async sync(): Promise<void> {
    const { rngState } = this.buffers;
    while (!rngState.isDisposed && rngState.dataId !== this.syncedData) {
      const data = rngState.dataId;
      const [seedLow, seedHigh, countLow, countHigh] = Array.from(await rngState.data()) as [number, number, number, number];
      if (rngState.isDisposed || rngState.dataId !== data) continue; // assigned again meanwhile: read the newer state
      const seed = joined(seedLow, seedHigh);
      const count = joined(countLow, countHigh);
      if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(count) || count < 0)
        throw new StateError(
          'rngState',
          `${this.name}: rngState holds [${seedLow}, ${seedHigh}, ${countLow}, ${countHigh}], not a dropout state ([seed low, seed high, masks low, masks high] with |seed| < 2^53 and masks ≥ 0)`,
        );
      this.seedValue = seed;
      this.count = count;
      this.syncedData = data;
    }
  }

  protected override disposeOwn(): void {
    this.buffers.rngState.dispose();
  }
}

/**
 * Inverted dropout (Srivastava et al. 2014): in training, each element is zeroed with probability
 * p = `rate` and the survivors are scaled by 1/(1 − p), so the expected output equals the input; in
 * inference (`eval()` or `apply(x, { training: false })`) it is the identity. Each training call draws
 * a new mask on the host: the k-th (k = 0, 1, …) from `Xoshiro128.fromSeed(seed, k)` of @gradkit/core,
 * one `nextFloat32()` u per element in row-major order, an element dropped when u < p; it is then
 * uploaded, so the same seed gives the same sequence of masks on every backend. PyTorch: `nn.Dropout(p)`.
 *
 * Checkpoints: the seed and k are the module's buffer `rngState` (int32 `[4]`), so `saveCheckpoint`
 * saves where the mask sequence stands. The host reads it only when asked, never during `apply`
 * (WebGPU cannot read synchronously): `loadCheckpoint` does it itself, so the masks continue exactly
 * where the checkpoint left off; after an `assign` of your own, call `await syncBuffers(model)` before
 * training. Training without it is a StateError, never masks from the wrong place.
 *
 * @param rate - drop probability p in [0, 1).
 * @throws HyperParameterError naming `rate` (outside [0, 1) or not a number) or `seed` (not an
 *   integer); UnknownOptionError for another option (`dropout(0.5, { p: 0.5 })`). `apply` in training
 *   throws a StateError naming `rngState` when the buffer was assigned and not synced.
 * @example
 * ```ts
 * const net = sequential(dense({ inFeatures: 784, outFeatures: 256, activation: 'relu' }), dropout(0.5, { seed: 7 }), dense({ inFeatures: 256, outFeatures: 10 }));
 * net.eval(); // dropout becomes the identity
 * ```
 */
export function dropout(rate: number, options: DropoutOptions = {}): Dropout {
  return new DropoutModule(rate, options);
}
