import { valueAndGrad, withTaps } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { type GradientReport, inspectGradients } from './index.js';
import { isPreLn } from './remedies-sequence.js';
import { type AttentionParams, attentionLoss, attentionParams } from './sequence-test-support.js';
import { setStatsKernelEnabled } from './stats.js';
import { normals, seeded } from './test-support.js';

// Self-attention built from tf ops with @gradkit/nn's tap names and scaling (sequence-test-support.ts):
// x ~ N(0, 1) [2, 8, 16], 2 heads of 8 features, query/key/value kernels Glorot-uniform as PyTorch's
// in_proj_weight (U(±√(6/4d))).
const [B, T, D, H] = [2, 8, 16, 2];

async function observe(params: AttentionParams, name: string, causal = false): Promise<GradientReport> {
  const x = tf.tensor3d(normals(seeded(5), B * T * D), [B, T, D]);
  const { result, taps } = withTaps(valueAndGrad<AttentionParams>(() => attentionLoss(params, x, H, name, causal)))(params);
  try {
    return await inspectGradients(result.grads, { params, activations: taps });
  } finally {
    tf.dispose([x, result.value, result.grads as never, taps as never, params as never]);
  }
}

describe('attention statistics and attention-logit growth', () => {
  it('uniform attention (zero query and key kernels) has entropy ln(keys) and zero logits, and no finding', async () => {
    const r = await observe(attentionParams(D, 1, 0), 'attn');
    const a = r.attention?.[0];
    expect(a?.layer).toBe('attn');
    // every row is 1/8 eight times: −Σ p ln p = −8 · (1/8) ln(1/8) = ln 8
    await expectClose(a?.entropy as number, Math.log(8), { rtol: 1e-5, what: 'entropy' });
    expect(a?.maxEntropy).toBe(Math.log(8));
    expect(a?.logitMaxAbs).toBe(0);
    expect(a?.logitStd).toBe(0);
    expect(r.findings.some((f) => f.kind === 'attentionLogitGrowth')).toBe(false);
  });

  it('causal uniform attention: masked keys have p = 0 (0·ln 0 = 0), row t has entropy ln(t + 1), the mean is ln(8!)/8', async () => {
    const r = await observe(attentionParams(D, 1, 0), 'attn', true);
    const lnFactorial = [1, 2, 3, 4, 5, 6, 7, 8].reduce((s, k) => s + Math.log(k), 0);
    await expectClose(r.attention?.[0]?.entropy as number, lnFactorial / 8, { rtol: 1e-5, what: 'entropy' });
  });

  it('query and key kernels ×30: logits far above attentionLogitMax, entropy near 0, an error with the entropy in the text and the remedies', async () => {
    const r = await observe(attentionParams(D, 1, 30), 'enc.attention.multiHeadAttention');
    const a = r.attention?.[0];
    expect(a?.logitMaxAbs).toBeGreaterThan(200);
    expect(a?.entropy).toBeLessThan(0.1 * Math.log(8));
    expect(r.verdict).toBe('exploding');
    const f = r.findings.find((x) => x.kind === 'attentionLogitGrowth');
    expect(f?.severity).toBe('error');
    expect(f?.where).toBe('enc.attention.multiHeadAttention');
    expect(f?.what).toMatch(
      /^the attention logits of enc\.attention\.multiHeadAttention reach \|logit\| = \S+ \(std \S+\), above attentionLogitMax = 50; the attention entropy is \S+ nats of at most 2\.08 \(\S+ of uniform\)$/,
    );
    expect(f?.why).toMatch(/Dehghani et al\. 2023; Wortsman et al\. 2023/);
    expect(f?.toTry.map((t) => t.slice(0, 30))).toEqual(['Pre-LN blocks: transformerBloc', 'a learning-rate warm-up: linea', 'a lower learning rate: attenti']);
    expect(f?.toTry.join('\n')).not.toMatch(/QK|qk/);
  });

  it('the default initialization keeps the logits small: no finding, entropy close to uniform', async () => {
    const r = await observe(attentionParams(D, 1), 'attn');
    const a = r.attention?.[0];
    expect(a?.logitMaxAbs).toBeLessThan(5);
    expect(a?.entropy).toBeGreaterThan(0.8 * Math.log(8));
    expect(r.findings.some((f) => f.kind === 'attentionLogitGrowth')).toBe(false);
  });

  it('the entropy is the mean over the rows that see a key, worked by hand; reading it costs no extra readback', async () => {
    // rows: [½, ½, 0, 0] → ln 2, [¼ ×4] → ln 4, [1, 0, 0, 0] → 0, [0, 0, 0, 0] (a query that sees no key: left out)
    const probs = tf.tensor4d([0.5, 0.5, 0, 0, 0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 4, 4]);
    const logits = tf.tensor4d([1, -60, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 2], [1, 1, 4, 4]);
    const g = { w: tf.ones([2, 2]) };
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    try {
      const r = await inspectGradients(g, { activations: { 'a.logits': logits, 'a.probs': probs } });
      expect(data).toHaveBeenCalledTimes(1);
      const a = r.attention?.[0];
      await expectClose(a?.entropy as number, Math.log(2), { rtol: 1e-6, what: 'entropy' });
      expect(a?.maxEntropy).toBe(Math.log(4));
      expect(a?.logitMaxAbs).toBe(60);
      // std of the 16 logits: Σx = −48, Σx² = 3686 → √(3686/16 − 9) = √221.375
      await expectClose(a?.logitStd as number, Math.sqrt(221.375), { rtol: 1e-6, what: 'std' });
      expect(r.findings.find((f) => f.kind === 'attentionLogitGrowth')?.what).toMatch(
        /reach \|logit\| = 60 \(std 14\.9\), above attentionLogitMax = 50; the attention entropy is 0\.693 nats of at most 1\.39 \(0\.5 of uniform\)$/,
      );
    } finally {
      data.mockRestore();
      tf.dispose([probs, logits, g.w]);
    }
  });

  it('the tf-ops path (no statistics kernel) reads the same entropy, in the same single readback', async () => {
    const probs = tf.tensor4d([0.5, 0.5, 0, 0, 0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 4, 4]);
    const g = { w: tf.ones([2, 2]) };
    setStatsKernelEnabled(false);
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    try {
      const r = await inspectGradients(g, { activations: { 'a.probs': probs } });
      expect(data).toHaveBeenCalledTimes(1);
      await expectClose(r.attention?.[0]?.entropy as number, Math.log(2), { rtol: 1e-6, what: 'entropy' });
    } finally {
      data.mockRestore();
      setStatsKernelEnabled(true);
      tf.dispose([probs, g.w]);
    }
  });

  it('a masked −Infinity logit (a causal mask applied before the tap) is left out of max |logit|, and the std is not given', async () => {
    const logits = tf.tensor4d([3, Number.NEGATIVE_INFINITY, -7, 2], [1, 1, 2, 2]);
    const g = { w: tf.ones([2, 2]) };
    const r = await inspectGradients(g, { activations: { 'a.logits': logits } });
    expect(r.attention).toEqual([{ layer: 'a', logitMaxAbs: 7 }]);
    tf.dispose([logits, g.w]);
  });

  it('does not offer Pre-LN to an attention layer whose block normalizes first (norm1 tapped before the attention)', async () => {
    const pre = ['0.block.norm1.layerNorm', '0.block.attention.multiHeadAttention.logits', '0.block.attention.multiHeadAttention.probs'];
    const post = ['0.block.attention.multiHeadAttention.logits', '0.block.attention.multiHeadAttention.probs', '0.block.norm1.layerNorm'];
    expect(isPreLn('0.block.attention.multiHeadAttention', pre)).toBe(true);
    expect(isPreLn('0.block.attention.multiHeadAttention', post)).toBe(false);
    expect(isPreLn('mha', ['norm1', 'mha.logits'])).toBe(false);
    const big = tf.fill([1, 1, 2, 2], 100);
    const norm = tf.ones([2, 2]);
    const g = { w: tf.ones([2, 2]) };
    const r = await inspectGradients(g, { activations: { [pre[0] as string]: norm, [pre[1] as string]: big } });
    expect(r.findings.find((f) => f.kind === 'attentionLogitGrowth')?.toTry.join('\n')).not.toMatch(/Pre-LN/);
    tf.dispose([big, norm, g.w]);
  });

  it('leaks no tensor', async () => {
    const probs = tf.tidy(() => tf.softmax(tf.tensor4d(normals(seeded(1), 32), [1, 2, 4, 4])));
    const g = { w: tf.ones([2, 2]) };
    await expectNoLeaks(() => inspectGradients(g, { activations: { 'a.probs': probs } }));
    tf.dispose([probs, g.w]);
  });
});
