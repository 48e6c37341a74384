import { checkOptions } from '@gradkit/core';
import { checkMode, fanFor, fansOf, resolveGain } from './internal.js';
import { normalInitializer } from './normal.js';
import type { FanMode, Initializer, SeedOptions } from './types.js';
import { uniformInitializer } from './uniform.js';

/** Options of the He (Kaiming) initializers. @example `{ mode: 'fanOut', nonlinearity: 'relu', seed: 1 }` */
export interface HeOptions extends SeedOptions {
  /** The negative slope of the rectifier after this layer (PyTorch's `a`; default 0, i.e. ReLU). */
  readonly a?: number;
  /** `'fanIn'` (default) keeps the forward variance; `'fanOut'` the backward one; `'fanAvg'` their mean. */
  readonly mode?: FanMode;
  /** The nonlinearity whose gain is used (default `'leakyRelu'` with slope `a`, as PyTorch: gain √2 for a = 0). */
  readonly nonlinearity?: string;
  /** An explicit gain (> 0) instead of a nonlinearity's. */
  readonly gain?: number;
}

const HE_KEYS = ['seed', 'a', 'mode', 'nonlinearity', 'gain'];

/** Checks the options (strictly) and returns them with σ as a function of the shape. */
const stddevOf = (options: HeOptions | undefined, fn: string) => {
  const o = checkOptions(fn, options, HE_KEYS, { example: `${fn}({ mode: 'fanIn', nonlinearity: 'relu', seed: 0 })` });
  const g = resolveGain(o, 'leakyRelu', fn, 0);
  const mode = checkMode(o.mode, 'fanIn', fn);
  return { o, stddev: (shape: number[]) => g / Math.sqrt(fanFor(fansOf(shape, fn), mode)) };
};

/**
 * He (Kaiming) uniform: U(−b, b), b = √3·gain/√fan, so Var = gain²/fan — 2/fanIn for ReLU.
 * He et al. 2015; PyTorch `torch.nn.init.kaiming_uniform_(tensor, a=0, mode='fan_in',
 * nonlinearity='leaky_relu')` with the same defaults. Fans from tfjs layouts (dense `[in, out]`,
 * conv `[h, w, in, out]`).
 *
 * @throws UnknownOptionError for an unknown option (PyTorch's `fan_out` suggests `mode: 'fanOut'`);
 *   HyperParameterError (field `a`, `mode`, `nonlinearity`, `gain` or `seed`) at construction (a
 *   slope `a` with another nonlinearity than leakyRelu too); (field `shape`) at the call for a shape
 *   of rank < 2.
 * @example
 * ```ts
 * const kernel = tf.variable(heUniform({ seed: 0 })([3, 3, 64, 64]));
 * ```
 */
export function heUniform(options: HeOptions = {}): Initializer {
  const { o, stddev } = stddevOf(options, 'heUniform');
  return uniformInitializer('heUniform', o.seed, (shape) => {
    const bound = Math.sqrt(3) * stddev(shape);
    return [-bound, bound];
  });
}

/**
 * He (Kaiming) normal: N(0, σ²), σ = gain/√fan — √(2/fanIn) for ReLU.
 * He et al. 2015; PyTorch `torch.nn.init.kaiming_normal_(tensor, a=0, mode='fan_in',
 * nonlinearity='leaky_relu')` (a plain normal; Keras's `HeNormal` truncates — use
 * `varianceScaling({ scale: 2 })` for that).
 *
 * @throws HyperParameterError as `heUniform`.
 * @example
 * ```ts
 * const kernel = heNormal({ mode: 'fanOut', nonlinearity: 'relu', seed: 0 })([256, 128]);
 * ```
 */
export function heNormal(options: HeOptions = {}): Initializer {
  const { o, stddev } = stddevOf(options, 'heNormal');
  return normalInitializer('heNormal', o.seed, (shape) => [0, stddev(shape)]);
}

/** PyTorch's name for `heUniform` (`torch.nn.init.kaiming_uniform_`). @example `kaimingUniform({ a: Math.sqrt(5) })([128, 64])` */
export const kaimingUniform: (options?: HeOptions) => Initializer = heUniform;
/** PyTorch's name for `heNormal` (`torch.nn.init.kaiming_normal_`). @example `kaimingNormal({ mode: 'fanOut' })([128, 64])` */
export const kaimingNormal: (options?: HeOptions) => Initializer = heNormal;
