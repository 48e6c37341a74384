import { Optimizer, type Taps, withTaps } from '@gradkit/core';
import { dense, sequential, type TransformerBlock, transformerBlock } from '@gradkit/nn';
import { adamw } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

/** Sizes of the encoder (the guide's are the defaults; the tests use smaller ones). */
export interface EncoderSizes {
  readonly features: number;
  readonly embedDim?: number;
  readonly numHeads?: number;
  readonly depth?: number;
}

export function encoder({ features, embedDim = 64, numHeads = 4, depth = 2 }: EncoderSizes) {
  // #region encoder
  const model = sequential(
    dense({ inFeatures: features, outFeatures: embedDim, seed: 1 }), // token features → the residual stream
    ...Array.from({ length: depth }, (_, i) => transformerBlock({ embedDim, numHeads, ffnDim: 4 * embedDim, norm: 'pre', dropout: 0.1, seed: 2 + i })),
  );
  // #endregion
  return model;
}

// #region mask
/** true where token t of sequence b is padding (t ≥ lengths[b]): PyTorch's key_padding_mask. */
export function paddingMask(lengths: number[], time: number): tf.Tensor2D {
  return tf.tidy(() => tf.greaterEqual(tf.expandDims(tf.range(0, time, 1, 'int32'), 0), tf.tensor2d(lengths, [lengths.length, 1], 'int32')));
}
// #endregion

/** Trains `model` to map `x` to `target` on the real tokens for `steps` steps; returns the losses. */
export async function train(model: ReturnType<typeof encoder>, x: tf.Tensor3D, target: tf.Tensor3D, lengths: number[], steps: number): Promise<number[]> {
  // #region train
  const keyPaddingMask = paddingMask(lengths, x.shape[1]);
  const real = tf.tidy(() => tf.cast(tf.logicalNot(keyPaddingMask), 'float32')); // [batch, time]: 1 on real tokens
  const loss = () => {
    const y = model.apply(x, { keyPaddingMask }); // every block's attention gets the mask
    const perToken = tf.mean(tf.square(tf.sub(y, target)), -1); // [batch, time]
    return tf.div(tf.sum(tf.mul(perToken, real)), tf.sum(real)) as tf.Scalar;
  };
  const opt = new Optimizer(model.params, adamw({ learningRate: 1e-3 }));
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push(await opt.minimize(loss));
  opt.dispose();
  tf.dispose([keyPaddingMask, real]);
  // #endregion
  return losses;
}

/** Per attention layer: the mean entropy of its rows (nats) and the largest |logit|. */
export async function attentionStats(model: ReturnType<typeof encoder>, x: tf.Tensor3D, keyPaddingMask: tf.Tensor2D) {
  // #region taps
  const { result, taps } = withTaps(() => model.apply(x, { keyPaddingMask, training: false }))();
  const stats: Record<string, { entropy: number; maxLogit: number }> = {};
  for (const name of Object.keys(taps).filter((n) => n.endsWith('.probs'))) {
    const layer = name.slice(0, -'.probs'.length); // e.g. '1.transformerBlock.attention.multiHeadAttention'
    const p = (taps as Taps)[name]!.activation; // [batch, heads, query, key]
    const logits = (taps as Taps)[`${layer}.logits`]!.activation;
    const [entropy, maxLogit] = tf.tidy(() => [
      tf.mean(tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-30))), -1))), // −Σ p log p per row (0 log 0 = 0)
      tf.max(tf.abs(logits)),
    ]);
    stats[layer] = { entropy: (await entropy!.data())[0]!, maxLogit: (await maxLogit!.data())[0]! };
    tf.dispose([entropy, maxLogit]);
  }
  tf.dispose([result, taps]);
  // #endregion
  return stats;
}

// #region pytorch
/** A `TransformerEncoderLayer.state_dict()` as nested arrays (e.g. `{k: v.tolist() for k, v in sd.items()}` saved as JSON). */
export type StateDict = Record<string, number[] | number[][]>;

/** Loads PyTorch's weights into a block built with the same sizes (`norm: 'pre'` for `norm_first=True`). */
export function loadPyTorch(block: TransformerBlock, sd: StateDict): void {
  const d = block.embedDim;
  const set = (v: tf.Variable, value: tf.TensorLike, transpose = false) =>
    tf.tidy(() => v.assign(transpose ? tf.transpose(tf.tensor(value)) : tf.tensor(value)));
  const inWeight = sd['self_attn.in_proj_weight'] as number[][]; // [3d, d]: query, key, value rows
  const inBias = sd['self_attn.in_proj_bias'] as number[];
  (['query', 'key', 'value'] as const).forEach((k, i) => {
    set(block.params.attention[k].kernel, inWeight.slice(i * d, (i + 1) * d), true);
    set(block.params.attention[k].bias, inBias.slice(i * d, (i + 1) * d));
  });
  set(block.params.attention.output.kernel, sd['self_attn.out_proj.weight']!, true);
  set(block.params.attention.output.bias, sd['self_attn.out_proj.bias']!);
  for (const k of ['linear1', 'linear2'] as const) {
    set(block.params[k].kernel, sd[`${k}.weight`]!, true); // PyTorch's [out, in] → [in, out]
    set(block.params[k].bias, sd[`${k}.bias`]!);
  }
  for (const k of ['norm1', 'norm2'] as const) {
    const norm = block.params[k];
    set(norm.gamma, sd[`${k}.weight`]!);
    if ('beta' in norm) set(norm.beta, sd[`${k}.bias`]!);
  }
}
// #endregion
