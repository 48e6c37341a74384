// Helpers shared by the activations (not part of the public surface).
import { checkNumberOption, describeValue, HyperParameterError, suggestOption, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** The input (or the tensor argument `field`) as a float32 tensor (activations are float functions; ints and bools are cast, as torch promotes). */
export function asFloat(x: tf.Tensor, fn: string, field = 'x'): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new ValueError(field, `${fn}: ${field} must be a tf.Tensor, got ${describeValue(x)}`);
  if (x.isDisposed) throw new ValueError(field, `${fn}: ${field} was already disposed`);
  if (x.dtype === 'string') throw new ValueError(field, `${fn}: ${field} must be a numeric tensor, got dtype 'string'`);
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/**
 * A parameter given as a number or as a tensor broadcastable against `input` (prelu's α, swish's β:
 * a scalar or one value per feature, the last axis), as a float32 tensor. Call inside `tf.tidy`.
 */
export function broadcastParam(field: string, value: unknown, input: tf.Tensor, fn: string): tf.Tensor {
  if (typeof value === 'number') return tf.scalar(checkNumberOption(field, value));
  if (!(value instanceof tf.Tensor)) throw new ValueError(field, `${fn}: ${field} must be a number or a tf.Tensor, got ${describeValue(value)}`);
  const p = asFloat(value, fn, field);
  const fits = p.rank <= input.rank && p.shape.every((d, i) => d === 1 || d === input.shape[input.rank - p.rank + i]);
  if (!fits)
    throw new ValueError(
      field,
      `${fn}: ${field} of shape [${p.shape.join(', ')}] does not broadcast against x of shape [${input.shape.join(', ')}]: use a scalar or one ${field} per feature (the last axis)`,
    );
  return p;
}

/**
 * An elementwise function with a hand-written derivative: the value is `forward(x)`, and the
 * backward pass multiplies the incoming gradient by `derivative(x)` (evaluated on the saved input).
 * Both run on tf ops only; their intermediate tensors are released by tfjs's engine.
 */
export function elementwise(fn: string, forward: (x: tf.Tensor) => tf.Tensor, derivative: (x: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return {
      value: forward(x),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(dy as tf.Tensor, derivative(saved[0] as tf.Tensor)),
    };
  });
  return onFloat(fn, op);
}

/** `op` applied to x cast to float32 where it is an integer tensor (the cast released after). */
export function onFloat(fn: string, op: (x: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  return (x: tf.Tensor) => {
    const input = asFloat(x, fn);
    if (input === x) return op(x);
    const y = op(input);
    input.dispose();
    return y;
  };
}

/**
 * σ(x) and σ(−x) = 1 − σ(x), both to full relative precision for every x and without overflow:
 * with e = exp(−|x|) ∈ (0, 1], σ(|x|) = 1/(1+e) and σ(−|x|) = e/(1+e). (tf.sigmoid on WebGPU is
 * 1/(1+exp(−x)), which passes through exp(1e4) = ∞, and 1 − σ(x) loses every digit for large x.)
 */
export function sigmoidPair(x: tf.Tensor): { pos: tf.Tensor; neg: tf.Tensor } {
  const e = tf.exp(tf.neg(tf.abs(x)));
  const onePlus = tf.add(e, 1);
  const big = tf.div(1, onePlus); // σ(|x|)
  const small = tf.div(e, onePlus); // σ(−|x|)
  const nonNegative = tf.greaterEqual(x, 0);
  return { pos: tf.where(nonNegative, big, small), neg: tf.where(nonNegative, small, big) };
}

/**
 * log(1 + y) for y ≥ 0, accurate where y is tiny (tfjs's WebGPU log1p is log(1 + y), which returns
 * 0 below 6e-8): y − y²/2 + y³/3 for y < 1e-4 (truncation error below y⁴/4 ≤ 2.5e-17 relative).
 */
export function log1pNonNegative(y: tf.Tensor): tf.Tensor {
  const series = tf.mul(y, tf.add(1, tf.mul(y, tf.add(-0.5, tf.div(y, 3)))));
  return tf.where(tf.less(y, 1e-4), series, tf.log1p(y));
}

/** softplus(z) = log(1 + eᶻ) = max(z, 0) + log1p(e^{−|z|}): no overflow, full precision for z ≪ 0. */
export function softplusStable(z: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(z), log1pNonNegative(tf.exp(tf.neg(tf.abs(z)))));
}

/**
 * PyTorch's ELU kernel, shared by elu, selu and celu (aten `elu_kernel` / `elu_backward_kernel`):
 * y = scale·x for x > 0, else scale·α·expm1(x·ι); y′ = scale for x > 0, else scale·α·ι·exp(x·ι).
 * The exponentials see min(x, 0) only, so a large positive x never overflows.
 */
export function eluFamily(fn: string, alpha: number, scale: number, inputScale: number): (x: tf.Tensor) => tf.Tensor {
  return elementwise(
    fn,
    (x) => {
      const negative = tf.mul(tf.expm1(tf.mul(tf.minimum(x, 0), inputScale)), alpha * scale);
      return tf.where(tf.greater(x, 0), tf.mul(x, scale), negative);
    },
    (x) => {
      const negative = tf.mul(tf.exp(tf.mul(tf.minimum(x, 0), inputScale)), alpha * scale * inputScale);
      return tf.where(tf.greater(x, 0), tf.fill(x.shape, scale), negative);
    },
  );
}

/**
 * Resolves a name in a table of canonical names and aliases (`activation`, `gain`): the canonical
 * name, or HyperParameterError naming `field` that suggests the closest name (`'ReLU'` → `'relu'`,
 * `'leaky-relu'` → `'leakyRelu'`) and lists the valid ones. `what` is what the name names
 * (`'activation'`), `extra` is appended to the message.
 */
export function lookupName<N extends string>(
  field: string,
  name: unknown,
  canonical: readonly N[],
  aliases: Readonly<Record<string, N>>,
  what: string,
  extra = '',
): N {
  if (typeof name !== 'string')
    throw new HyperParameterError(field, `${what}: got ${describeValue(name)}, but a name is a string such as '${canonical[1] ?? canonical[0]}'${extra}`);
  if ((canonical as readonly string[]).includes(name)) return name as N;
  if (Object.hasOwn(aliases, name)) return aliases[name] as N;
  const s = suggestOption(name, [...canonical, ...Object.keys(aliases)]);
  const closest = s === undefined ? undefined : Object.hasOwn(aliases, s.key) ? aliases[s.key] : s.key;
  const hint = closest === undefined ? '' : ` (did you mean '${closest}'?)`;
  throw new HyperParameterError(
    field,
    `unknown ${what} '${name}'${hint}${extra}; valid names: ${canonical.join(', ')} (also ${Object.keys(aliases).join(', ')})`,
  );
}
