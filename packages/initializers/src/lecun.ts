import { checkOptions } from '@gradkit/core';
import { fansOf, resolveGain } from './internal.js';
import { normalInitializer } from './normal.js';
import type { Initializer, SeedOptions } from './types.js';
import { uniformInitializer } from './uniform.js';

/** Options of the LeCun initializers. @example `{ seed: 1 }` */
export interface LecunOptions extends SeedOptions {
  /** Scale of the standard deviation, > 0 (default 1). */
  readonly gain?: number;
}

/** Checks the options (strictly) and returns them with the gain. */
function lecunGain(options: LecunOptions | undefined, fn: string) {
  const o = checkOptions(fn, options, ['seed', 'gain'], { example: `${fn}({ seed: 0 })` });
  return { o, g: resolveGain({ gain: o.gain }, 'linear', fn) };
}

/**
 * LeCun uniform: U(−b, b), b = gain·√(3/fanIn), so Var = gain²/fanIn.
 * LeCun et al. 1998 ("Efficient BackProp"); Keras `LecunUniform`, JAX `lecun_uniform`.
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `gain` or `seed`) at construction; (field `shape`) at the call
 *   for a shape of rank < 2.
 * @example
 * ```ts
 * const kernel = lecunUniform({ seed: 0 })([512, 512]);
 * ```
 */
export function lecunUniform(options: LecunOptions = {}): Initializer {
  const { o, g } = lecunGain(options, 'lecunUniform');
  return uniformInitializer('lecunUniform', o.seed, (shape) => {
    const bound = g * Math.sqrt(3 / fansOf(shape, 'lecunUniform').fanIn);
    return [-bound, bound];
  });
}

/**
 * LeCun normal: N(0, σ²), σ = gain/√fanIn — the initialisation SELU networks need (Klambauer et
 * al. 2017). A plain normal like PyTorch's `kaiming_normal_(nonlinearity='linear')`; Keras's and
 * JAX's `lecun_normal` truncate at ±2σ with the same variance: `varianceScaling()` is that one.
 *
 * @throws HyperParameterError as `lecunUniform`.
 * @example
 * ```ts
 * const kernel = lecunNormal({ seed: 0 })([512, 512]); // with selu
 * ```
 */
export function lecunNormal(options: LecunOptions = {}): Initializer {
  const { o, g } = lecunGain(options, 'lecunNormal');
  return normalInitializer('lecunNormal', o.seed, (shape) => [0, g / Math.sqrt(fansOf(shape, 'lecunNormal').fanIn)]);
}
