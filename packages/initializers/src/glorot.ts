import { checkOptions } from '@gradkit/core';
import { fanFor, fansOf, resolveGain } from './internal.js';
import { normalInitializer } from './normal.js';
import type { Initializer, SeedOptions } from './types.js';
import { uniformInitializer } from './uniform.js';

/** Options of the Glorot (Xavier) initializers. @example `{ gain: 5 / 3, seed: 1 }` or `{ nonlinearity: 'tanh' }` */
export interface GlorotOptions extends SeedOptions {
  /** Scale of the standard deviation, > 0 (default 1, as PyTorch's `xavier_*_(gain=1.0)`). */
  readonly gain?: number;
  /** Or the gain of this nonlinearity (`gain(nonlinearity, a)` from @gradkit/activations), e.g. `'tanh'`. */
  readonly nonlinearity?: string;
  /** The negative slope, for `nonlinearity: 'leakyRelu'` (default 0.01). */
  readonly a?: number;
}

/** Checks the options (strictly) and returns them with the gain. */
function glorotGain(options: GlorotOptions | undefined, fn: string) {
  const o = checkOptions(fn, options, ['seed', 'gain', 'nonlinearity', 'a'], { example: `${fn}({ gain: 1, seed: 0 })` });
  return { o, g: resolveGain(o, 'linear', fn) };
}

/**
 * Glorot (Xavier) uniform: U(−b, b) with b = gain·√(6/(fanIn + fanOut)), so Var = gain²·2/(fanIn + fanOut).
 * Glorot & Bengio 2010; PyTorch `torch.nn.init.xavier_uniform_(tensor, gain=1.0)`, Keras `GlorotUniform`.
 * Fans from tfjs layouts: dense `[in, out]`, conv `[h, w, in, out]` (fanIn = in·h·w, fanOut = out·h·w).
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `gain`,
 *   `nonlinearity`, `a` or `seed`) at construction (`a` without nonlinearity 'leakyRelu' too); (field
 *   `shape`) at the call for a shape of rank < 2.
 * @example
 * ```ts
 * const kernel = tf.variable(glorotUniform({ seed: 0 })([784, 256]));
 * ```
 */
export function glorotUniform(options: GlorotOptions = {}): Initializer {
  const { o, g } = glorotGain(options, 'glorotUniform');
  return uniformInitializer('glorotUniform', o.seed, (shape) => {
    const { fanIn, fanOut } = fansOf(shape, 'glorotUniform');
    const bound = g * Math.sqrt(6 / (fanIn + fanOut));
    return [-bound, bound];
  });
}

/**
 * Glorot (Xavier) normal: N(0, σ²) with σ = gain·√(2/(fanIn + fanOut)).
 * Glorot & Bengio 2010; PyTorch `torch.nn.init.xavier_normal_(tensor, gain=1.0)` (a plain normal;
 * Keras's `GlorotNormal` truncates — use `varianceScaling({ mode: 'fanAvg' })` for that).
 *
 * @throws HyperParameterError as `glorotUniform`.
 * @example
 * ```ts
 * const kernel = glorotNormal({ nonlinearity: 'tanh', seed: 0 })([3, 3, 16, 32]);
 * ```
 */
export function glorotNormal(options: GlorotOptions = {}): Initializer {
  const { o, g } = glorotGain(options, 'glorotNormal');
  return normalInitializer('glorotNormal', o.seed, (shape) => [0, g * Math.sqrt(1 / fanFor(fansOf(shape, 'glorotNormal'), 'fanAvg'))]);
}

/** PyTorch's name for `glorotUniform` (`torch.nn.init.xavier_uniform_`). @example `xavierUniform({ gain: gain('relu') })([128, 64])` */
export const xavierUniform: (options?: GlorotOptions) => Initializer = glorotUniform;
/** PyTorch's name for `glorotNormal` (`torch.nn.init.xavier_normal_`). @example `xavierNormal({ seed: 1 })([128, 64])` */
export const xavierNormal: (options?: GlorotOptions) => Initializer = glorotNormal;
