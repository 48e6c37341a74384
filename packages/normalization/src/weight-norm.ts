import { checkOptions, describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { shapeOf } from './checks.js';

/** Options of `weightNorm` and `weightNormParams`. @example `{ dim: -1 }` */
export interface WeightNormOptions {
  /**
   * The output axis, kept apart: the norm runs over all the other axes and `g` holds one magnitude
   * per output (default −1, the last axis: the output axis of tfjs's dense `[in, out]` and conv
   * `[h, w, in, out]` kernels; PyTorch's default `dim=0` is its output axis, `[out, in]`). `null`
   * takes the norm of the whole tensor, with a scalar `g` (PyTorch's `dim=None`).
   */
  readonly dim?: number | null;
}

/** The reparametrized weight of weight normalization: direction `v` and magnitudes `g`. @example `{ v: tf.variable(w), g: tf.variable(tf.ones([10])) }` */
export type WeightNormParams<T extends tf.Tensor = tf.Tensor> = {
  /** The direction, of the weight's shape. */
  readonly v: T;
  /** The magnitudes: shape `[v.shape[dim]]`, or `[]` when `dim` is null. */
  readonly g: T;
};

function resolveDim(fn: string, v: unknown, options: WeightNormOptions | undefined): { v: tf.Tensor; axis: number | null } {
  const { dim = -1 } = checkOptions(fn, options, ['dim'], { example: `${fn}(…, { dim: -1 })` });
  if (!(v instanceof tf.Tensor)) throw new ValueError('v', `${fn}: v must be a tf.Tensor, got ${describeValue(v)}`);
  if (v.isDisposed) throw new ValueError('v', `${fn}: v was disposed`);
  if (v.dtype !== 'float32') throw new ValueError('v', `${fn}: v must be float32, got ${v.dtype}`);
  if (dim === null) return { v, axis: null };
  if (v.rank < 1) throw new ValueError('v', `${fn}: v is a scalar; use dim: null to normalize a scalar weight`);
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < -v.rank || dim >= v.rank)
    throw new HyperParameterError(
      'dim',
      `${fn}: dim must be null or an integer axis of v in [${-v.rank}, ${v.rank - 1}] (v has shape ${shapeOf(v.shape)}), got ${describeValue(dim)}`,
    );
  return { v, axis: dim < 0 ? dim + v.rank : dim };
}

/** ‖v‖ over every axis but `axis` (all axes when null), kept as size-1 axes so it broadcasts against v. */
function normExcept(v: tf.Tensor, axis: number | null): tf.Tensor {
  const axes = [...Array(v.rank).keys()].filter((a) => a !== axis);
  return tf.sqrt(tf.sum(tf.square(v), axes, true));
}

/**
 * Weight normalization: the weight as a direction times a learned magnitude per output.
 *
 * w = g · v / ‖v‖, the norm over every axis of v but the output axis `dim`. Salimans & Kingma 2016;
 * PyTorch's `torch.nn.utils.weight_norm` (`weight_g`, `weight_v`) and `torch._weight_norm(v, g, dim)`,
 * with tfjs layouts: the output axis is the last (`dim: -1`, the default) where PyTorch's is the first,
 * and `g` is a vector `[out]` rather than PyTorch's `[out, 1, …]`. Gradients flow to both `v` and `g`
 * by autograd; create them with `weightNormParams`.
 *
 * @param params - `{ v, g }`: v of the weight's shape, g of shape `[v.shape[dim]]` (`[]` for `dim: null`).
 * @throws ValueError naming `v` for a non-float32 tensor (`params` when it is not `{ v, g }`);
 *   HyperParameterError naming `g` or `dim` for a shape that does not match or an axis out of range;
 *   UnknownOptionError for another key in `params` or the options.
 * @example
 * ```ts
 * const params = weightNormParams(glorotUniform()([784, 256])); // { v: [784, 256], g: [256] }
 * const h = tf.matMul(x, weightNorm(params));
 * ```
 */
export function weightNorm(params: WeightNormParams, options: WeightNormOptions = {}): tf.Tensor {
  if (params === null || typeof params !== 'object' || params instanceof tf.Tensor)
    throw new ValueError('params', `weightNorm: params must be { v, g } (see weightNormParams), got ${describeValue(params)}`);
  checkOptions('weightNorm params', params, ['v', 'g'], { example: 'weightNorm({ v, g })', required: true });
  const { v, axis } = resolveDim('weightNorm', params.v, options);
  const g = params.g as unknown;
  const expected = axis === null ? [] : [v.shape[axis] as number];
  if (!(g instanceof tf.Tensor) || g.isDisposed || g.dtype !== 'float32' || !tf.util.arraysEqual(g.shape, expected))
    throw new HyperParameterError(
      'g',
      `weightNorm: g must be a float32 tensor of shape ${shapeOf(expected)} (one magnitude per slice of v along dim), got ${g instanceof tf.Tensor ? (g.isDisposed ? 'a disposed tensor' : `${g.dtype} ${shapeOf(g.shape)}`) : describeValue(g)}`,
    );
  return tf.tidy(() => {
    const broadcast = v.shape.map((size, a) => (a === axis ? size : 1));
    return tf.mul(v, tf.div(tf.reshape(g, broadcast), normExcept(v, axis)));
  });
}

/**
 * Creates the trainable `{ v, g }` of weight normalization from an initial weight, so that
 * `weightNorm(params)` equals the weight at first: v = weight, g = ‖weight‖ over every axis but `dim`
 * (as PyTorch's `weight_norm` initializes `weight_v` and `weight_g`). The caller owns (and disposes)
 * the two variables; `weight` is not kept.
 *
 * @param weight - the initial weight, e.g. a dense kernel `[in, out]`.
 * @throws ValueError for a non-float32 weight; HyperParameterError naming `dim`; UnknownOptionError
 *   for another option.
 * @example
 * ```ts
 * const params = weightNormParams(tf.randomNormal([64, 32]));
 * const opt = new Optimizer(params, adam());
 * await opt.minimize((p) => loss(tf.matMul(x, weightNorm(p))));
 * ```
 */
export function weightNormParams(weight: tf.Tensor, options: WeightNormOptions = {}): WeightNormParams<tf.Variable> {
  const { v, axis } = resolveDim('weightNormParams', weight, options);
  // tf.variable shares the data of the tensor it is given; inside tidy that tensor is released.
  return tf.tidy(() => ({
    v: tf.variable(tf.clone(v)),
    g: tf.variable(tf.reshape(normExcept(v, axis), axis === null ? [] : [v.shape[axis] as number])),
  }));
}
