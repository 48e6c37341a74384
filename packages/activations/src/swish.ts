import * as tf from '@tensorflow/tfjs-core';
import { asFloat, broadcastParam, sigmoidPair } from './internal.js';

/** Sums `g` over the axes along which a tensor of `shape` was broadcast to g's shape, and reshapes to `shape`. */
function sumToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || shape[i - lead] === 1) axes.push(i);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, beta] = args as [tf.Tensor, tf.Tensor];
  (args[2] as tf.GradSaveFunc)([x, beta]);
  return {
    value: tf.mul(x, sigmoidPair(tf.mul(beta, x)).pos),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx, sb] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      const s = sigmoidPair(tf.mul(sb, sx));
      // ∂/∂x = σ(βx)(1 + βx·σ(−βx)); ∂/∂β = x²σ(βx)σ(−βx), as (xσ(βx))(xσ(−βx)) so a huge x gives 0·x, not ∞·0.
      const dx = tf.mul(g, tf.mul(s.pos, tf.add(1, tf.mul(tf.mul(sb, sx), s.neg))));
      const dBeta = tf.mul(g, tf.mul(tf.mul(sx, s.pos), tf.mul(sx, s.neg)));
      return [sumToShape(dx, sx.shape), sumToShape(dBeta, sb.shape)];
    },
  };
});

/**
 * Swish: swish(x, β) = x·σ(βx); ∂/∂x = σ(βx)(1 + βx(1 − σ(βx))), ∂/∂β = x²σ(βx)(1 − σ(βx)).
 * β = 1 is `silu`; a tensor β (a variable, scalar or one per feature on the last axis) is learned.
 *
 * Ramachandran, Zoph & Le 2017 ("Searching for activation functions"); PyTorch has the β = 1 case
 * as `torch.nn.functional.silu`. Stable for any finite x (σ from e^{−|βx|}).
 *
 * @param x - any float tensor.
 * @param beta - β: a finite number (default 1) or a tensor broadcastable to x (trainable).
 * @throws HyperParameterError (field `beta`) when a number β is not finite.
 * @throws ValueError (what `beta`) when a tensor β does not broadcast against x.
 * @example
 * ```ts
 * swish(tf.tensor1d([-1, 1]), 2);                 // [-0.1192, 0.8808]
 * const beta = tf.variable(tf.scalar(1));         // trainable β
 * const y = swish(h, beta);
 * ```
 */
export function swish(x: tf.Tensor, beta: number | tf.Tensor = 1): tf.Tensor {
  return tf.tidy(() => {
    const input = asFloat(x, 'swish');
    return op(input, broadcastParam('beta', beta, input, 'swish'));
  });
}
