import { fansOf, resolveGain } from './internal.js';
import { normalInitializer } from './normal.js';
import type { Initializer, SeedOptions } from './types.js';
import { uniformInitializer } from './uniform.js';

/** Options of the LeCun initializers. @example `{ seed: 1 }` */
export interface LecunOptions extends SeedOptions {
  /** Scale of the standard deviation, > 0 (default 1). */
  readonly gain?: number;
}

/**
 * LeCun uniform: U(−b, b), b = gain·√(3/fanIn), so Var = gain²/fanIn.
 * LeCun et al. 1998 ("Efficient BackProp"); Keras `LecunUniform`, JAX `lecun_uniform`.
 *
 * @throws HyperParameterError (field `gain` or `seed`) at construction; (field `shape`) at the call
 *   for a shape of rank < 2.
 * @example
 * ```ts
 * const kernel = lecunUniform({ seed: 0 })([512, 512]);
 * ```
 */
export function lecunUniform(options: LecunOptions = {}): Initializer {
  const g = resolveGain({ gain: options.gain }, 'linear', 'lecunUniform');
  return uniformInitializer('lecunUniform', options.seed, (shape) => {
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
  const g = resolveGain({ gain: options.gain }, 'linear', 'lecunNormal');
  return normalInitializer('lecunNormal', options.seed, (shape) => [0, g / Math.sqrt(fansOf(shape, 'lecunNormal').fanIn)]);
}
