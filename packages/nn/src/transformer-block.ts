import { type ApplyOptions, checkNumberOption, type Module, optionOr, resolveSeed } from '@gradkit/core';
import { uniform } from '@gradkit/initializers';
import { LayerNorm, RMSNorm } from '@gradkit/normalization';
import * as tf from '@tensorflow/tfjs-core';
import { type Dense, type DenseParams, dense } from './dense.js';
import { type Dropout, type DropoutBuffers, dropout as makeDropout } from './dropout.js';
import { type ActivationSpec, resolveActivation } from './internal/activation.js';
import { attentionOptions, checkHeads, checkKeyPaddingMask, checkSequence } from './internal/attention-checks.js';
import { BaseModule, booleanOption, checkCount, checkName, choiceOption } from './internal/base.js';
import { childSeeds } from './internal/initialize.js';
import { applyChild, inScope } from './internal/scope.js';
import { type MultiHeadAttention, type MultiHeadAttentionBuffers, type MultiHeadAttentionParams, multiHeadAttention } from './multi-head-attention.js';

/** Options of `transformerBlock`. @example `{ embedDim: 64, numHeads: 4, ffnDim: 256, norm: 'pre', seed: 1 }` */
export interface TransformerBlockOptions {
  /** Size d of the features (PyTorch's `d_model`). */
  readonly embedDim: number;
  /** Number of attention heads; must divide `embedDim` (PyTorch's `nhead`). */
  readonly numHeads: number;
  /** Width of the feed-forward network's hidden layer (PyTorch's `dim_feedforward`). */
  readonly ffnDim: number;
  /** `'pre'` (default): x + f(norm(x)), Pre-LN; `'post'`: norm(x + f(x)), the original transformer (PyTorch's `norm_first` true / false; PyTorch defaults to post). */
  readonly norm?: 'pre' | 'post';
  /** The feed-forward network's activation: a name of `@gradkit/activations` or a function (default `'gelu'`, exact, as PyTorch's `'gelu'`). */
  readonly activation?: ActivationSpec;
  /** Dropout rate in training at PyTorch's four places, in [0, 1) (default 0). */
  readonly dropout?: number;
  /** Whether the attention is causal (see `multiHeadAttention`); default false. */
  readonly causal?: boolean;
  /** `'layerNorm'` (default; PyTorch's) or `'rmsNorm'` (no shift, as LLaMA). */
  readonly normalization?: 'layerNorm' | 'rmsNorm';
  /** The norms' ε (default: 1e-5 for layerNorm, PyTorch's `layer_norm_eps`; 1e-6 for rmsNorm). */
  readonly epsilon?: number;
  /** Seed of every initial weight and dropout mask (an integer); default: a fresh random seed. */
  readonly seed?: number;
  /** The module's name, its tap name outside a container (default `'transformerBlock'`). */
  readonly name?: string;
}

/** Parameters of a normalization in a block: `{ gamma, beta }` (layerNorm) or `{ gamma }` (rmsNorm). @example `{ gamma, beta }` */
export type BlockNormParams =
  | {
      /** The scale γ `[d]` (PyTorch's `weight`), ones at first. */
      readonly gamma: tf.Variable;
      /** The shift β `[d]` (PyTorch's `bias`), zeros at first. */
      readonly beta: tf.Variable;
    }
  | {
      /** The scale γ `[d]` of RMSNorm, ones at first. */
      readonly gamma: tf.Variable;
    };

/**
 * Parameters of `transformerBlock`, keyed as PyTorch's `TransformerEncoderLayer` (its `self_attn` is
 * `attention`), in the order the forward pass uses them (pre: norm1, attention, norm2, linear1,
 * linear2; post: attention, norm1, linear1, linear2, norm2).
 *
 * @example `{ norm1: { gamma, beta }, attention: { query, key, value, output }, norm2, linear1: { kernel, bias }, linear2 }`
 */
export type TransformerBlockParams = {
  /** The self-attention's `{ query, key, value, output }`. */
  readonly attention: MultiHeadAttentionParams;
  /** The normalization of the attention sub-layer. */
  readonly norm1: BlockNormParams;
  /** The feed-forward network's first layer, `[d, ffnDim]` (PyTorch's `linear1.weight`ᵀ). */
  readonly linear1: DenseParams;
  /** The feed-forward network's second layer, `[ffnDim, d]` (PyTorch's `linear2.weight`ᵀ). */
  readonly linear2: DenseParams;
  /** The normalization of the feed-forward sub-layer. */
  readonly norm2: BlockNormParams;
};

/** The buffers of `transformerBlock` when `dropout > 0`: each dropout's mask state; `{}` otherwise. @example `block.buffers.dropout1?.rngState` */
export type TransformerBlockBuffers = {
  /** The attention's own dropout (on its probabilities). */
  readonly attention?: MultiHeadAttentionBuffers;
  /** Dropout on the attention sub-layer's output (PyTorch's `dropout1`). */
  readonly dropout1?: DropoutBuffers;
  /** Dropout after the feed-forward activation (PyTorch's `dropout`). */
  readonly dropout?: DropoutBuffers;
  /** Dropout on the feed-forward sub-layer's output (PyTorch's `dropout2`). */
  readonly dropout2?: DropoutBuffers;
};

/**
 * A transformer encoder layer (see `transformerBlock`).
 *
 * @example
 * ```ts
 * const block: TransformerBlock = transformerBlock({ embedDim: 64, numHeads: 4, ffnDim: 256 });
 * block.attention.numHeads; // 4
 * ```
 */
export interface TransformerBlock extends Module<TransformerBlockParams> {
  /** Size d of the features. */
  readonly embedDim: number;
  /** Width of the feed-forward hidden layer. */
  readonly ffnDim: number;
  /** Where the normalizations sit. */
  readonly norm: 'pre' | 'post';
  /** Which normalization. */
  readonly normalization: 'layerNorm' | 'rmsNorm';
  /** The dropout rate. */
  readonly dropout: number;
  /** The self-attention sub-layer. */
  readonly attention: MultiHeadAttention;
  /** The dropout modules' buffers by key (`{}` with dropout 0). */
  readonly buffers: TransformerBlockBuffers;
}

const KEYS = ['embedDim', 'numHeads', 'ffnDim', 'norm', 'activation', 'dropout', 'causal', 'normalization', 'epsilon', 'seed', 'name'];

/** PyTorch's nn.Linear init: weight and bias U(±1/√in). */
function linear(inFeatures: number, outFeatures: number, seed: number, activation?: ActivationSpec): Dense {
  const bound = { min: -1 / Math.sqrt(inFeatures), max: 1 / Math.sqrt(inFeatures) };
  const [kernelSeed, biasSeed] = childSeeds(seed, 2) as [number, number];
  return dense({
    inFeatures,
    outFeatures,
    ...(activation === undefined ? {} : { activation }),
    kernelInitializer: uniform({ ...bound, seed: kernelSeed }),
    biasInitializer: uniform({ ...bound, seed: biasSeed }),
  });
}

class TransformerBlockModule extends BaseModule<TransformerBlockParams> implements TransformerBlock {
  readonly name: string;
  readonly params: TransformerBlockParams;
  override readonly buffers: TransformerBlockBuffers;
  readonly embedDim: number;
  readonly ffnDim: number;
  readonly norm: 'pre' | 'post';
  readonly normalization: 'layerNorm' | 'rmsNorm';
  readonly dropout: number;
  readonly attention: MultiHeadAttention;
  protected override readonly applyKeys = ['keyPaddingMask'];
  private readonly parts: { norm1: Module; linear1: Module; linear2: Module; norm2: Module };
  private readonly drops: { dropout1?: Dropout; dropout?: Dropout; dropout2?: Dropout };

  constructor(options: TransformerBlockOptions) {
    super();
    const o = attentionOptions('transformerBlock', options, KEYS, 'transformerBlock({ embedDim: 64, numHeads: 4, ffnDim: 256 })');
    const d = checkCount('embedDim', o.embedDim, 'the size of the features');
    const numHeads = checkHeads(o.numHeads, d);
    this.embedDim = d;
    this.ffnDim = checkCount('ffnDim', o.ffnDim, "the width of the feed-forward network's hidden layer");
    this.norm = choiceOption('norm', o.norm, ['pre', 'post'] as const, 'pre');
    this.normalization = choiceOption('normalization', o.normalization, ['layerNorm', 'rmsNorm'] as const, 'layerNorm');
    const activation = optionOr('activation', o.activation, 'gelu');
    resolveActivation(activation, 'activation');
    this.dropout = checkNumberOption('dropout', optionOr('dropout', o.dropout, 0), { min: 0, max: 1, maxExclusive: true });
    const causal = booleanOption('causal', o.causal, false);
    const epsilon = o.epsilon === undefined ? undefined : checkNumberOption('epsilon', optionOr('epsilon', o.epsilon, 1e-5), { min: 0, minExclusive: true });
    this.name = checkName(o.name, 'transformerBlock');
    const seeds = childSeeds(resolveSeed(o.seed, 'transformerBlock'), 6) as [number, number, number, number, number, number];
    // Everything is checked: build the parts (nothing below throws on user input).
    this.attention = multiHeadAttention({ embedDim: d, numHeads, causal, dropout: this.dropout, seed: seeds[0] });
    const makeNorm = () =>
      this.normalization === 'layerNorm'
        ? LayerNorm({ features: d, ...(epsilon === undefined ? {} : { epsilon }) })
        : RMSNorm({ features: d, ...(epsilon === undefined ? {} : { epsilon }) });
    this.parts = { norm1: makeNorm(), linear1: linear(d, this.ffnDim, seeds[1], activation), linear2: linear(this.ffnDim, d, seeds[2]), norm2: makeNorm() };
    const drop = (seed: number) => (this.dropout > 0 ? makeDropout(this.dropout, { seed }) : undefined);
    this.drops = Object.fromEntries(
      (['dropout1', 'dropout', 'dropout2'] as const).flatMap((k, i) => {
        const m = drop(seeds[3 + i] as number);
        return m ? [[k, m]] : [];
      }),
    );
    const { norm1, linear1, linear2, norm2 } = this.parts;
    const attention = this.attention.params;
    this.params = Object.freeze(
      this.norm === 'pre'
        ? { norm1: norm1.params, attention, norm2: norm2.params, linear1: linear1.params, linear2: linear2.params }
        : { attention, norm1: norm1.params, linear1: linear1.params, linear2: linear2.params, norm2: norm2.params },
    ) as unknown as TransformerBlockParams;
    const buffers: Record<string, unknown> = {};
    if (this.dropout > 0) buffers.attention = this.attention.buffers;
    for (const [k, m] of Object.entries(this.drops)) buffers[k] = m.buffers;
    this.buffers = Object.freeze(buffers) as TransformerBlockBuffers;
  }

  protected forward(x: tf.Tensor, _training: boolean, options: ApplyOptions): tf.Tensor {
    const [batch, time] = checkSequence(this.name, x, this.embedDim);
    if (options.keyPaddingMask !== undefined) checkKeyPaddingMask(this.name, options.keyPaddingMask, batch, time);
    // The sub-layers tap under the block's own path (`enc1.norm1.layerNorm`), as attention's `.probs`.
    return inScope(this.name, () => this.sublayers(x, options));
  }

  private sublayers(x: tf.Tensor, options: ApplyOptions): tf.Tensor {
    const { norm1, linear1, linear2, norm2 } = this.parts;
    const run = (m: Module | undefined, key: string, h: tf.Tensor) => (m ? applyChild(m, key, h, options) : h);
    // PyTorch's _sa_block and _ff_block: dropout1(self_attn(h)); dropout2(linear2(dropout(activation(linear1(h))))).
    const attend = (h: tf.Tensor) => run(this.drops.dropout1, 'dropout1', run(this.attention, 'attention', h));
    const feedForward = (h: tf.Tensor) =>
      run(this.drops.dropout2, 'dropout2', run(linear2, 'linear2', run(this.drops.dropout, 'dropout', run(linear1, 'linear1', h))));
    if (this.norm === 'pre') {
      const h = tf.add(x, attend(run(norm1, 'norm1', x)));
      return tf.add(h, feedForward(run(norm2, 'norm2', h)));
    }
    const h = run(norm1, 'norm1', tf.add(x, attend(x)));
    return run(norm2, 'norm2', tf.add(h, feedForward(h)));
  }

  protected override children(): readonly Module[] {
    return [this.attention, ...Object.values(this.parts), ...Object.values(this.drops)];
  }

  /** The sub-layers own every parameter. */
  protected override disposeOwn(): void {}
}

/**
 * A transformer encoder layer (Vaswani et al. 2017): self-attention and a two-layer feed-forward
 * network (FFN(h) = φ(h·W₁ + b₁)·W₂ + b₂, φ = GELU by default), each in a residual connection with a
 * normalization:
 * - `norm: 'pre'` (default; Pre-LN, Xiong et al. 2020, GPT-2): h = x + SA(N₁(x)), y = h + FFN(N₂(h)).
 *   The residual stream is never normalized, so gradients reach early layers at any depth and no
 *   learning-rate warm-up is needed.
 * - `norm: 'post'` (the original; PyTorch's default): h = N₁(x + SA(x)), y = N₂(h + FFN(h)). Deep
 *   Post-LN stacks have large gradients near the output and need warm-up (Xiong et al. 2020).
 *
 * N is `LayerNorm` (default) or `RMSNorm` (`normalization: 'rmsNorm'`) from `@gradkit/normalization`.
 * With `dropout > 0`, dropout acts in training where PyTorch puts it: on the attention probabilities,
 * on the attention sub-layer's output (`dropout1`), after the FFN activation (`dropout`) and on the
 * FFN's output (`dropout2`), each seeded. PyTorch: `nn.TransformerEncoderLayer(d_model, nhead,
 * dim_feedforward, dropout, activation='gelu', batch_first=True, norm_first=norm === 'pre')`; its
 * parameters map by name (`self_attn` → `attention`, see `multiHeadAttention`; `linear1.weight`ᵀ →
 * `linear1.kernel`; `norm1.weight`/`bias` → `norm1.gamma`/`beta`). The linear layers start as PyTorch's
 * nn.Linear (weight and bias U(±1/√in)), the norms at γ = 1, β = 0.
 *
 * `params`: `{ attention, norm1, linear1, linear2, norm2 }` (see `TransformerBlockParams`; pre-norm
 * lists norm1 and norm2 before the layer each feeds). Taps, under the block's tap path b (its name,
 * or `'<container path>.<name>'` inside a container, e.g. `'0.transformerBlock'`), keyed like
 * `params`: `b.attention.multiHeadAttention` (with `.logits` and `.probs`), `b.norm1.layerNorm`,
 * `b.linear1.dense` (after the activation), `b.linear2.dense`, `b.norm2.layerNorm`,
 * `b.dropout1.dropout` …, and the block's output as `b`; so two blocks named `enc1` and `enc2`
 * applied side by side tap apart. `apply(x, { keyPaddingMask })` passes
 * the mask to the attention.
 *
 * @throws HyperParameterError naming the option: `embedDim`, `numHeads`, `ffnDim` not positive
 *   integers, `numHeads` not dividing `embedDim`, `norm` not 'pre'/'post', `normalization` not
 *   'layerNorm'/'rmsNorm', an unknown `activation`, `dropout` outside [0, 1), `epsilon` ≤ 0, a
 *   non-integer `seed`, `null` for any option; UnknownOptionError for another option (PyTorch's
 *   `d_model`, `nhead`, `dim_feedforward`, `norm_first`). `apply` throws a ValueError naming `x`
 *   (not `[batch, time, embedDim]` float32) or `keyPaddingMask` before computing anything.
 * @example
 * ```ts
 * const encoder = sequential(
 *   transformerBlock({ embedDim: 64, numHeads: 4, ffnDim: 256, seed: 1 }),
 *   transformerBlock({ embedDim: 64, numHeads: 4, ffnDim: 256, seed: 2 }),
 * );
 * const y = encoder.apply(x, { keyPaddingMask }); // x: [batch, time, 64]
 * ```
 */
export function transformerBlock(options: TransformerBlockOptions): TransformerBlock {
  return new TransformerBlockModule(options);
}
