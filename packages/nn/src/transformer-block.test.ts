// Reference numbers: packages/nn/fixtures/attention.py (PyTorch 1.13 nn.TransformerEncoderLayer,
// batch_first=True, dropout=0, activation='gelu', norm_first True/False, float64; the rmsNorm cases
// are the same layer with its norms written out as x/√(mean(x²) + 1e-6)·γ), weights mapped as
// recorded there; loss = Σ y ⊙ upstream.
import { flatten, Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { adamw } from '@gradkit/optimizers';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from './dense.js';
import { type AttentionCase, assignParams, expectTreeClose, fixture, maxAbsDiff, release } from './internal/attention-fixture.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { withSmallOutputMatMul } from './test-support.js';
import { transformerBlock } from './transformer-block.js';

const { embedDim, numHeads, ffnDim } = fixture.sizes;
/** WebGPU in software (SwiftShader) takes seconds per backward pass, and minutes for training steps, on a busy machine. */
const SLOW = 300_000;
// float32 against float64 through two normalizations, GELU and attention.
const tolerance = () => backendTolerance({ cpu: { rtol: 2e-4, atol: 5e-5 }, wasm: { rtol: 2e-4, atol: 5e-5 }, webgpu: { rtol: 2e-3, atol: 5e-4 } });

describe('transformerBlock against PyTorch nn.TransformerEncoderLayer', { timeout: SLOW }, () => {
  for (const [name, c] of Object.entries(fixture.block))
    it(`${name} (${c.norm}, ${c.normalization}${c.causal ? ', causal' : ''}${c.padding ? ', key padding' : ''}): output, ∂x and every parameter's gradient`, async () => {
      const block = transformerBlock({ embedDim, numHeads, ffnDim, norm: c.norm, normalization: c.normalization, causal: c.causal, seed: 1 });
      assignParams(block.params, c.params);
      const [x, up] = [tf.tensor3d(c.x), tf.tensor3d(c.upstream)];
      const mask = c.padding ? tf.tensor2d(c.padding, undefined, 'bool') : undefined;
      const run = () => block.apply(x, mask ? { keyPaddingMask: mask } : {});
      const { value, grads } = await expectNoLeaks(() =>
        valueAndGrad((_p: { x: tf.Tensor; params: typeof block.params }) => tf.sum(tf.mul(run(), up)) as tf.Scalar)({ x, params: block.params }),
      );
      const y = run();
      await expectClose(y, c.y, tolerance());
      await expectClose(grads.x, c.grads.x, { ...tolerance(), what: 'x' });
      await expectTreeClose(grads.params, c.grads.params, tolerance());
      release(x, up, mask, y, value, grads);
      block.dispose();
    });
});

describe('transformerBlock', { timeout: SLOW }, () => {
  it('keys params as PyTorch in forward order and taps every sub-layer; attention rows sum to 1, padding gets 0', async () => {
    const c = fixture.block.pre as AttentionCase;
    const pre = transformerBlock({ embedDim, numHeads, ffnDim, seed: 1 });
    const post = transformerBlock({ embedDim, numHeads, ffnDim, norm: 'post', normalization: 'rmsNorm', seed: 1 });
    expect(Object.keys(pre.params)).toEqual(['norm1', 'attention', 'norm2', 'linear1', 'linear2']);
    expect(Object.keys(post.params)).toEqual(['attention', 'norm1', 'linear1', 'linear2', 'norm2']);
    expect(Object.keys(post.params.norm1)).toEqual(['gamma']);
    expect(pre.params.linear1.kernel.shape).toEqual([embedDim, ffnDim]);
    expect(pre.norm).toBe('pre');
    assignParams(pre.params, c.params);
    const x = tf.tensor3d(c.x);
    const mask = tf.tensor2d(c.padding as boolean[][], undefined, 'bool');
    const { result, taps } = withTaps(() => pre.apply(x, { keyPaddingMask: mask }))();
    expect(Object.keys(taps)).toEqual([
      'transformerBlock.norm1.layerNorm',
      'transformerBlock.attention.multiHeadAttention.logits',
      'transformerBlock.attention.multiHeadAttention.probs',
      'transformerBlock.attention.multiHeadAttention',
      'transformerBlock.norm2.layerNorm',
      'transformerBlock.linear1.dense',
      'transformerBlock.linear2.dense',
      'transformerBlock',
    ]);
    const probs = (await taps['transformerBlock.attention.multiHeadAttention.probs']!.activation.array()) as number[][][][];
    for (const [b, seq] of probs.entries())
      for (const head of seq)
        for (const row of head) {
          expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
          const padded = (c.padding as boolean[][])[b]!;
          expect(row.filter((_, s) => padded[s])).toEqual(padded.filter(Boolean).map(() => 0));
        }
    // linear1's tap is after GELU: ≥ −0.17 (GELU's minimum)
    const h = await taps['transformerBlock.linear1.dense']!.activation.data();
    expect(Math.min(...h)).toBeGreaterThanOrEqual(-0.1701);
    release(x, mask, result, taps);
    pre.dispose();
    post.dispose();
  });

  it('uses exact GELU by default (PyTorch’s), and takes another activation', async () => {
    // One token, embedDim 2: with pre-norm and zero attention/linear2 the block is the identity; read linear1's tap.
    const make = (activation?: 'relu' | 'geluTanh') =>
      transformerBlock({ embedDim: 2, numHeads: 1, ffnDim: 1, seed: 3, ...(activation ? { activation } : {}) });
    const x = tf.tensor3d([[[1, -1]]]); // norm1(x) = [1, −1]·(1/√(1 + 1e-5))
    const out: Record<string, number> = {};
    for (const a of [undefined, 'relu', 'geluTanh'] as const) {
      const block = make(a);
      block.params.linear1.kernel.assign(tf.tensor2d([[-1.5], [0]])); // pre-activation −1.5·0.999995
      block.params.linear1.bias.assign(tf.zeros([1]));
      const { result, taps } = withTaps(() => block.apply(x))();
      out[a ?? 'default'] = (await taps['transformerBlock.linear1.dense']!.activation.data())[0] as number;
      release(result, taps);
      block.dispose();
    }
    const z = -1.5 / Math.sqrt(1 + 1e-5);
    // exact: z·Φ(z), Φ(z) = erfc(−z/√2)/2 in float64 (float32 through LayerNorm and GELU: ~1e-6 off)
    const phi = (t: number) => 0.5 * erfc(-t / Math.SQRT2);
    expect(out.default).toBeCloseTo(z * phi(z), 5);
    expect(out.relu).toBe(0);
    const u = Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3);
    expect(out.geluTanh).toBeCloseTo(0.5 * z * (1 + Math.tanh(u)), 5);
    expect(Math.abs((out.default as number) - (out.geluTanh as number))).toBeGreaterThan(1e-5); // the two differ here
    x.dispose();
  });

  it('drops in training at PyTorch’s places, seeded; inference is deterministic', async () => {
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 1);
    const make = () => transformerBlock({ embedDim: 8, numHeads: 2, ffnDim: 16, dropout: 0.3, seed: 9 });
    const [a, b] = [make(), make()];
    expect(Object.keys(a.buffers)).toEqual(['attention', 'dropout1', 'dropout', 'dropout2']);
    const { result, taps } = withTaps(() => a.apply(x))();
    expect(Object.keys(taps)).toEqual([
      'transformerBlock.norm1.layerNorm',
      'transformerBlock.attention.multiHeadAttention.logits',
      'transformerBlock.attention.multiHeadAttention.probs',
      'transformerBlock.attention.multiHeadAttention.attentionDropout.dropout',
      'transformerBlock.attention.multiHeadAttention',
      'transformerBlock.dropout1.dropout',
      'transformerBlock.norm2.layerNorm',
      'transformerBlock.linear1.dense',
      'transformerBlock.dropout.dropout',
      'transformerBlock.linear2.dense',
      'transformerBlock.dropout2.dropout',
      'transformerBlock',
    ]);
    const yb = b.apply(x);
    await expectClose(result, await yb.array()); // same seed, same masks
    const [e1, e2] = [a.apply(x, { training: false }), a.eval().apply(x)];
    const e3 = b.apply(x, { training: false });
    await expectClose(e1, await e2.array());
    await expectClose(e1, await e3.array());
    const diff = await maxAbsDiff(result, e1);
    expect(diff).toBeGreaterThan(1e-3);
    release(x, result, taps, yb, e1, e2, e3);
    a.dispose();
    b.dispose();
  });

  it('stacks in sequential and residual with the mask passed through; taps nest under the tree path', async () => {
    const net = sequential(
      dense({ inFeatures: 3, outFeatures: 8, seed: 1 }),
      transformerBlock({ embedDim: 8, numHeads: 2, ffnDim: 16, seed: 2 }),
      residual(transformerBlock({ embedDim: 8, numHeads: 4, ffnDim: 8, norm: 'post', causal: true, seed: 3 })),
    );
    const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 4);
    const mask = tf.tensor2d([
      [0, 0, 0, 1, 1],
      [0, 0, 0, 0, 0],
    ]);
    const loss = () => tf.mean(tf.square(net.apply(x, { keyPaddingMask: mask }))) as tf.Scalar;
    const { result, taps } = withTaps(valueAndGrad(loss))(net.params);
    expect(Object.keys(taps)).toContain('1.transformerBlock.attention.multiHeadAttention.probs');
    expect(Object.keys(taps)).toContain('2.inner.transformerBlock.attention.multiHeadAttention.logits');
    expect(Object.keys(taps)).toContain('2.inner.transformerBlock');
    const paths = flatten(result.grads).map((e) => e.path);
    expect(paths).toContain('1.attention.query.kernel');
    expect(paths).toContain('2.inner.norm2.beta');
    for (const { value: g } of flatten(result.grads)) expect((await g.data()).every(Number.isFinite)).toBe(true);
    const probs = (await taps['1.transformerBlock.attention.multiHeadAttention.probs']!.activation.array()) as number[][][][];
    for (const head of probs[0]!) for (const row of head) expect([row[3], row[4]]).toEqual([0, 0]);
    release(x, mask, result, taps);
    net.dispose();
  });

  it('leaks nothing over 200 AdamW steps of a 2-block encoder, learns, and releases everything on dispose', () =>
    withSmallOutputMatMul(async () => {
      const before = tf.memory().numTensors;
      const net = sequential(
        transformerBlock({ embedDim: 8, numHeads: 2, ffnDim: 16, dropout: 0.1, seed: 1 }),
        transformerBlock({ embedDim: 8, numHeads: 2, ffnDim: 16, norm: 'post', normalization: 'rmsNorm', causal: true, seed: 2 }),
      );
      const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 2);
      const target = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 3);
      const mask = tf.tensor2d([
        [0, 0, 0, 1],
        [0, 0, 0, 0],
      ]);
      const opt = new Optimizer(net.params, adamw({ learningRate: 1e-2 }));
      const loss = () => tf.mean(tf.square(tf.sub(net.apply(x, { keyPaddingMask: mask }), target))) as tf.Scalar;
      const first = await opt.minimize(loss); // creates AdamW's moments
      const steps = 200;
      await expectNoLeaks(
        () => {
          for (let i = 0; i < steps; i++) {
            const { value, grads } = valueAndGrad(loss)(net.params);
            opt.step(grads);
            release(value, grads);
          }
        },
        { what: `${steps} training steps` },
      );
      expect(await opt.minimize(loss)).toBeLessThan(first / 2);
      opt.dispose();
      net.dispose();
      release(x, target, mask);
      expect(tf.memory().numTensors).toBe(before);
    }));
});

/** erfc by its continued fraction / series (float64, |error| < 1e-12 for the arguments used here). */
function erfc(x: number): number {
  // erf by its Maclaurin series (converges fast for |x| < 3)
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return 1 - (2 / Math.sqrt(Math.PI)) * sum;
}
