import { checkHyper, checkOptions, HyperParameterError, type Module, Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkName, describe, seedOf } from './internal/base.js';

/** Options of `dropout`. @example `{ seed: 42 }` */
export interface DropoutOptions {
  /** Seed of the mask sequence (an integer); default: a fresh random seed (not reproducible). */
  readonly seed?: number;
  /** The module's name, used as its tap name outside a container (default `'dropout'`). */
  readonly name?: string;
}

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
  /** The seed the mask sequence started from. */
  readonly seed: number;
  /** Restarts the mask sequence from `seed` (default: the module's seed), so the next masks repeat the first ones. */
  reseed(seed?: number): void;
}

class DropoutModule extends BaseModule<Record<string, never>> implements Dropout {
  readonly name: string;
  readonly params: Record<string, never> = {};
  readonly rate: number;
  seed: number;
  private random: Xoshiro128;

  constructor(rate: number, options: DropoutOptions) {
    super();
    if (typeof rate !== 'number')
      throw new HyperParameterError('rate', `dropout(rate, options): rate must be a number in [0, 1) such as 0.5, got ${describe(rate)}`);
    this.rate = checkHyper('rate', rate, { min: 0, max: 1, maxExclusive: true });
    const o = checkOptions('dropout', options, ['seed', 'name'], { example: 'dropout(0.5, { seed: 42 })' });
    this.seed = seedOf(o.seed, 'dropout');
    this.random = Xoshiro128.fromSeed(this.seed);
    this.name = checkName(o.name, 'dropout');
  }

  reseed(seed: number = this.seed): void {
    this.seed = seedOf(seed, 'dropout.reseed');
    this.random = Xoshiro128.fromSeed(this.seed);
  }

  protected forward(x: tf.Tensor, training: boolean): tf.Tensor {
    if (!training || this.rate === 0) return x;
    const n = x.size;
    const scale = 1 / (1 - this.rate);
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = this.random.nextFloat32() < this.rate ? 0 : scale;
    return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
  }
}

/**
 * Inverted dropout (Srivastava et al. 2014): in training, each element is zeroed with probability
 * p = `rate` and the survivors are scaled by 1/(1 − p), so the expected output equals the input; in
 * inference (`eval()` or `apply(x, { training: false })`) it is the identity. The mask is drawn on
 * the host from `Xoshiro128.fromSeed(seed)` of @gradkit/core (one `nextFloat32()` u per element, in
 * row-major order; an element is dropped when u < p) and uploaded, so the same seed gives the same
 * sequence of masks on every backend. Each training call draws a new mask. PyTorch: `nn.Dropout(p)`.
 *
 * @param rate - drop probability p in [0, 1).
 * The mask sequence lives on the host and is not one of the module's `buffers`: a model restored from
 * a checkpoint draws its masks from `seed` again (call `reseed` with a new seed to vary them).
 *
 * @throws HyperParameterError naming `rate` (outside [0, 1) or not a number) or `seed` (not an
 *   integer); UnknownOptionError for another option (`dropout(0.5, { p: 0.5 })`).
 * @example
 * ```ts
 * const net = sequential(dense({ inFeatures: 784, outFeatures: 256, activation: 'relu' }), dropout(0.5, { seed: 7 }), dense({ inFeatures: 256, outFeatures: 10 }));
 * net.eval(); // dropout becomes the identity
 * ```
 */
export function dropout(rate: number, options: DropoutOptions = {}): Dropout {
  return new DropoutModule(rate, options);
}
