import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs-core's gradients (and chained tensor methods) in every environment.
import './tfjs-registrations.js';
import { ValueError } from './errors.js';
import { flatten, type GradTree, type ParamTree, unflatten } from './tree.js';

/**
 * The gradient tree of a parameter tree `P`: the same structure, with a `tf.Tensor` at every leaf.
 *
 * @example
 * ```ts
 * type G = GradsOf<{ dense: { kernel: tf.Variable; bias: tf.Variable } }>; // { dense: { kernel: tf.Tensor; bias: tf.Tensor } }
 * ```
 */
export type GradsOf<P> = [P] extends [tf.Tensor] ? tf.Tensor : ParamTree extends P ? GradTree : { [K in keyof P]: GradsOf<P[K]> };

/**
 * The result of a function made by `valueAndGrad`: the loss and its gradient with respect to every
 * leaf of the parameter tree, in a tree of the same structure. The caller owns (and disposes) both.
 *
 * @example
 * ```ts
 * const { value, grads } = valueAndGrad(loss)(params);
 * tf.dispose([value, grads]);
 * ```
 */
export interface ValueAndGrads<G = GradTree> {
  /** The scalar value of the function. */
  readonly value: tf.Scalar;
  /** ∂value/∂leaf for every leaf, in the structure of the parameters. */
  readonly grads: G;
}

function checkLeaves(params: ParamTree): tf.Tensor[] {
  return flatten(params).map(({ path, value }) => {
    if (!(value instanceof tf.Tensor))
      throw new ValueError(
        path,
        `parameter '${path || '(root)'}' is ${value === null ? 'null' : typeof value}, not a tensor: every leaf of a parameter tree must be a tf.Tensor or tf.Variable`,
      );
    if (value.dtype !== 'float32')
      throw new ValueError(
        path,
        `parameter '${path || '(root)'}' has dtype ${value.dtype}: gradients need float32 parameters (cast it with tf.cast(x, 'float32'))`,
      );
    return value;
  });
}

/**
 * When the differentiated function throws, tfjs keeps the tensors its tape saved for the backward
 * pass (they are `keep`-ed until the backward pass frees them). Free them, unless this is a nested
 * (higher-order) gradient whose outer tape still needs them.
 */
function releaseTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 1) return;
  for (const node of state.activeTape ?? []) {
    for (const t of node.saved ?? []) t.dispose();
    node.saved = [];
  }
}

/**
 * Turns a scalar function of a parameter tree into one that returns its value and its gradient with
 * respect to every leaf (reverse-mode autodiff over tfjs's tape), like `jax.value_and_grad`. Leaves
 * that do not influence the value get zero gradients (as JAX), not an error. Intermediate tensors are
 * released; the returned value and gradients belong to the caller.
 *
 * @param f - `(params) => scalar tensor`; it may build any tfjs ops from the leaves.
 * @throws ValueError when a leaf is not a float32 tensor or `f` does not return a scalar tensor.
 * @example
 * ```ts
 * const loss = (p: { w: tf.Tensor; b: tf.Tensor }) => tf.sum(tf.square(tf.add(tf.mul(p.w, x), p.b)));
 * const { value, grads } = valueAndGrad(loss)({ w, b }); // grads.w = ∂loss/∂w, grads.b = ∂loss/∂b
 * ```
 */
export function valueAndGrad<P>(f: (params: P) => tf.Scalar | tf.Tensor): (params: P) => ValueAndGrads<GradsOf<P>> {
  const vg = valueAndGradConnected(f);
  return (params: P) => {
    const { value, grads } = vg(params);
    return { value, grads };
  };
}

/**
 * `valueAndGrad`, and for each leaf (in `flatten` order) whether the value depends on it at all
 * (false where its gradient was filled with zeros). The `Optimizer` uses it to refuse a loss that
 * depends on no parameter.
 */
export function valueAndGradConnected<P>(f: (params: P) => tf.Scalar | tf.Tensor): (params: P) => ValueAndGrads<GradsOf<P>> & { connected: boolean[] } {
  if (typeof f !== 'function') throw new ValueError('f', `valueAndGrad takes a function (params) => scalar tensor, got ${f === null ? 'null' : typeof f}`);
  return (params: P) => {
    const leaves = checkLeaves(params as ParamTree);
    if (leaves.length === 0) throw new ValueError('params', 'the parameter tree has no tensors: nothing to differentiate');
    const { value, grads } = tf.engine().gradients(
      () => {
        try {
          const y = f(params);
          if (!(y instanceof tf.Tensor)) throw new ValueError('loss', `the function must return a scalar tensor, got ${y === null ? 'null' : typeof y}`);
          if (y.rank !== 0)
            throw new ValueError('loss', `the function must return a scalar tensor, got shape [${y.shape.join(', ')}]: reduce it with tf.mean or tf.sum`);
          return y;
        } catch (e) {
          releaseTape();
          throw e;
        }
      },
      leaves,
      undefined,
      true,
    );
    const filled = grads.map((g, i) => g ?? tf.zerosLike(leaves[i] as tf.Tensor));
    return { value: value as tf.Scalar, grads: unflatten(params as ParamTree, filled) as unknown as GradsOf<P>, connected: grads.map((g) => g != null) };
  };
}

/**
 * Like `valueAndGrad` but returns only the gradients (the value is disposed).
 *
 * @example
 * ```ts
 * const grads = grad((p: { w: tf.Tensor }) => tf.sum(tf.square(p.w)))({ w }); // grads.w = 2w
 * ```
 */
export function grad<P>(f: (params: P) => tf.Scalar | tf.Tensor): (params: P) => GradsOf<P> {
  const vg: (params: P) => ValueAndGrads<GradsOf<P>> = valueAndGrad(f);
  return (params: P) => {
    const result = vg(params);
    result.value.dispose();
    return result.grads;
  };
}
