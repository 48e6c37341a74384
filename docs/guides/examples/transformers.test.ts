import { readFileSync } from 'node:fs';
import { transformerBlock } from '@gradkit/nn';
import { backendTolerance, currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attentionStats, encoder, loadPyTorch, paddingMask, type StateDict, train } from './transformers.js';

/** Matrix products are slow on SwiftShader (WebGPU in software) when the machine is busy. */
const SLOW = 300_000;
const small = { features: 3, embedDim: 8, numHeads: 2 };
const x = () => tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1) as tf.Tensor3D;

describe('guide: transformers', { timeout: SLOW }, () => {
  it('builds a 2-block pre-LN encoder: params keyed by block, dropout buffers, a [batch, time, embedDim] output', () => {
    const model = encoder(small);
    expect(Object.keys(model.params[1] as object)).toEqual(['norm1', 'attention', 'norm2', 'linear1', 'linear2']);
    expect(Object.keys(model.buffers[2] as object)).toEqual(['attention', 'dropout1', 'dropout', 'dropout2']);
    const input = x();
    const y = model.apply(input, { training: false });
    expect(y.shape).toEqual([2, 5, 8]);
    tf.dispose([input, y]);
    model.dispose();
  });

  it('paddingMask marks the tokens at and after each length', async () => {
    const mask = paddingMask([3, 5], 5);
    expect(mask.dtype).toBe('bool');
    expect(await mask.array()).toEqual([
      [0, 0, 0, 1, 1],
      [0, 0, 0, 0, 0],
    ]);
    mask.dispose();
  });

  it('trains on the real tokens without leaking, and the loss goes down', async () => {
    const model = encoder(small);
    const input = x();
    const target = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 2) as tf.Tensor3D;
    const steps = currentBackend() === 'webgpu' ? 2 : 30;
    const losses = await expectNoLeaks(() => train(model, input, target, [3, 5], steps));
    expect(losses.every(Number.isFinite)).toBe(true);
    if (steps === 30) expect(losses[29]).toBeLessThan(losses[0] as number);
    tf.dispose([input, target]);
    model.dispose();
  });

  it('reads each attention layer’s entropy (between 0 and log of the visible keys) and logit scale', async () => {
    const model = encoder(small);
    const input = x();
    const mask = paddingMask([3, 5], 5);
    const stats = await expectNoLeaks(() => attentionStats(model, input, mask));
    expect(Object.keys(stats)).toEqual(['1.transformerBlock.attention.multiHeadAttention', '2.transformerBlock.attention.multiHeadAttention']);
    for (const { entropy, maxLogit } of Object.values(stats)) {
      expect(entropy).toBeGreaterThan(0);
      expect(entropy).toBeLessThanOrEqual(Math.log(5) + 1e-6); // a row sees at most 5 keys
      expect(maxLogit).toBeGreaterThan(0);
    }
    tf.dispose([input, mask]);
    model.dispose();
  });

  it('loads a PyTorch TransformerEncoderLayer state_dict and reproduces its output (packages/nn/fixtures/attention.py)', async () => {
    const fixture = JSON.parse(readFileSync(new URL('../../../packages/nn/fixtures/attention.json', import.meta.url), 'utf8'));
    const c = fixture.block.preCausal;
    const p = c.params;
    // Back to PyTorch's layout: weights [out, in], the three input projections stacked.
    const t = (m: number[][]) => (m[0] as number[]).map((_, j) => m.map((row) => row[j] as number));
    const sd: StateDict = {
      'self_attn.in_proj_weight': ['query', 'key', 'value'].flatMap((k) => t(p.attention[k].kernel)),
      'self_attn.in_proj_bias': ['query', 'key', 'value'].flatMap((k) => p.attention[k].bias),
      'self_attn.out_proj.weight': t(p.attention.output.kernel),
      'self_attn.out_proj.bias': p.attention.output.bias,
      'linear1.weight': t(p.linear1.kernel),
      'linear1.bias': p.linear1.bias,
      'linear2.weight': t(p.linear2.kernel),
      'linear2.bias': p.linear2.bias,
      'norm1.weight': p.norm1.gamma,
      'norm1.bias': p.norm1.beta,
      'norm2.weight': p.norm2.gamma,
      'norm2.bias': p.norm2.beta,
    };
    const { embedDim, numHeads, ffnDim } = fixture.sizes;
    const block = transformerBlock({ embedDim, numHeads, ffnDim, norm: 'pre', causal: true });
    await expectNoLeaks(() => loadPyTorch(block, sd));
    const input = tf.tensor3d(c.x);
    const y = block.apply(input);
    await expectClose(y, c.y, backendTolerance({ cpu: { rtol: 2e-4, atol: 5e-5 }, wasm: { rtol: 2e-4, atol: 5e-5 }, webgpu: { rtol: 2e-3, atol: 5e-4 } }));
    tf.dispose([input, y]);
    block.dispose();
  });
});
