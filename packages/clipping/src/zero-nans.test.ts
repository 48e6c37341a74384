import { chain, Optimizer, TreeMismatchError } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { clipThenSgd, conformance, expectTreeMismatch } from './test-support.js';
import { zeroNans } from './zero-nans.js';

/**
 * Independent reference: optax `zero_nans` (optax/_src/transform.py), in float64:
 * found_nan = any(isnan(g)) per leaf; updates = where(isnan(g), 0, g). Only NaN, not ±inf.
 */
const optaxZeroNans = (grads: number[][]) => ({
  updates: grads.map((g) => g.map((x) => (Number.isNaN(x) ? 0 : x))),
  foundNan: grads.map((g) => g.some(Number.isNaN)),
});

const read = async (t: tf.Tensor) => Array.from(await t.data());

describe('zeroNans (optax.zero_nans)', () => {
  it('exposes its name and (empty) options', () => {
    const tx = zeroNans();
    expect(tx.name).toBe('zeroNans');
    expect(tx.options).toEqual({});
    expect(tx.hyperParams?.(0)).toEqual({});
    expect(tx.metrics).toEqual(['foundNan']); // it describes the last step (Optimizer.metrics() reads it)
  });

  it('replaces NaN (only NaN) by 0 and flags, per parameter, whether it found one; 0-d and odd-length leaves', async () => {
    const values = [[1, Number.NaN, -2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], [Number.NaN], [0.5, 3, -1]];
    const grads = { a: tf.tensor1d(values[0] as number[]), nested: { s: tf.scalar(Number.NaN) }, c: tf.tensor1d(values[2] as number[]) };
    const tx = zeroNans();
    const state = tx.init(grads);
    expect(await read((state.foundNan as { a: tf.Tensor }).a)).toEqual([0]); // init: nothing found yet
    const r = tf.tidy(() => tx.update(grads, state) as never) as unknown as ReturnType<typeof tx.update>;
    const updates = r.updates as { a: tf.Tensor; nested: { s: tf.Tensor }; c: tf.Tensor };
    const ref = optaxZeroNans(values);
    expect(await read(updates.a)).toEqual(ref.updates[0]);
    expect(await read(updates.nested.s)).toEqual(ref.updates[1]);
    expect(await read(updates.c)).toEqual(ref.updates[2]);
    const found = r.state.foundNan as { a: tf.Tensor; nested: { s: tf.Tensor }; c: tf.Tensor };
    expect(found.a.dtype).toBe('bool');
    expect(found.a.shape).toEqual([]);
    expect([...(await read(found.a)), ...(await read(found.nested.s)), ...(await read(found.c))].map(Boolean)).toEqual(ref.foundNan);
    tf.dispose([grads.a, grads.nested.s, grads.c, r as never, state as never]);
  });

  conformance(
    'chain(zeroNans(), clipByGlobalNorm(20), sgd) on finite gradients',
    () => chain(zeroNans(), clipByGlobalNorm(20), sgd({ learningRate: 0.1 })),
    clipThenSgd(0.1, (g) => {
      const u = optaxZeroNans(g).updates;
      const n = Math.sqrt(u.flat().reduce((s, x) => s + x * x, 0));
      return n < 20 ? u : u.map((l) => l.map((x) => (x / n) * 20)); // optax clip_by_global_norm
    }),
  );

  it('in the Optimizer runner, a NaN gradient element leaves its parameter element where it was', async () => {
    const params = { w: tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3]))) };
    const opt = new Optimizer(params, chain(zeroNans(), sgd({ learningRate: 0.5 })));
    const g = { w: tf.tensor1d([2, Number.NaN, -2]) };
    await expectNoLeaks(() => opt.step(g));
    expect(await read(params.w)).toEqual([0, 2, 4]);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('gradients whose structure differs from the state → TreeMismatchError naming the path', () => {
    const params = { a: tf.scalar(1), b: tf.scalar(2) };
    const tx = zeroNans();
    const state = tx.init(params);
    expectTreeMismatch(() => tx.update({ a: params.a }, state), 'b');
    expect(() => tx.update(params, {} as never)).toThrow(TreeMismatchError);
    tf.dispose([params.a, params.b, state as never]);
  });
});
