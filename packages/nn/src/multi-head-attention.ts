import { type ApplyOptions, checkNumberOption, type Module, optionOr, resolveSeed, tap } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { DenseParams, DenseParamsNoBias } from './dense.js';
import { type Dropout, type DropoutBuffers, dropout as makeDropout } from './dropout.js';
import { attentionOptions, checkHeads, checkKeyPaddingMask, checkSequence } from './internal/attention-checks.js';
import { uniformVariables } from './internal/attention-init.js';
import { attentionMask } from './internal/attention-mask.js';
import { BaseModule, booleanOption, checkCount, checkName } from './internal/base.js';
import { childSeeds } from './internal/initialize.js';
import { applyChild, inScope, tapName } from './internal/scope.js';

/** Options of `multiHeadAttention`. @example `{ embedDim: 64, numHeads: 4, causal: true, seed: 1 }` */
export interface MultiHeadAttentionOptions {
  /** Size d of the input's and output's last axis (PyTorch's `embed_dim`). */
  readonly embedDim: number;
  /** Number of heads h; must divide `embedDim` (each head has d/h features). */
  readonly numHeads: number;
  /** Whether query t sees only keys 0 … t (a decoder's mask; PyTorch: a causal `attn_mask`). Default false. */
  readonly causal?: boolean;
  /** Whether the four projections have biases (default true; PyTorch's `bias`). */
  readonly useBias?: boolean;
  /** Dropout rate on the attention probabilities in training, in [0, 1) (default 0; PyTorch's `dropout`). */
  readonly dropout?: number;
  /** Seed of the initial weights and of the dropout masks (an integer); default: a fresh random seed. */
  readonly seed?: number;
  /** The module's name, the start of its tap names outside a container (default `'multiHeadAttention'`). */
  readonly name?: string;
}

/** Parameters of `multiHeadAttention`: four `[d, d]` projections with biases. @example `{ query: { kernel, bias }, key, value, output }` */
export type MultiHeadAttentionParams = {
  /** The query projection: `in_proj_weight[0:d]ᵀ`, `in_proj_bias[0:d]` in PyTorch. */
  readonly query: DenseParams;
  /** The key projection: `in_proj_weight[d:2d]ᵀ`, `in_proj_bias[d:2d]`. */
  readonly key: DenseParams;
  /** The value projection: `in_proj_weight[2d:3d]ᵀ`, `in_proj_bias[2d:3d]`. */
  readonly value: DenseParams;
  /** The output projection: `out_proj.weight`ᵀ, `out_proj.bias`. */
  readonly output: DenseParams;
};

/** Parameters of `multiHeadAttention` with `useBias: false`: kernels only. @example `{ query: { kernel }, key, value, output }` */
export type MultiHeadAttentionParamsNoBias = {
  /** The query projection's kernel `[d, d]`. */
  readonly query: DenseParamsNoBias;
  /** The key projection's kernel `[d, d]`. */
  readonly key: DenseParamsNoBias;
  /** The value projection's kernel `[d, d]`. */
  readonly value: DenseParamsNoBias;
  /** The output projection's kernel `[d, d]`. */
  readonly output: DenseParamsNoBias;
};

/** The buffers of `multiHeadAttention`: its dropout's mask state when `dropout > 0`, else none. @example `mha.buffers.attentionDropout?.rngState` */
export type MultiHeadAttentionBuffers = {
  /** The attention dropout's `{ rngState }` (present when `dropout > 0`). */
  readonly attentionDropout?: DropoutBuffers;
};

/**
 * Multi-head self-attention (see `multiHeadAttention`).
 *
 * @example
 * ```ts
 * const mha: MultiHeadAttention = multiHeadAttention({ embedDim: 64, numHeads: 4 });
 * mha.headDim; // 16
 * ```
 */
export interface MultiHeadAttention<P extends MultiHeadAttentionParams | MultiHeadAttentionParamsNoBias = MultiHeadAttentionParams> extends Module<P> {
  /** Size d of the features. */
  readonly embedDim: number;
  /** Number of heads h. */
  readonly numHeads: number;
  /** Features per head, d/h. */
  readonly headDim: number;
  /** Whether the causal mask is applied. */
  readonly causal: boolean;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
  /** Dropout rate on the attention probabilities in training. */
  readonly dropout: number;
  /** `{ attentionDropout: { rngState } }` when `dropout > 0`, else `{}`. */
  readonly buffers: MultiHeadAttentionBuffers;
}

const KEYS = ['embedDim', 'numHeads', 'causal', 'useBias', 'dropout', 'seed', 'name'];

type AnyParams = MultiHeadAttentionParams | MultiHeadAttentionParamsNoBias;

class MultiHeadAttentionModule<P extends AnyParams> extends BaseModule<P> implements MultiHeadAttention<P> {
  readonly name: string;
  readonly params: P;
  override readonly buffers: MultiHeadAttentionBuffers;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly useBias: boolean;
  readonly dropout: number;
  protected override readonly applyKeys = ['keyPaddingMask'];
  private readonly attentionDropout: Dropout | null;

  constructor(options: MultiHeadAttentionOptions) {
    super();
    const o = attentionOptions('multiHeadAttention', options, KEYS, 'multiHeadAttention({ embedDim: 64, numHeads: 4 })');
    this.embedDim = checkCount('embedDim', o.embedDim, 'the size of the features');
    this.numHeads = checkHeads(o.numHeads, this.embedDim);
    this.headDim = this.embedDim / this.numHeads;
    this.causal = booleanOption('causal', o.causal, false);
    this.useBias = booleanOption('useBias', o.useBias, true);
    this.dropout = checkNumberOption('dropout', optionOr('dropout', o.dropout, 0), { min: 0, max: 1, maxExclusive: true });
    this.name = checkName(o.name, 'multiHeadAttention');
    const [weightSeed, dropoutSeed] = childSeeds(resolveSeed(o.seed, 'multiHeadAttention'), 2) as [number, number];
    const d = this.embedDim;
    // PyTorch's _reset_parameters: xavier_uniform_ on in_proj_weight [3d, d] (fans d and 3d: bound √(6/4d)),
    // out_proj keeps nn.Linear's kaiming_uniform_(a=√5) (bound 1/√d), every bias zero.
    const inBound = Math.sqrt(6 / (4 * d));
    const [q, k, v, out] = uniformVariables(weightSeed, [d, d], [inBound, inBound, inBound, 1 / Math.sqrt(d)]) as [
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
    ];
    const projection = (kernel: tf.Variable) => (this.useBias ? { kernel, bias: tf.tidy(() => tf.variable(tf.zeros([d]), true)) } : { kernel });
    this.params = Object.freeze({ query: projection(q), key: projection(k), value: projection(v), output: projection(out) }) as unknown as P;
    this.attentionDropout = this.dropout > 0 ? makeDropout(this.dropout, { seed: dropoutSeed }) : null;
    this.buffers = this.attentionDropout ? { attentionDropout: this.attentionDropout.buffers } : {};
  }

  protected forward(x: tf.Tensor, _training: boolean, options: ApplyOptions): tf.Tensor {
    const [batch, time] = checkSequence(this.name, x, this.embedDim);
    const mask = options.keyPaddingMask === undefined ? undefined : checkKeyPaddingMask(this.name, options.keyPaddingMask, batch, time);
    const { embedDim: d, numHeads: h, headDim } = this;
    const { query, key, value, output } = this.params as Record<string, Partial<DenseParams>>;
    // x·(W·s) + b·s: the query's scale s = 1/√(d/h) goes on the [d, d] kernel, not on the activations.
    const project = (rows: tf.Tensor2D, p: Partial<DenseParams> | undefined, scale = 1) => {
      const scaled = (v: tf.Variable) => (scale === 1 ? v : tf.mul(v, scale));
      return tf.fused.matMul({ a: rows, b: scaled(p?.kernel as tf.Variable), ...(p?.bias ? { bias: scaled(p.bias) } : {}) });
    };
    const rows = tf.reshape(x, [batch * time, d]) as tf.Tensor2D;
    // [batch·time, d] → [batch, heads, time, d/h]: head k holds columns k·d/h … (k+1)·d/h − 1.
    const heads = (p: Partial<DenseParams> | undefined, scale?: number) =>
      tf.transpose(tf.reshape(project(rows, p, scale), [batch, time, h, headDim]), [0, 2, 1, 3]);
    const path = tapName(this.name);
    const q = heads(query, 1 / Math.sqrt(headDim));
    const logits = tap(tf.matMul(q, heads(key), false, true), `${path}.logits`);
    const { additive, live } = attentionMask(mask, this.causal, time);
    let probs = tf.softmax(additive ? tf.add(logits, additive) : logits);
    if (live) probs = tf.mul(probs, live);
    probs = tap(probs, `${path}.probs`);
    const drop = this.attentionDropout;
    if (drop) probs = inScope(this.name, () => applyChild(drop, 'attentionDropout', probs, options));
    const attended = tf.reshape(tf.transpose(tf.matMul(probs, heads(value)), [0, 2, 1, 3]), [batch * time, d]) as tf.Tensor2D;
    return tf.reshape(project(attended, output), [batch, time, d]);
  }

  protected override children(): readonly Module[] {
    return this.attentionDropout ? [this.attentionDropout] : [];
  }
}

/**
 * Multi-head self-attention (Vaswani et al. 2017) over sequences `[batch, time, embedDim]`:
 * Q = x·W_q + b_q, K = x·W_k + b_k, V = x·W_v + b_v, split into h heads of d/h features (head k takes
 * columns k·d/h … (k+1)·d/h − 1); per head, P = softmax(Q_k·K_kᵀ/√(d/h) + M) and A_k = P·V_k; the heads
 * are concatenated back and projected: y = concat(A_1 … A_h)·W_o + b_o. `params` is
 * `{ query, key, value, output }`, each `{ kernel [d, d], bias [d] }` (`{ kernel }` with
 * `useBias: false`). The heads run batched: one reshape and transpose to `[batch, heads, time, d/h]`
 * and 4-D matrix products, no loop over heads.
 *
 * PyTorch: `nn.MultiheadAttention(d, h, batch_first=True)` applied as `mha(x, x, x)`, with
 * query/key/value kernels = `in_proj_weight` rows [0, d), [d, 2d), [2d, 3d) transposed and
 * `in_proj_bias` slices, output = `out_proj.weight`ᵀ and `out_proj.bias`. Initialization is
 * PyTorch's: `xavier_uniform_` on the stacked `[3d, d]` input projection (U(±√(6/4d)) for each of
 * query, key, value), nn.Linear's default U(±1/√d) for the output kernel, every bias zero.
 *
 * Masks (M above, added before the softmax): `causal: true` hides keys after the query (PyTorch's
 * causal `attn_mask`); `apply(x, { keyPaddingMask })`, a `[batch, time]` bool or 0/1 tensor, true (1,
 * any non-zero) where a key is padding, hides those keys from every query (PyTorch's
 * `key_padding_mask`; note Keras's `attention_mask` means the opposite, 1 = attend). A query that sees
 * no key at all (every key padding, or with `causal`, every key up to it) gets all-zero attention
 * weights, so its attention output is 0 and y = b_o there; PyTorch 1.13 returns NaN for such rows.
 * Masked scores are pushed to −1e30, not −∞, so no backend meets an infinity.
 *
 * Taps (read with `withTaps` from `@gradkit/core`), under the module's tap path p (its name, or
 * `'<container path>.<name>'` inside a container, e.g. `'0.attention.multiHeadAttention'`):
 * - `p.logits`: `[batch, heads, tq, tk]`, the scaled scores Q_k·K_kᵀ/√(d/h) before any mask (a masked
 *   position holds the score the mask then discarded; its gradient is 0). For the logit scale.
 * - `p.probs`: `[batch, heads, tq, tk]`, the attention probabilities after the masks and before
 *   dropout: each row sums to 1 (0 for a query that sees no key), masked keys have probability 0.
 *   PyTorch's weights from `need_weights=True, average_attn_weights=False` (with dropout 0). For entropy.
 * - `p`: the output `[batch, time, embedDim]`, as every module.
 * - `p.attentionDropout.dropout`: with `dropout > 0`, the probabilities after dropout.
 *
 * @throws HyperParameterError naming the option: `embedDim` or `numHeads` not a positive integer,
 *   `numHeads` not dividing `embedDim`, `dropout` outside [0, 1), `causal`/`useBias` not boolean, a
 *   non-integer `seed`, `null` for any option; UnknownOptionError for another option (PyTorch's
 *   `embed_dim`, `num_heads` suggest gradkit's). `apply` throws a ValueError naming `x` (not
 *   `[batch, time, embedDim]` float32) or `keyPaddingMask` (not a `[batch, time]` bool or numeric
 *   tensor) before computing anything.
 * @example
 * ```ts
 * const mha = multiHeadAttention({ embedDim: 64, numHeads: 4, causal: true, seed: 1 });
 * const y = mha.apply(x);                                     // x, y: [batch, time, 64]
 * const padded = mha.apply(x, { keyPaddingMask: isPadding }); // isPadding: bool [batch, time]
 * const { taps } = withTaps(() => mha.apply(x))();            // taps['multiHeadAttention.probs']
 * ```
 */
export function multiHeadAttention(options: MultiHeadAttentionOptions & { readonly useBias: false }): MultiHeadAttention<MultiHeadAttentionParamsNoBias>;
export function multiHeadAttention(options: MultiHeadAttentionOptions & { readonly useBias?: true }): MultiHeadAttention<MultiHeadAttentionParams>;
export function multiHeadAttention(options: MultiHeadAttentionOptions): MultiHeadAttention<MultiHeadAttentionParams | MultiHeadAttentionParamsNoBias>;
export function multiHeadAttention(options: MultiHeadAttentionOptions): MultiHeadAttention<MultiHeadAttentionParams | MultiHeadAttentionParamsNoBias> {
  return new MultiHeadAttentionModule(options);
}
