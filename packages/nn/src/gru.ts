import * as tf from '@tensorflow/tfjs-core';
import { buildVariables, makeVariable } from './internal/initialize.js';
import { RecurrentModule, type RecurrentState, recurrentKernel, type StepWeights } from './internal/recurrent.js';
import { parseRecurrentOptions, type Recurrent, type RecurrentOptions } from './internal/recurrent-options.js';

/** Options of `gru`. @example `{ inputSize: 32, hiddenSize: 64, seed: 1 }` */
export type GruOptions = RecurrentOptions;

/**
 * Parameters of a `gru` with biases, gate blocks in PyTorch's order r, z, n (columns k·h … (k+1)·h − 1).
 * @example `{ kernel, recurrentKernel, bias, recurrentBias } // [in, 3h], [h, 3h], [3h], [3h]`
 */
export type GruParams = {
  /** The input kernel W `[inputSize, 3·h]` (PyTorch's `weight_ih_l0`ᵀ), gate blocks r, z, n. */
  readonly kernel: tf.Variable;
  /** The recurrent kernel U `[h, 3·h]` (PyTorch's `weight_hh_l0`ᵀ), gate blocks r, z, n. */
  readonly recurrentKernel: tf.Variable;
  /** The input bias `[3h]` (PyTorch's `bias_ih_l0`). */
  readonly bias: tf.Variable;
  /** The recurrent bias `[3h]` (PyTorch's `bias_hh_l0`), added to h·U inside the reset gate's product. */
  readonly recurrentBias: tf.Variable;
};
/** Parameters of a `gru` without biases (`useBias: false`). @example `{ kernel, recurrentKernel } // [in, 3h], [h, 3h]` */
export type GruParamsNoBias = {
  /** The input kernel W `[inputSize, 3·h]` (PyTorch's `weight_ih_l0`ᵀ), gate blocks r, z, n. */
  readonly kernel: tf.Variable;
  /** The recurrent kernel U `[h, 3·h]` (PyTorch's `weight_hh_l0`ᵀ), gate blocks r, z, n. */
  readonly recurrentKernel: tf.Variable;
};

/**
 * A gated recurrent unit layer (see `gru`).
 *
 * @example
 * ```ts
 * const cell: Gru = gru({ inputSize: 8, hiddenSize: 16 });
 * cell.params.recurrentBias.shape; // [48]
 * ```
 */
export type Gru<P extends GruParams | GruParamsNoBias = GruParams> = Recurrent<P>;

class GruModule<P extends GruParams | GruParamsNoBias> extends RecurrentModule<P> implements Gru<P> {
  readonly params: P;

  constructor(options: GruOptions) {
    const o = parseRecurrentOptions('gru', options, [], 'gru({ inputSize: 32, hiddenSize: 64 })');
    super(o);
    const h = this.hiddenSize;
    const biases = [
      ['bias', () => makeVariable('biasInitializer', o.biasInit, [3 * h])],
      ['recurrentBias', () => makeVariable('biasInitializer', o.biasInit, [3 * h])],
    ] as const;
    this.params = buildVariables([
      ['kernel', () => makeVariable('kernelInitializer', o.kernelInit, [this.inputSize, 3 * h])],
      ['recurrentKernel', () => recurrentKernel(o.recurrentInit, h, 3)],
      ...(o.useBias ? biases : []),
    ]) as unknown as P;
  }

  protected step(xw: tf.Tensor2D, [hPrev]: RecurrentState, { u, ub }: StepWeights): RecurrentState {
    // Feature-major: [3h, batch], gate blocks r, z, n contiguous rows.
    const h = hPrev as tf.Tensor2D;
    const uh = tf.matMul(u, h);
    const gates = (t: tf.Tensor) => tf.unstack(tf.reshape(t, [3, this.hiddenSize, -1])) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const [xr, xz, xn] = gates(xw);
    const [hr, hz, hn] = gates(ub ? tf.add(uh, ub) : uh);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    // (1 − z) ⊙ n + z ⊙ h, with one op fewer.
    return [tf.add(n, tf.mul(z, tf.sub(h, n)))];
  }
}

/**
 * A gated recurrent unit layer over batch-first sequences `[batch, time, inputSize]` (Cho et al.
 * 2014), PyTorch's `nn.GRU` equations and gate order (Keras's `GRU` with `reset_after=True`):
 *
 *     [xr, xz, xn] = xₜ·W + b,   [hr, hz, hn] = hₜ₋₁·U + b_h      (gate blocks of the 3h columns)
 *     r = σ(xr + hr),   z = σ(xz + hz),   n = tanh(xn + r ⊙ hn)
 *     hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁
 *
 * `params` is `{ kernel [inputSize, 3h], recurrentKernel [h, 3h], bias [3h], recurrentBias [3h] }`:
 * PyTorch's `weight_ih_l0`ᵀ, `weight_hh_l0`ᵀ, `bias_ih_l0` and `bias_hh_l0` (the recurrent bias is
 * separate because the reset gate multiplies hₙ's). Defaults: Glorot-uniform kernel, each gate's
 * `[h, h]` block of the recurrent kernel orthogonal, zero biases. tfjs-layers' `gru` is the other
 * variant (reset before the matmul, no recurrent bias), whose numbers differ.
 *
 * `apply(x, { initialState: h0 })` (`[batch, h]`, default zeros) returns every hₜ
 * `[batch, time, h]`, or with `returnSequences: false` the last `[batch, h]`. Every step's hₜ is
 * tapped as `${name}.t${t}` under the module's scope before it feeds step t + 1, so `withTaps`
 * records the total ∂L/∂hₜ for each t (see `lstm` for the convention); free outside `withTaps`.
 *
 * @throws HyperParameterError naming the option (sizes, initializers, `null`); UnknownOptionError
 *   for another option (PyTorch's `input_size`, `batch_first`, `num_layers`, Keras's `units` say
 *   what to write); `apply`: ValueError naming `x` or `initialState` for a wrong shape or dtype.
 * @example
 * ```ts
 * const encoder = sequential(gru({ inputSize: 32, hiddenSize: 64, returnSequences: false, seed: 1 }), dense({ inFeatures: 64, outFeatures: 10, seed: 2 }));
 * const logits = encoder.apply(x); // x: [batch, time, 32] → [batch, 10]
 * ```
 */
export function gru(options: GruOptions & { readonly useBias: false }): Gru<GruParamsNoBias>;
export function gru(options: GruOptions & { readonly useBias?: true }): Gru<GruParams>;
export function gru(options: GruOptions): Gru<GruParams | GruParamsNoBias>;
export function gru(options: GruOptions): Gru<GruParams | GruParamsNoBias> {
  return new GruModule(options);
}
