import * as tf from '@tensorflow/tfjs-core';
import { affine } from './checks.js';
import { type TrailingNormOptions, trailingArgs, trailingOptions } from './layer-norm.js';
import { rmsScale } from './standardize.js';

/**
 * RMS normalization over the last axis (or the trailing axes of `normalizedShape`): layer norm
 * without centring or shift.
 *
 * y = x / √(mean(x²) + ε) · γ, the mean over the normalized axes of each sample. Zhang & Sennrich
 * 2019; PyTorch's `torch.nn.functional.rms_norm` / `torch.nn.RMSNorm` (whose default ε is the dtype's
 * machine epsilon; gradkit's is 1e-6). The backward pass is the closed form
 * dx = γ/rms · (dy − x̂·mean(dy·x̂)).
 *
 * @param x - float32, the normalized axes last.
 * @param gamma - scale of the normalized shape (`[features]`), or null/undefined for none.
 * @throws ValueError (`what: 'x'`) for a non-float32 tensor; HyperParameterError naming `gamma`,
 *   `normalizedShape` or `epsilon` when a shape does not match the trailing axes of x or epsilon ≤ 0;
 *   UnknownOptionError for another option.
 * @example
 * ```ts
 * const y = rmsNorm(h, gamma);                     // h: [32, 512], gamma: [512]
 * const z = rmsNorm(h, null, { epsilon: 1e-5 });
 * ```
 */
export function rmsNorm(x: tf.Tensor, gamma?: tf.Tensor | null, options: TrailingNormOptions = {}): tf.Tensor {
  const o = trailingOptions('rmsNorm', options, 1e-6);
  const a = trailingArgs('rmsNorm', x, gamma, null, o.normalizedShape);
  return tf.tidy(() => affine(rmsScale(a.input, a.axes, o.epsilon), a.gamma, null));
}
