import { checkOptions, describeValue, HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { allocating, checkShape, numberOption, POSITIVE } from './internal.js';
import type { Initializer } from './types.js';

/** Options of `identity`. @example `{ gain: 1 }` */
export interface IdentityOptions {
  /** The value on the diagonal, > 0 (default 1). */
  readonly gain?: number;
}

/**
 * The identity map, scaled by `gain`: for a dense kernel `[in, out]` the (rectangular) identity
 * matrix, W[i][i] = gain for i < min(in, out), 0 elsewhere (PyTorch `torch.nn.init.eye_`); for a conv
 * kernel `[...kernel, in, out]` the Dirac delta, W[c₀, …, i, i] = gain at the kernel's centre
 * cᵈ = ⌊kᵈ/2⌋ (PyTorch `torch.nn.init.dirac_` on its `[out, in, ...kernel]` layout), so that a
 * stride-1 'same' convolution passes the first min(in, out) channels through unchanged.
 * Deterministic (no seed).
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `gain`) for gain ≤ 0; (field `shape`) for a shape of rank < 2;
 *   (field `dtype`) for a dtype other than float32 or int32.
 * @example
 * ```ts
 * const residualKernel = tf.variable(identity()([64, 64]));
 * const dirac = identity()([3, 3, 16, 16]); // a 3×3 conv that starts as the identity
 * ```
 */
export function identity(options: IdentityOptions = {}): Initializer {
  const o = checkOptions('identity', options, ['gain'], { example: 'identity({ gain: 1 })' });
  const gain = numberOption('gain', o.gain, 1, POSITIVE);
  return (shape, dtype = 'float32') => {
    const s = checkShape(shape, 'identity');
    if (s.length < 2)
      throw new HyperParameterError(
        'shape',
        `identity: needs a weight of rank ≥ 2 (dense [in, out] or conv [...kernel, in, out]), got shape [${s.join(', ')}]`,
      );
    if (dtype !== 'float32' && dtype !== 'int32')
      throw new HyperParameterError('dtype', `identity: dtype must be 'float32' or 'int32', got ${describeValue(dtype)}`);
    if (dtype === 'int32' && !Number.isInteger(gain)) throw new HyperParameterError('gain', `identity: an int32 identity needs an integer gain, got ${gain}`);
    const [inC, outC] = s.slice(-2) as [number, number];
    const kernel = s.slice(0, -2);
    const size = s.reduce((a, b) => a * b, 1);
    const values = allocating('identity', s, () => (dtype === 'int32' ? new Int32Array(size) : new Float32Array(size)));
    // Row-major offset of the kernel's centre, then of channel pair (i, i).
    const centre = kernel.reduce((offset, k) => offset * k + Math.floor(k / 2), 0);
    for (let i = 0; i < Math.min(inC, outC); i++) values[(centre * inC + i) * outC + i] = gain;
    return tf.tensor(values, s, dtype);
  };
}
