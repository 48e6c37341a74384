import { checkHyper, checkOptions, flatten, HyperParameterError, type ParamTree, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of `l1Penalty` and `l2Penalty`. @example `{ filter: (path) => path.endsWith('kernel') }` */
export interface PenaltyOptions {
  /** Which parameters are penalized, by tree path (and tensor); default: all of them. */
  readonly filter?: (path: string, param: tf.Tensor) => boolean;
}

/** The selected leaves of `params`, validated; errors name the argument. */
function selected(params: ParamTree, lambda: number, options: PenaltyOptions, fn: string): tf.Tensor[] {
  if (typeof lambda !== 'number') throw new HyperParameterError('lambda', `${fn}: lambda must be a number ≥ 0, got ${typeof lambda}`);
  checkHyper('lambda', lambda, { min: 0 });
  const { filter } = checkOptions(fn, options, ['filter'], { example: `${fn}(params, 1e-4, { filter: (path) => path.endsWith('kernel') })` });
  if (filter !== undefined && typeof filter !== 'function')
    throw new HyperParameterError('filter', `${fn}: filter must be a function (path, param) => boolean`);
  const out: tf.Tensor[] = [];
  for (const { path, value } of flatten(params)) {
    if (!(value instanceof tf.Tensor))
      throw new ValueError(path || 'params', `${fn}: parameter '${path || 'params'}' is not a tensor: params must be a tree (objects, arrays) of tensors`);
    if (value.isDisposed) throw new ValueError(path || 'params', `${fn}: parameter '${path || 'params'}' was disposed`);
    if (filter) {
      const keep: unknown = filter(path, value);
      if (typeof keep !== 'boolean') throw new HyperParameterError('filter', `${fn}: filter must return true or false, got ${typeof keep} for '${path}'`);
      if (!keep) continue;
    }
    if (value.dtype !== 'float32') throw new ValueError(path, `${fn}: parameter '${path || '(root)'}' has dtype ${value.dtype}, penalties need float32`);
    out.push(value);
  }
  return out;
}

/**
 * The L1 (lasso) penalty of a parameter tree, to add to the loss: λ · Σᵢ |wᵢ| over every selected
 * parameter. Its gradient is λ · sign(w), with sign(0) = 0 (PyTorch's convention for |x|; tfjs's own
 * `abs` gives −1 at 0). Keras: `regularizers.L1(l1)`. Differentiable inside `valueAndGrad`; an empty
 * selection gives 0.
 *
 * @param params - the parameter tree (inside a loss: the tree the loss receives).
 * @param lambda - the strength λ ≥ 0.
 * @throws HyperParameterError naming `lambda` (negative or not finite) or `filter` (not a function).
 * @example
 * ```ts
 * const loss = (p: typeof model.params) => tf.add(mse(p), l1Penalty(p, 1e-4, { filter: (path) => path.endsWith('kernel') }));
 * ```
 */
export function l1Penalty(params: ParamTree, lambda: number, options: PenaltyOptions = {}): tf.Scalar {
  const leaves = selected(params, lambda, options, 'l1Penalty');
  return tf.tidy(() => {
    // |w| = w · sign(w) with sign's gradient 0: the value is |w| and the gradient sign(w) (0 at 0).
    const sum = leaves.reduce<tf.Scalar>((acc, w) => tf.add(acc, tf.sum(tf.mul(w, tf.sign(w)))), tf.scalar(0));
    return tf.mul(sum, tf.scalar(lambda));
  });
}

/**
 * The L2 (ridge) penalty of a parameter tree, to add to the loss: λ · Σᵢ wᵢ² over every selected
 * parameter, whose gradient is 2λw (Keras's `regularizers.L2(l2)`, no ½). Adding it to the loss
 * matches `sgd`'s or `adam`'s `weightDecay` = 2λ (PyTorch's coupled L2); decoupled weight decay
 * (`adamw`) is not a penalty. Differentiable inside `valueAndGrad`; an empty selection gives 0.
 *
 * @param params - the parameter tree (inside a loss: the tree the loss receives).
 * @param lambda - the strength λ ≥ 0.
 * @throws HyperParameterError naming `lambda` (negative or not finite) or `filter` (not a function).
 * @example
 * ```ts
 * const loss = (p: typeof model.params) => tf.add(mse(p), l2Penalty(p, 5e-4, { filter: (path) => !path.endsWith('bias') }));
 * ```
 */
export function l2Penalty(params: ParamTree, lambda: number, options: PenaltyOptions = {}): tf.Scalar {
  const leaves = selected(params, lambda, options, 'l2Penalty');
  return tf.tidy(() => {
    const sum = leaves.reduce<tf.Scalar>((acc, w) => tf.add(acc, tf.sum(tf.square(w))), tf.scalar(0));
    return tf.mul(sum, tf.scalar(lambda));
  });
}
