import { applyUpdates, chain, type GradientTransformation, HyperParameterError, Optimizer, type StateTree, type Tree, TreeMismatchError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam } from './adam.js';
import { masked } from './masked.js';
import { scale } from './scale.js';
import { sgd } from './sgd.js';

// masked's semantics (optax.masked): the inner transformation runs on the selected leaves; the other
// leaves' updates are their gradients, unchanged. Tested on the functional path (init/update/
// applyUpdates), the reference every runner follows; the Optimizer refuses a bare masked at the top.

type Params = Record<string, Tree<tf.Tensor>>;

/** `steps` functional steps of `tx` from `params` with the same gradients each step; the final parameters (the caller disposes them). */
function run(tx: GradientTransformation, params: Params, grads: Params, steps: number): Params {
  let p = params;
  let state: StateTree = tx.init(p);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const r = tx.update(grads, state, p);
      return { p: applyUpdates(p, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { p: Params; state: StateTree };
    if (t > 0) tf.dispose(p as unknown as tf.TensorContainer);
    tf.dispose(state as unknown as tf.TensorContainer);
    p = next.p;
    state = next.state;
  }
  tf.dispose(state as unknown as tf.TensorContainer);
  return p;
}

const makeParams = () => ({ dense: { kernel: tf.tensor1d([1, 2]), bias: tf.tensor1d([3]) } });
const makeGrads = () => ({ dense: { kernel: tf.tensor1d([1, 1]), bias: tf.tensor1d([1]) } });

describe('masked', () => {
  for (const [what, mask] of [
    ['a predicate', (path: string) => !path.endsWith('bias')],
    ['a tree of booleans', { dense: { kernel: true, bias: false } }],
  ] as const) {
    it(`applies the inner transformation only where ${what} selects; other updates pass through`, async () => {
      const params = makeParams();
      const g = makeGrads();
      // inner: sgd with momentum (stateful) on the kernel only; the bias gets the raw gradient as its update
      const tx = masked(sgd({ learningRate: 0.1, momentum: 0.9 }), mask);
      const state = tx.init(params);
      expect(Object.keys((state.inner as { momentum: object }).momentum)).toEqual(['dense.kernel']);
      tf.dispose(state as unknown as tf.TensorContainer);
      const out = run(tx, params, g, 2) as typeof params;
      // kernel: b₁ = 1 → −0.1; b₂ = 1.9 → −0.19: 1 − 0.29 = 0.71, 2 − 0.29 = 1.71
      await expectClose(out.dense.kernel, [0.71, 1.71]);
      // bias: + g each step (pass-through: the hazard the doc comment warns about)
      await expectClose(out.dense.bias, [5]);
      tf.dispose([params, g, out] as unknown as tf.TensorContainer);
    });
  }

  it('one masked(...) shared by two models selects by each call’s own paths (it kept the last init’s mask)', async () => {
    // Model A is { encoder, decoder }, model B { decoder, encoder }: the same predicate selects the
    // encoder in both, the first leaf of A and the second of B. Before the fix, B's init overwrote the
    // selection, so A's step decayed its decoder and passed its encoder through.
    const shared = masked(scale(-0.5), (path) => path === 'encoder');
    const a = { encoder: tf.tensor1d([1]), decoder: tf.tensor1d([1]) };
    const b = { decoder: tf.tensor1d([1]), encoder: tf.tensor1d([1]) };
    const gA = { encoder: tf.tensor1d([2]), decoder: tf.tensor1d([4]) };
    const sA = shared.init(a);
    const sB = shared.init(b);
    const rA = shared.update(gA, sA, a);
    const u = rA.updates as Record<string, tf.Tensor>;
    // encoder: scale(−0.5)·2 = −1; decoder: passes through, 4
    await expectClose(u.encoder as tf.Tensor, [-1]);
    await expectClose(u.decoder as tf.Tensor, [4]);
    tf.dispose([a, b, gA, sA, sB, rA] as unknown as tf.TensorContainer);
  });

  it('pairs gradients with parameters by path when they come in another key order', async () => {
    const params = { w: tf.tensor1d([1]), b: tf.tensor1d([1]) };
    const grads = { b: tf.tensor1d([3]), w: tf.tensor1d([2]) };
    const tx = masked(scale(-0.5), (path) => path === 'w');
    const state = tx.init(params);
    const r = tx.update(grads, state, params);
    const u = r.updates as Record<string, tf.Tensor>;
    expect(Object.keys(u)).toEqual(['b', 'w']);
    await expectClose(u.w as tf.Tensor, [-1]); // scaled
    await expectClose(u.b as tf.Tensor, [3]); // passed through
    tf.dispose([params, grads, state, r] as unknown as tf.TensorContainer);
  });

  it('is usually chained: weight decay on kernels only', async () => {
    const params = { dense: { kernel: tf.variable(tf.tensor1d([1, 2])), bias: tf.variable(tf.tensor1d([3])) } };
    const opt = new Optimizer(
      params,
      chain(
        masked(sgd({ learningRate: 1, weightDecay: 0.5 }), (p) => p.endsWith('kernel')),
        sgd({ learningRate: 0.1 }),
      ),
    );
    const zero = { dense: { kernel: tf.zeros([2]), bias: tf.zeros([1]) } };
    opt.step(zero);
    // masked sgd(lr 1, wd 0.5) on the kernel: u = −0.5·θ; then sgd(0.1): −0.1·u = 0.05·θ  → θ·1.05
    await expectClose(params.dense.kernel, [1.05, 2.1]);
    await expectClose(params.dense.bias, [3]);
    opt.dispose();
    tf.dispose([params.dense.kernel, params.dense.bias, zero.dense.kernel, zero.dense.bias]);
  });

  it('rejects a boolean mask that does not match the parameters, naming the path', () => {
    const params = makeParams();
    expect(() => masked(sgd({ learningRate: 0.1 }), { dense: { kernel: true } }).init(params)).toThrow(TreeMismatchError);
    expect(() => masked(sgd({ learningRate: 0.1 }), { dense: { kernel: true, bias: 1 as unknown as boolean } })).toThrow(
      /the mask at 'dense\.bias' must be true or false/,
    );
    tf.dispose(params as unknown as tf.TensorContainer);
  });

  it('rejects a predicate that answers something else than a boolean, naming the path', () => {
    const params = makeParams();
    const tx = masked(sgd({ learningRate: 0.1 }), ((path: string) => (path.endsWith('kernel') ? 'yes' : undefined)) as never);
    expect(() => tx.init(params)).toThrow(/mask at 'dense\.kernel': the mask predicate returned yes, not true or false/);
    tf.dispose(params as unknown as tf.TensorContainer);
  });

  it('rejects a factory that was not called, and a missing mask', () => {
    expect(() => masked(adam as never, () => true)).toThrow(HyperParameterError);
    expect(() => masked(adam as never, () => true)).toThrow(/it is a factory, call it, e\.g\. adam\(\)/);
    expect(() => masked(adam(), undefined as never)).toThrow(/mask must be a tree of booleans/);
  });

  it('leaks nothing over 200 steps', async () => {
    const params = makeParams();
    const g = makeGrads();
    await expectNoLeaks(() => {
      const out = run(
        masked(sgd({ learningRate: 1e-3, momentum: 0.9 }), (p) => p.endsWith('kernel')),
        params,
        g,
        200,
      );
      tf.dispose(out as unknown as tf.TensorContainer);
    });
    tf.dispose([params, g] as unknown as tf.TensorContainer);
  });
});
