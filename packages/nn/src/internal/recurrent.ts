import { type ApplyOptions, describeValue, type ParamTree, tap, ValueError } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkFloatInput } from './base.js';
import { makeVariable } from './initialize.js';
import type { ParsedRecurrent } from './recurrent-options.js';
import { tapName } from './scope.js';

/** One step's state: `[h]` (simpleRnn, gru) or `[h, c]` (lstm), each `[batch, hidden]`. */
export type RecurrentState = readonly tf.Tensor[];

/** The tap name of step `t` of the module tapped as `base`: `${base}.t${t}` (never integer-like). */
export const stepTapName = (base: string, t: number): string => `${base}.t${t}`;

/** The weights a step uses, prepared once per `apply`. */
export interface StepWeights {
  /** The recurrent kernel transposed, Uᵀ `[G·h, h]`, so that Uᵀ·hₜ₋₁ is the gates' recurrent part `[G·h, batch]`. */
  readonly u: tf.Tensor2D;
  /** The recurrent bias as a column `[G·h, 1]` (gru), or null. */
  readonly ub: tf.Tensor2D | null;
}

/**
 * What `simpleRnn`, `lstm` and `gru` share: the input checks, the initial state, the input
 * projection of many steps at once (x·W + b over `[batch·steps, in]`), the loop over time with
 * every step's hidden state tapped, and the output (every step, or the last).
 *
 * The loop is differentiated by tfjs's autograd and runs feature-major: the state is hᵀ
 * `[h, batch]` and a step computes zᵀ = (xₜW + b)ᵀ + Uᵀhᵀ `[G·h, batch]`, whose gate blocks are
 * contiguous rows, taken apart by a free reshape and one `unstack`. Batch-major, the gates would be
 * column blocks of `[batch, G·h]`, and tfjs's cpu `split` copies those element by element (90% of an
 * LSTM training step); a broadcast batched matmul over `[G, h, h]` would avoid the split, but tfjs's
 * BatchMatMul gradient does not reduce broadcast inputs. Every transpose is 2-D (core's cpu fast
 * path runs those blocked; tfjs's generic one is far slower). The projection is made per group of
 * steps (see `timeGroups`) and transposed once per group, the outputs once at the end; per-step
 * slices come from `unstack` and the outputs go back with one `stack` (their gradients are one op
 * each, where per-step `slice`s would each pad a gradient of the whole sequence's size).
 *
 * Taps: step t's hidden state is tapped batch-major (`[batch, h]`) as `${tapName(name)}.t${t}`,
 * before it feeds step t + 1, so the recorded gradient is the total ∂L/∂hₜ. The first step's tap
 * tells whether `withTaps` is active (`tap` returns its input unchanged when not); only then does
 * every step pay the two transposes that route the state through its tap.
 */
export abstract class RecurrentModule<P extends ParamTree> extends BaseModule<P> {
  readonly name: string;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly returnSequences: boolean;
  readonly useBias: boolean;
  protected override readonly applyKeys = ['initialState'];
  /** How many tensors the state holds (1: h; 2: h and c). */
  protected readonly stateSize: number = 1;
  /** How `initialState` is written, for error messages. */
  protected readonly stateExample: string = '[batch, hiddenSize]';

  constructor(o: Pick<ParsedRecurrent<unknown>, 'name' | 'inputSize' | 'hiddenSize' | 'returnSequences' | 'useBias'>) {
    super();
    ({ name: this.name, inputSize: this.inputSize, hiddenSize: this.hiddenSize, returnSequences: this.returnSequences, useBias: this.useBias } = o);
  }

  /**
   * One step, feature-major: the projected input (xₜW + b)ᵀ `[G·h, batch]` and the previous state
   * (each `[h, batch]`) → the new state (h first).
   */
  protected abstract step(xw: tf.Tensor2D, state: RecurrentState, weights: StepWeights): RecurrentState;

  protected forward(x: tf.Tensor, _training: boolean, options: ApplyOptions): tf.Tensor {
    const { inputSize } = this;
    if (x.rank !== 3 || x.shape[2] !== inputSize)
      throw new ValueError(
        'x',
        `${this.name}: the input must be [batch, time, inputSize = ${inputSize}], got shape [${x.shape.join(', ')}] (sequences are batch first, features last)`,
      );
    checkFloatInput(this.name, x);
    const [batch, time] = x.shape as [number, number, number];
    if (time < 1) throw new ValueError('x', `${this.name}: the input has no time steps (shape [${x.shape.join(', ')}])`);
    let state: RecurrentState =
      options.initialState === undefined
        ? Array.from({ length: this.stateSize }, () => tf.zeros([this.hiddenSize, batch]))
        : this.checkInitialState(options.initialState, batch).map((s) => tf.transpose(s));
    const { kernel, bias, recurrentKernel, recurrentBias } = this.params as unknown as {
      kernel: tf.Tensor2D;
      recurrentKernel: tf.Tensor2D;
      bias?: tf.Tensor1D;
      recurrentBias?: tf.Tensor1D;
    };
    const gh = kernel.shape[1];
    const weights: StepWeights = {
      u: tf.transpose(recurrentKernel),
      ub: recurrentBias ? (tf.reshape(recurrentBias, [gh, 1]) as tf.Tensor2D) : null,
    };
    const steps = timeGroups(x).flatMap((xg) => {
      // Rows (b, t) of the group's projection; as [batch, steps·G·h] transposed, that is [steps, G·h, batch].
      const n = xg.shape[1] as number;
      const flat = tf.reshape(xg, [batch * n, inputSize]);
      const projected = bias ? tf.add(tf.matMul(flat, kernel), bias) : tf.matMul(flat, kernel);
      const stepsT = tf.transpose(tf.reshape(projected, [batch, n * gh]));
      // tfjs's gradient of an unstack into one tensor throws (time 1, or a last group of 1 step).
      return n === 1 ? [stepsT as tf.Tensor2D] : (tf.unstack(tf.reshape(stepsT, [n, gh, batch])) as tf.Tensor2D[]);
    });
    const base = tapName(this.name);
    let tapping = false;
    const outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < time; t++) {
      const [hT, ...rest] = this.step(steps[t] as tf.Tensor2D, state, weights);
      let h = hT as tf.Tensor2D;
      if (t === 0 || tapping) {
        const hb = tf.transpose(h);
        const tapped = tap(hb, stepTapName(base, t));
        if (t === 0) tapping = tapped !== hb;
        if (tapping) h = tf.transpose(tapped);
      }
      state = [h, ...rest];
      if (this.returnSequences) outputs.push(h);
    }
    // [time, h, batch] → [time·h, batch] → transposed, [batch, time·h] = [batch, time, h]
    if (!this.returnSequences) return tf.transpose(state[0] as tf.Tensor2D);
    return tf.reshape(tf.transpose(tf.reshape(tf.stack(outputs), [-1, batch])), [batch, time, this.hiddenSize]);
  }

  /** The given initial state, checked (batch-major, as the user gives it). */
  private checkInitialState(given: NonNullable<ApplyOptions['initialState']>, batch: number): tf.Tensor2D[] {
    const expected = `[${batch}, ${this.hiddenSize}]`;
    const parts: readonly unknown[] = this.stateSize === 1 ? [given] : Array.isArray(given) ? given : [];
    if (this.stateSize === 1 && Array.isArray(given))
      throw new ValueError('initialState', `${this.name}: initialState must be one tensor ${expected} (only lstm takes [h0, c0]), got ${describeValue(given)}`);
    if (parts.length !== this.stateSize)
      throw new ValueError('initialState', `${this.name}: initialState must be ${this.stateExample} with each ${expected}, got ${describeValue(given)}`);
    return parts.map((s, i) => {
      const field = this.stateSize === 1 ? 'initialState' : `initialState[${i}]`;
      if (!(s instanceof tf.Tensor)) throw new ValueError(field, `${this.name}: ${field} must be a tf.Tensor ${expected}, got ${describeValue(s)}`);
      if (s.isDisposed) throw new ValueError(field, `${this.name}: ${field} was disposed`);
      if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== this.hiddenSize)
        throw new ValueError(field, `${this.name}: ${field} must be ${expected} ([batch, hiddenSize]), got shape [${s.shape.join(', ')}]`);
      if (s.dtype !== 'float32') throw new ValueError(field, `${this.name}: ${field} must be float32, got ${s.dtype}`);
      return s as tf.Tensor2D;
    });
  }
}

/**
 * The recurrent kernel `[h, gates·h]`: `init` called once per gate block `[h, h]` (so that each
 * gate's block is orthogonal, or the identity), the blocks side by side in gate order.
 */
export function recurrentKernel(init: Initializer, hidden: number, gates: number): tf.Variable {
  const blocks: tf.Variable[] = [];
  try {
    for (let g = 0; g < gates; g++) blocks.push(makeVariable('recurrentInitializer', init, [hidden, hidden]));
    return tf.tidy(() => tf.variable(gates === 1 ? tf.clone(blocks[0] as tf.Variable) : tf.concat(blocks, 1), true));
  } finally {
    tf.dispose(blocks);
  }
}

/**
 * The input `[batch, time, in]` cut along time into about √time groups, each projected and
 * unstacked on its own: tfjs-wasm's slice (which `unstack` and `split` run per output) copies its
 * whole input out of the heap first, so unstacking 100 steps of the whole 3 MB projection copied
 * 300 MB (440 ms of a 1.1 s LSTM training step). Groups of the 8× smaller input, then of one group's
 * projection, copy ~2√time times less; elsewhere the few extra ops are negligible.
 */
function timeGroups(x: tf.Tensor): tf.Tensor3D[] {
  const time = x.shape[1] as number;
  if (time <= 16) return [x as tf.Tensor3D];
  const group = Math.ceil(Math.sqrt(time));
  const sizes = Array.from({ length: Math.ceil(time / group) }, (_, i) => Math.min(group, time - i * group));
  return tf.split(x, sizes, 1) as tf.Tensor3D[];
}
