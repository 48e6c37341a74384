import * as tf from '@tensorflow/tfjs-core';

/**
 * Muon's momentum, per element (torch.optim.Muon, `_single_tensor_muon`):
 * `buf ← lerp(buf, g, 1 − μ)` = buf + (1 − μ)(g − buf); the update to orthogonalize is
 * `nesterov ? lerp(g, buf, μ) : buf`. Returns new tensors (the caller owns them).
 *
 * The elementwise part of Muon: a fused kernel replaces these ops where one is registered for the
 * active backend (one dispatch instead of four).
 *
 * @example
 * ```ts
 * const { buf, update } = muonMomentum(g, state.mu[path], 0.95, true);
 * ```
 */
export function muonMomentum(g: tf.Tensor, buf: tf.Tensor, momentum: number, nesterov: boolean): { buf: tf.Tensor; update: tf.Tensor } {
  return tf.tidy(() => {
    const next = tf.add(buf, tf.mul(tf.sub(g, buf), 1 - momentum));
    const update = nesterov ? tf.add(g, tf.mul(tf.sub(next, g), momentum)) : tf.clone(next);
    return { buf: next, update };
  });
}
