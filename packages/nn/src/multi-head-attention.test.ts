// Reference numbers: packages/nn/fixtures/attention.py (PyTorch 1.13 nn.MultiheadAttention,
// batch_first=True, float64), weights mapped as recorded there; loss = Σ y ⊙ upstream.
import { flatten, Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from './dense.js';
import { type AttentionCase, assignParams, expectTreeClose, fixture, maxAbsDiff, release } from './internal/attention-fixture.js';
import { type MultiHeadAttentionParams, multiHeadAttention } from './multi-head-attention.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { withSmallOutputMatMul } from './test-support.js';

const { embedDim, numHeads } = fixture.sizes;
/** WebGPU in software (SwiftShader) takes seconds per backward pass, and minutes for training steps, on a busy machine. */
const SLOW = 300_000;
// float32 against float64: sums of a few dozen products of O(1) terms.
const tolerance = () => backendTolerance({ cpu: { rtol: 1e-4, atol: 2e-5 }, wasm: { rtol: 1e-4, atol: 2e-5 }, webgpu: { rtol: 1e-3, atol: 1e-4 } });

/** The module of a fixture case, with PyTorch's weights. */
function moduleFor(c: AttentionCase) {
  const mha = multiHeadAttention({ embedDim, numHeads, causal: c.causal, useBias: c.useBias !== false, seed: 1 });
  assignParams(mha.params, c.params);
  return mha;
}

describe('multiHeadAttention against PyTorch nn.MultiheadAttention', { timeout: SLOW }, () => {
  for (const [name, c] of Object.entries(fixture.attention))
    it(`${name}: output, attention weights, ∂x and every parameter's gradient`, async () => {
      const mha = moduleFor(c);
      const [x, up] = [tf.tensor3d(c.x), tf.tensor3d(c.upstream)];
      const mask = c.padding ? tf.tensor2d(c.padding, undefined, 'bool') : undefined;
      const run = () => mha.apply(x, mask ? { keyPaddingMask: mask } : {});
      const { result, taps } = await expectNoLeaks(() =>
        withTaps(() => valueAndGrad((_p: { x: tf.Tensor; params: typeof mha.params }) => tf.sum(tf.mul(run(), up)) as tf.Scalar)({ x, params: mha.params }))(),
      );
      const y = run();
      await expectClose(y, c.y, tolerance());
      await expectClose(taps['multiHeadAttention.probs']!.activation, c.probs as number[][][][], tolerance());
      await expectClose(result.grads.x, c.grads.x, { ...tolerance(), what: 'x' });
      await expectTreeClose(result.grads.params, c.grads.params, tolerance());
      release(x, up, mask, y, result, taps);
      mha.dispose();
    });
});

describe('multiHeadAttention', { timeout: SLOW }, () => {
  it('taps probabilities that sum to 1 and the scaled logits they are the softmax of (hand-checked)', async () => {
    const c = fixture.attention.causalPadding as AttentionCase;
    const mha = moduleFor(c);
    const x = tf.tensor3d(c.x);
    const mask = tf.tensor2d(c.padding as boolean[][], undefined, 'bool');
    const { result, taps } = withTaps(() => mha.apply(x, { keyPaddingMask: mask }))();
    expect(Object.keys(taps)).toEqual(['multiHeadAttention.logits', 'multiHeadAttention.probs', 'multiHeadAttention']);
    const logits = (await taps['multiHeadAttention.logits']!.activation.array()) as number[][][][];
    const probs = (await taps['multiHeadAttention.probs']!.activation.array()) as number[][][][];
    expect(taps['multiHeadAttention.probs']!.activation.shape).toEqual([2, numHeads, 5, 5]);
    // softmax over the visible keys (s ≤ t and not padding), computed here in float64
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < numHeads; h++)
        for (let t = 0; t < 5; t++) {
          const row = logits[b]![h]![t]!;
          const visible = row.map((_, s) => s <= t && !(c.padding as boolean[][])[b]![s]);
          const max = Math.max(...row.filter((_, s) => visible[s]));
          const e = row.map((v, s) => (visible[s] ? Math.exp(v - max) : 0));
          const z = e.reduce((a, v) => a + v, 0);
          await expectClose(
            probs[b]![h]![t]!,
            e.map((v) => v / z),
            tolerance(),
          );
          expect(probs[b]![h]![t]!.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
        }
    release(x, mask, result, taps);
    mha.dispose();
  });

  it('logits are Q·Kᵀ/√(d/h) with head k on columns k·d/h … (k+1)·d/h − 1 (hand-worked)', async () => {
    // d = 4, h = 2: identity projections, so Q = K = x; head 0 uses features 0–1, head 1 features 2–3.
    const mha = multiHeadAttention({ embedDim: 4, numHeads: 2, useBias: false, seed: 1 });
    for (const p of [mha.params.query, mha.params.key, mha.params.value, mha.params.output]) p.kernel.assign(tf.eye(4));
    const x = tf.tensor3d([
      [
        [1, 2, 3, 4],
        [0, 1, -1, 2],
      ],
    ]);
    const { result, taps } = withTaps(() => mha.apply(x))();
    const s = 1 / Math.SQRT2;
    // head 0: rows [1,2], [0,1] → x·xᵀ = [[5, 2], [2, 1]]; head 1: rows [3,4], [−1,2] → [[25, 5], [5, 5]]
    await expectClose(taps['multiHeadAttention.logits']!.activation, [
      [
        [
          [5 * s, 2 * s],
          [2 * s, 1 * s],
        ],
        [
          [25 * s, 5 * s],
          [5 * s, 5 * s],
        ],
      ],
    ]);
    // output = P·V per head, heads concatenated: query 1 of head 1 weighs both keys equally → ([3,4] + [−1,2]) / 2
    const y = (await result.array()) as number[][][];
    expect(y[0]![1]![2]).toBeCloseTo(1, 5);
    expect(y[0]![1]![3]).toBeCloseTo(3, 5);
    release(x, result, taps);
    mha.dispose();
  });

  it('a query that sees no key gets zero weights: attention output 0, y = output bias, finite gradients', async () => {
    const c = fixture.attention.padding as AttentionCase;
    const mha = moduleFor(c);
    const x = tf.tensor3d(c.x);
    // sequence 1 is all padding; with causal as well, sequence 0's first query sees only padding
    const mask = tf.tensor2d(
      [
        [1, 0, 0, 0, 0],
        [1, 1, 1, 1, 1],
      ],
      undefined,
      'int32',
    );
    const causal = multiHeadAttention({ embedDim, numHeads, causal: true, seed: 1 });
    assignParams(causal.params, c.params);
    const bias = (await (mha.params as MultiHeadAttentionParams).output.bias.array()) as number[];
    for (const [m, deadRows] of [
      [
        mha,
        [
          [1, 0],
          [1, 1],
          [1, 2],
          [1, 3],
          [1, 4],
        ],
      ],
      [
        causal,
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [1, 2],
          [1, 3],
          [1, 4],
        ],
      ],
    ] as const) {
      const { result, taps } = withTaps(() =>
        valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.square(m.apply(p.x, { keyPaddingMask: mask }))) as tf.Scalar)({ x }),
      )();
      const y = (await taps[`${m.name}`]!.activation.array()) as number[][][];
      const probs = (await taps[`${m.name}.probs`]!.activation.array()) as number[][][][];
      for (const [b, t] of deadRows) {
        expect(y[b]![t]!.map((v) => Number(v.toFixed(5)))).toEqual(bias.map((v) => Number(v.toFixed(5))));
        for (let h = 0; h < numHeads; h++) expect(probs[b]![h]![t]).toEqual([0, 0, 0, 0, 0]);
      }
      const g = await result.grads.x.data();
      expect(g.every(Number.isFinite)).toBe(true);
      release(result, taps);
    }
    release(x, mask);
    mha.dispose();
    causal.dispose();
  });

  it('reads a 0/1 numeric mask as the bool one (non-zero = padding)', async () => {
    const c = fixture.attention.padding as AttentionCase;
    const mha = moduleFor(c);
    const x = tf.tensor3d(c.x);
    const asBool = tf.tensor2d(c.padding as boolean[][], undefined, 'bool');
    const asFloat = tf.cast(asBool, 'float32');
    const asInt = tf.cast(asBool, 'int32');
    const ys = [asBool, asFloat, asInt].map((m) => mha.apply(x, { keyPaddingMask: m }));
    for (const y of ys) await expectClose(y, c.y, tolerance());
    release(x, asBool, asFloat, asInt, ...ys);
    mha.dispose();
  });

  it('initializes as PyTorch: xavier-uniform input projections (bound √(6/4d)), output U(±1/√d), zero biases, seeded', async () => {
    const d = 32;
    const a = multiHeadAttention({ embedDim: d, numHeads: 4, seed: 7 });
    const b = multiHeadAttention({ embedDim: d, numHeads: 4, seed: 7 });
    const c = multiHeadAttention({ embedDim: d, numHeads: 4, seed: 8 });
    expect(flatten(a.params).map((e) => `${e.path}:${e.value.shape}`)).toEqual(
      ['query', 'key', 'value', 'output'].flatMap((k) => [`${k}.kernel:${d},${d}`, `${k}.bias:${d}`]),
    );
    const bound = Math.sqrt(6 / (4 * d));
    for (const k of ['query', 'key', 'value'] as const) {
      const w = await a.params[k].kernel.data();
      expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.95 * bound);
      await expectClose(a.params[k].bias, new Array(d).fill(0));
    }
    const wo = await a.params.output.kernel.data();
    expect(Math.max(...Array.from(wo, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(d));
    expect(Math.max(...Array.from(wo, Math.abs))).toBeGreaterThan(0.95 / Math.sqrt(d));
    // the four kernels are independent draws; the same seed repeats them, another does not
    const [q, k] = [await a.params.query.kernel.data(), await a.params.key.kernel.data()];
    expect(Array.from(q.slice(0, 8))).not.toEqual(Array.from(k.slice(0, 8)));
    expect(Array.from(await b.params.query.kernel.data())).toEqual(Array.from(q));
    expect(Array.from(await c.params.query.kernel.data())).not.toEqual(Array.from(q));
    for (const m of [a, b, c]) m.dispose();
  });

  it('drops attention probabilities in training only, reproducibly from the seed', async () => {
    const x = tf.randomNormal([2, 6, 8], 0, 1, 'float32', 3);
    const make = () => multiHeadAttention({ embedDim: 8, numHeads: 2, dropout: 0.5, seed: 5 });
    const [a, b] = [make(), make()];
    expect(Object.keys(a.buffers)).toEqual(['attentionDropout']);
    const [ya, yb] = [a.apply(x), b.apply(x)];
    await expectClose(ya, await yb.array()); // same seed, same masks
    const eval1 = a.apply(x, { training: false });
    const plain = multiHeadAttention({ embedDim: 8, numHeads: 2, seed: 5 });
    const yPlain = plain.apply(x);
    await expectClose(eval1, await yPlain.array()); // same weights, no dropout in inference
    const diff = await maxAbsDiff(ya, yPlain);
    expect(diff).toBeGreaterThan(1e-3); // dropout changed the training output
    // taps: probabilities before dropout (rows sum to 1), then the dropout's own output
    const { result, taps } = withTaps(() => a.apply(x))();
    expect(Object.keys(taps)).toEqual([
      'multiHeadAttention.logits',
      'multiHeadAttention.probs',
      'multiHeadAttention.attentionDropout.dropout',
      'multiHeadAttention',
    ]);
    const rowSums = tf.sum(taps['multiHeadAttention.probs']!.activation, -1);
    await expectClose(rowSums, new Array(2).fill(new Array(2).fill(new Array(6).fill(1))));
    release(x, ya, yb, eval1, yPlain, result, taps, rowSums);
    for (const m of [a, b, plain]) m.dispose();
  });

  it('composes with sequential and residual, passing keyPaddingMask through, with taps under the tree path', async () => {
    const net = sequential(
      dense({ inFeatures: 3, outFeatures: 8, seed: 1 }),
      residual(multiHeadAttention({ embedDim: 8, numHeads: 2, causal: true, seed: 2 })),
      multiHeadAttention({ embedDim: 8, numHeads: 4, seed: 3, name: 'mixer' }),
    );
    const x = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 1);
    const mask = tf.tensor2d([
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    const loss = () => tf.mean(tf.square(net.apply(x, { keyPaddingMask: mask }))) as tf.Scalar;
    const { result, taps } = withTaps(valueAndGrad(loss))(net.params);
    expect(Object.keys(taps)).toEqual([
      '0.dense',
      '1.inner.multiHeadAttention.logits',
      '1.inner.multiHeadAttention.probs',
      '1.inner.multiHeadAttention',
      '1.residual',
      '2.mixer.logits',
      '2.mixer.probs',
      '2.mixer',
    ]);
    expect(flatten(result.grads).map((e) => e.path)).toContain('1.inner.output.bias');
    // padding key 3 of sequence 0 gets no weight anywhere
    const probs = (await taps['2.mixer.probs']!.activation.array()) as number[][][][];
    for (const head of probs[0]!) for (const row of head) expect(row[3]).toBe(0);
    for (const { value: g } of flatten(result.grads)) expect((await g.data()).every(Number.isFinite)).toBe(true);
    release(x, mask, result, taps);
    net.dispose();
  });

  it('leaks nothing over 200 Adam steps and releases its variables on dispose', () =>
    withSmallOutputMatMul(async () => {
      const born = tf.memory().numTensors;
      const mha = multiHeadAttention({ embedDim: 8, numHeads: 2, causal: true, dropout: 0.1, seed: 4 });
      const x = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 2);
      const target = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 3);
      const mask = tf.tensor2d([
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
      ]);
      const opt = new Optimizer(mha.params, adam({ learningRate: 1e-2 }));
      const loss = () => tf.mean(tf.square(tf.sub(mha.apply(x, { keyPaddingMask: mask }), target))) as tf.Scalar;
      const first = await opt.minimize(loss); // creates Adam's moments
      const steps = 200;
      await expectNoLeaks(
        () => {
          for (let i = 0; i < steps; i++) {
            const { value, grads } = valueAndGrad(loss)(mha.params);
            opt.step(grads);
            release(value, grads);
          }
        },
        { what: `${steps} training steps` },
      );
      expect(await opt.minimize(loss)).toBeLessThan(first / 2);
      opt.dispose();
      const before = tf.memory().numTensors;
      mha.dispose();
      expect(tf.memory().numTensors).toBe(before - 9); // 8 parameters and the dropout's rngState
      release(x, target, mask);
      expect(tf.memory().numTensors).toBe(born); // nothing was left from construction either
    }));
});
