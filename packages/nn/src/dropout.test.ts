import { valueAndGrad } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dropout } from './dropout.js';
import { expectHyperError, variable } from './test-support.js';

const maskOf = async (y: tf.Tensor): Promise<number[]> => Array.from(await y.data(), (v) => (v === 0 ? 0 : 1));

describe('dropout', () => {
  it('drops a fraction ≈ rate of a large tensor and scales the survivors by 1/(1 − p)', async () => {
    const rate = 0.3;
    const drop = dropout(rate, { seed: 1 });
    const x = tf.ones([200, 500]); // 100 000 elements: σ of the dropped fraction ≈ 0.0014
    const y = drop.apply(x);
    const values = await y.data();
    let dropped = 0;
    let sum = 0;
    for (const v of values) {
      if (v === 0) dropped++;
      else expect(v).toBe(Math.fround(1 / (1 - rate)));
      sum += v;
    }
    expect(Math.abs(dropped / values.length - rate)).toBeLessThan(0.01);
    expect(Math.abs(sum / values.length - 1)).toBeLessThan(0.015); // inverted dropout keeps the mean
    tf.dispose([x, y]);
  });

  it('is the identity in inference (eval() or training: false) and with rate 0', async () => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [4, 5, -6],
    ]);
    const drop = dropout(0.9, { seed: 2 });
    const yOverride = drop.apply(x, { training: false });
    expect(drop.training).toBe(true);
    drop.eval();
    expect(drop.training).toBe(false);
    const yEval = drop.apply(x);
    const yZero = dropout(0, { seed: 2 }).apply(x);
    for (const y of [yOverride, yEval, yZero])
      await expectClose(y, [
        [1, -2, 3],
        [4, 5, -6],
      ]);
    const yForced = drop.apply(x, { training: true });
    expect((await maskOf(yForced)).filter((m) => m === 0).length).toBeGreaterThan(0);
    tf.dispose([x, yOverride, yEval, yZero, yForced]);
  });

  it('draws the same mask sequence for the same seed, a new mask per call, and repeats after reseed()', async () => {
    const x = tf.ones([64]);
    const a = dropout(0.5, { seed: 11 });
    const b = dropout(0.5, { seed: 11 });
    const c = dropout(0.5, { seed: 12 });
    const run = async (d: typeof a) => {
      const out: number[][] = [];
      for (let i = 0; i < 3; i++) {
        const y = d.apply(x);
        out.push(await maskOf(y));
        y.dispose();
      }
      return out;
    };
    const sa = await run(a);
    expect(await run(b)).toEqual(sa);
    expect(await run(c)).not.toEqual(sa);
    expect(sa[1]).not.toEqual(sa[0]);
    a.reseed();
    expect(await run(a)).toEqual(sa);
    x.dispose();
  });

  it('gives the same mask on every backend (hard-coded for seed 42, rate 0.5)', async () => {
    // Produced independently of the TS code by a short Python 3 script transcribing Vigna's reference C code
    // (splitmix64.c seeds: state words = low, high 32 bits of its first two outputs from
    // x = 42 + k·0x632be59bd9b4e019 for the k-th mask; then xoshiro128starstar.c); u = (next() >> 8)·2⁻²⁴,
    // element i (row-major) dropped when u < 0.5; the second call is stream k = 1. The same on every backend.
    const drop = dropout(0.5, { seed: 42 });
    const x = tf.tensor2d([
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 10, 11, 12],
    ]);
    const y1 = drop.apply(x);
    const y2 = drop.apply(x);
    expect({ backend: currentBackend(), first: await maskOf(y1), second: await maskOf(y2) }).toEqual({
      backend: currentBackend(),
      first: EXPECTED_FIRST,
      second: EXPECTED_SECOND,
    });
    const scaled = EXPECTED_FIRST.map((m, i) => m * 2 * (i + 1)); // kept elements are x/(1 − 0.5)
    await expectClose(y1, [scaled.slice(0, 6), scaled.slice(6)]);
    tf.dispose([x, y1, y2]);
  });

  it('passes gradients through the kept elements only: ∂y/∂x = mask/(1 − p)', async () => {
    const drop = dropout(0.25, { seed: 5 });
    const w = variable(() => tf.linspace(-1, 1, 40));
    const { value, grads } = valueAndGrad((p: { w: tf.Tensor }) => tf.sum(drop.apply(p.w)))({ w });
    drop.reseed();
    const y = drop.apply(w);
    const mask = await maskOf(y);
    await expectClose(
      grads.w,
      mask.map((m) => m / 0.75),
    );
    tf.dispose([w, value, grads, y]);
  });

  it('leaks nothing over many training calls', async () => {
    const drop = dropout(0.5, { seed: 3 });
    const x = tf.ones([8, 8]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 100; i++) drop.apply(x).dispose();
    });
    x.dispose();
  });

  it('rejects a rate outside [0, 1) and a non-integer seed, naming the argument', () => {
    for (const rate of [1, -0.1, 1.5]) expectHyperError(() => dropout(rate, { seed: 1 }), 'rate', /\[0, 1\)/);
    for (const rate of [Number.NaN, Number.POSITIVE_INFINITY]) expectHyperError(() => dropout(rate, { seed: 1 }), 'rate', /finite/);
    expectHyperError(() => dropout('0.5' as never), 'rate');
    expectHyperError(() => dropout(0.5, { seed: 1.5 }), 'seed');
    expectHyperError(() => dropout(0.5, { seed: 1, name: '' }), 'name');
  });
});

const EXPECTED_FIRST = [0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0];
const EXPECTED_SECOND = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1];
