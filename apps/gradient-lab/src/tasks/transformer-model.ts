// The small encoder of the `transformer` task: embedding with learned positions, transformer blocks,
// a dense layer per position.
import type { Module } from '@gradkit/core';
import { dense, sequential, transformerBlock } from '@gradkit/nn';
import { VOCAB } from './transformer-data.js';

/** Sizes and placement of the normalization of a `transformer` task encoder. */
export interface EncoderSpec {
  /** Transformer blocks. */
  readonly depth: number;
  /** Width d of the residual stream. */
  readonly width: number;
  /** Attention heads (divides `width`). */
  readonly heads: number;
  /** Digits per string (the positions the embedding knows). */
  readonly length: number;
  /** `'post'`: LN(x + f(x)) (Vaswani et al. 2017); `'pre'`: x + f(LN(x)) (Xiong et al. 2020). */
  readonly norm: 'pre' | 'post';
  /** Seed of the first layer. */
  readonly seed: number;
}

/**
 * The encoder: dense (VOCAB + length → d) on the one-hot digit and position (an embedding plus a
 * learned position embedding), `depth` × `transformerBlock({ embedDim: d, numHeads, ffnDim: 2d, norm })`
 * (GELU feed-forward; the Pre-LN variant ends with no final norm, so both see the same layers), then
 * dense (d → VOCAB) at every position: the logits `[batch, length, VOCAB]`. PyTorch:
 * `nn.TransformerEncoder(nn.TransformerEncoderLayer(d, heads, 2d, 0, 'gelu', batch_first=True,
 * norm_first=norm === 'pre'), depth)` between `nn.Embedding`s and an `nn.Linear`. Taps:
 * `'<i>.transformerBlock'` per block (with its `.attention.multiHeadAttention.logits`/`.probs`).
 *
 * @example
 * ```ts
 * const net = buildEncoder({ depth: 4, width: 32, heads: 4, length: 8, norm: 'post', seed: 1 });
 * const logits = net.apply(reversalTensors(batch).x); // [batch, 8, 10]
 * ```
 */
export function buildEncoder(spec: EncoderSpec): Module {
  const { depth, width: d, heads, length, norm, seed } = spec;
  const base = seed * 1000;
  return sequential(
    dense({ inFeatures: VOCAB + length, outFeatures: d, seed: base }),
    ...Array.from({ length: depth }, (_, i) => transformerBlock({ embedDim: d, numHeads: heads, ffnDim: 2 * d, norm, seed: base + 1 + i })),
    dense({ inFeatures: d, outFeatures: VOCAB, seed: base + depth + 1 }),
  );
}
