import { HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { booleanOption } from './internal/base.js';
import { buildVariables, makeVariable } from './internal/initialize.js';
import { RecurrentModule, type RecurrentState, recurrentKernel, type StepWeights } from './internal/recurrent.js';
import { parseRecurrentOptions, type Recurrent, type RecurrentOptions } from './internal/recurrent-options.js';

/** Options of `lstm`. @example `{ inputSize: 32, hiddenSize: 64, returnSequences: false, seed: 1 }` */
export interface LstmOptions extends RecurrentOptions {
  /**
   * Whether the forget gate's bias block starts at 1 whatever `biasInitializer` gives there (Keras's
   * `unit_forget_bias`; Jozefowicz et al. 2015), so the cell remembers by default. Default true.
   */
  readonly unitForgetBias?: boolean;
}

/**
 * Parameters of an `lstm` with biases, gate blocks in PyTorch's order i, f, g, o (columns k·h … (k+1)·h − 1).
 * @example `{ kernel, recurrentKernel, bias } // [in, 4h], [h, 4h], [4h]`
 */
export type LstmParams = {
  /** The input kernel W `[inputSize, 4·h]` (PyTorch's `weight_ih_l0`ᵀ), gate blocks i, f, g, o. */
  readonly kernel: tf.Variable;
  /** The recurrent kernel U `[h, 4·h]` (PyTorch's `weight_hh_l0`ᵀ), gate blocks i, f, g, o. */
  readonly recurrentKernel: tf.Variable;
  /** The bias `[4·h]` (PyTorch's `bias_ih_l0 + bias_hh_l0`). */
  readonly bias: tf.Variable;
};
/** Parameters of an `lstm` without biases (`useBias: false`). @example `{ kernel, recurrentKernel } // [in, 4h], [h, 4h]` */
export type LstmParamsNoBias = {
  /** The input kernel W `[inputSize, 4·h]` (PyTorch's `weight_ih_l0`ᵀ), gate blocks i, f, g, o. */
  readonly kernel: tf.Variable;
  /** The recurrent kernel U `[h, 4·h]` (PyTorch's `weight_hh_l0`ᵀ), gate blocks i, f, g, o. */
  readonly recurrentKernel: tf.Variable;
};

/**
 * A long short-term memory layer (see `lstm`).
 *
 * @example
 * ```ts
 * const cell: Lstm = lstm({ inputSize: 8, hiddenSize: 16 });
 * cell.params.recurrentKernel.shape; // [16, 64]
 * ```
 */
export interface Lstm<P extends LstmParams | LstmParamsNoBias = LstmParams> extends Recurrent<P> {
  /** Whether the forget gate's bias started at 1. */
  readonly unitForgetBias: boolean;
}

class LstmModule<P extends LstmParams | LstmParamsNoBias> extends RecurrentModule<P> implements Lstm<P> {
  readonly params: P;
  readonly unitForgetBias: boolean;
  protected override readonly stateSize = 2;
  protected override readonly stateExample = '[h0, c0]';

  constructor(options: LstmOptions) {
    const o = parseRecurrentOptions('lstm', options, ['unitForgetBias'], 'lstm({ inputSize: 32, hiddenSize: 64 })');
    super(o);
    if (!o.useBias && o.options.unitForgetBias === true)
      throw new HyperParameterError('unitForgetBias', 'lstm: unitForgetBias sets a bias and would be ignored with useBias: false; drop one of them');
    this.unitForgetBias = booleanOption('unitForgetBias', o.options.unitForgetBias, o.useBias) && o.useBias;
    const h = this.hiddenSize;
    this.params = buildVariables([
      ['kernel', () => makeVariable('kernelInitializer', o.kernelInit, [this.inputSize, 4 * h])],
      ['recurrentKernel', () => recurrentKernel(o.recurrentInit, h, 4)],
      ...(o.useBias ? ([['bias', () => this.makeBias(o.biasInit)]] as const) : []),
    ]) as unknown as P;
  }

  private makeBias(init: Parameters<typeof makeVariable>[1]): tf.Variable {
    const bias = makeVariable('biasInitializer', init, [4 * this.hiddenSize]);
    if (this.unitForgetBias) {
      const h = this.hiddenSize;
      tf.tidy(() => bias.assign(tf.concat([tf.slice(bias, 0, h), tf.ones([h]), tf.slice(bias, 2 * h, 2 * h)])));
    }
    return bias;
  }

  protected step(xw: tf.Tensor2D, [h, c]: RecurrentState, { u }: StepWeights): RecurrentState {
    // Feature-major: z is [4h, batch], its gate blocks i, f, g, o contiguous rows.
    const z = tf.add(xw, tf.matMul(u, h as tf.Tensor2D));
    const [i, f, g, o] = tf.unstack(tf.reshape(z, [4, this.hiddenSize, -1])) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const cNext = tf.add(tf.mul(tf.sigmoid(f), c as tf.Tensor2D), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    return [tf.mul(tf.sigmoid(o), tf.tanh(cNext)), cNext];
  }
}

/**
 * A long short-term memory layer over batch-first sequences `[batch, time, inputSize]` (Hochreiter &
 * Schmidhuber 1997, with the forget gate of Gers et al. 2000), PyTorch's equations and gate order:
 *
 *     [i, f, g, o] = xₜ·W + hₜ₋₁·U + b           (gate blocks of the 4h columns, in this order)
 *     cₜ = σ(f) ⊙ cₜ₋₁ + σ(i) ⊙ tanh(g),   hₜ = σ(o) ⊙ tanh(cₜ)
 *
 * `params` is `{ kernel [inputSize, 4h], recurrentKernel [h, 4h], bias [4h] }`: PyTorch's
 * `weight_ih_l0`ᵀ, `weight_hh_l0`ᵀ and `bias_ih_l0 + bias_hh_l0` (Keras's `kernel`,
 * `recurrent_kernel` and `bias` with its gate order i, f, c, o). Defaults: Glorot-uniform kernel,
 * each gate's `[h, h]` block of the recurrent kernel orthogonal (Saxe et al. 2014), zero bias with
 * the forget block at 1 (`unitForgetBias`, Jozefowicz et al. 2015).
 *
 * `apply(x, { initialState: [h0, c0] })` (each `[batch, h]`, default zeros) returns every hₜ
 * `[batch, time, h]`, or with `returnSequences: false` the last `[batch, h]`. The input
 * projection x·W + b runs for many steps at once (one matmul per ⌈√time⌉ steps); each step then
 * runs h·U and the gates.
 *
 * Taps: every step's hidden state hₜ (`[batch, h]`) is tapped as `${name}.t${t}` under the module's scope
 * (`'lstm.t0'` … `'lstm.t99'` applied alone; `'0.lstm.t5'` as the first layer of a `sequential`),
 * before it feeds step t + 1, so under `withTaps` each records the total ∂L/∂hₜ (through the output
 * and through all later steps): the temporal gradient-flow picture. The module's output is tapped
 * under its name as every module's is. Outside `withTaps` the taps cost nothing.
 *
 * @throws HyperParameterError naming the option for a size that is not a positive integer, an
 *   initializer that is not one (or a factory passed uncalled), a `null` option, `unitForgetBias: true`
 *   with `useBias: false`; UnknownOptionError for another option (PyTorch's `input_size`,
 *   `hidden_size`, `batch_first`, `num_layers` and Keras's `units` say what to write). `apply`
 *   throws a ValueError naming `x` (not `[batch, time, inputSize]` float32) or `initialState`.
 * @example
 * ```ts
 * const encoder = sequential(
 *   lstm({ inputSize: 32, hiddenSize: 64, returnSequences: false, seed: 1 }),
 *   dense({ inFeatures: 64, outFeatures: 10, seed: 2 }),
 * );
 * const logits = encoder.apply(x); // x: [batch, time, 32] → [batch, 10]
 * const h = lstm({ inputSize: 32, hiddenSize: 64 }).apply(x, { initialState: [h0, c0] });
 * ```
 */
export function lstm(options: LstmOptions & { readonly useBias: false }): Lstm<LstmParamsNoBias>;
export function lstm(options: LstmOptions & { readonly useBias?: true }): Lstm<LstmParams>;
export function lstm(options: LstmOptions): Lstm<LstmParams | LstmParamsNoBias>;
export function lstm(options: LstmOptions): Lstm<LstmParams | LstmParamsNoBias> {
  return new LstmModule(options);
}
