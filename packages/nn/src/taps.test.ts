import { type Module, valueAndGrad, withTaps } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { act } from './act.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { nameScope } from './name-scope.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { expectHyperError } from './test-support.js';

/** A parameter-free module from "another package" that does not tap itself: y = 2x. */
const double = (): Module<Record<string, never>> => {
  const m: Module<Record<string, never>> = {
    name: 'double',
    params: {},
    training: true,
    apply: (x) => tf.mul(x, 2),
    train: () => m,
    eval: () => m,
    dispose: () => {},
  };
  return m;
};

const build = () =>
  sequential(
    dense({ inFeatures: 3, outFeatures: 4, seed: 1 }),
    act('relu'),
    residual(sequential(dense({ inFeatures: 4, outFeatures: 4, seed: 2 }), double())),
    dropout(0.25, { seed: 3 }),
    dense({ inFeatures: 4, outFeatures: 2, seed: 4 }),
  );
const read = async (t: tf.Tensor | undefined) => Array.from(await (t as tf.Tensor).data());

describe('taps on every layer', () => {
  it('records every layer’s activation and its gradient under its tree path and name, input to output', async () => {
    const net = build();
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
    const loss = () => tf.mean(tf.square(net.apply(x)));
    const { result, taps } = withTaps(valueAndGrad<typeof net.params>(loss))(net.params);
    expect(Object.keys(taps)).toEqual(['0.dense', '1.relu', '2.inner.0.dense', '2.inner.1.double', '2.residual', '3.dropout', '4.dense']);
    for (const [name, t] of Object.entries(taps)) {
      expect(t.grad, `gradient at tap ${name}`).toBeDefined();
      expect(t.grad?.shape).toEqual(t.activation.shape);
    }
    expect(taps['4.dense']!.activation.shape).toEqual([5, 2]);
    // ∂L/∂y = 2y/n at the output, L = mean(y²) over 10 elements
    await expectClose(
      await read(taps['4.dense']!.grad),
      (await read(taps['4.dense']!.activation)).map((v) => v / 5),
    );
    // relu: activation '1.relu' = max(0, '0.dense') and ∂L/∂h0 = ∂L/∂h1 · [h0 > 0]
    const [h0, h1, g0, g1] = await Promise.all([
      read(taps['0.dense']!.activation),
      read(taps['1.relu']!.activation),
      read(taps['0.dense']!.grad),
      read(taps['1.relu']!.grad),
    ]);
    await expectClose(
      h1,
      h0.map((v) => Math.max(0, v)),
    );
    await expectClose(
      g0,
      g1.map((g, i) => ((h0[i] as number) > 0 ? g : 0)),
    );
    // the foreign module (y = 2x) is tapped by its container; the residual sum is '1.relu' + '2.inner.1.double'
    const [inner0, inner1, sum] = await Promise.all([
      read(taps['2.inner.0.dense']!.activation),
      read(taps['2.inner.1.double']!.activation),
      read(taps['2.residual']!.activation),
    ]);
    await expectClose(
      inner1,
      inner0.map((v) => 2 * v),
    );
    await expectClose(
      sum,
      h1.map((v, i) => v + (inner1[i] as number)),
    );
    // the tapped gradient of the residual's input: ∂L/∂h1 = ∂L/∂sum + ∂L/∂h1 through inner
    const gSum = await read(taps['2.residual']!.grad);
    const gInner0 = await read(taps['2.inner.0.dense']!.grad);
    const W = await read(net.layers[2].params.inner[0].kernel);
    const throughInner = g1.map((_, k) => {
      const [r, c] = [Math.floor(k / 4), k % 4];
      let s = 0;
      for (let j = 0; j < 4; j++) s += (gInner0[r * 4 + j] as number) * (W[c * 4 + j] as number);
      return s;
    });
    await expectClose(
      g1,
      gSum.map((g, k) => g + (throughInner[k] as number)),
      { rtol: 1e-4, atol: 1e-5 },
    );
    tf.dispose([x, result.value, result.grads, taps]);
    net.dispose();
  });

  it('taps a module applied alone under its name, and nameScope prefixes tap names', async () => {
    const a = dense({ inFeatures: 2, outFeatures: 2, seed: 1 });
    const b = dense({ inFeatures: 2, outFeatures: 2, seed: 2, name: 'head' });
    const enc = sequential(dense({ inFeatures: 2, outFeatures: 2, seed: 3 }), act('tanh'));
    const x = tf.ones([1, 2]);
    const { result, taps } = withTaps(() =>
      tf.tidy(() => {
        const h = b.apply(a.apply(x));
        return nameScope('encoder', () => enc.apply(h));
      }),
    )();
    expect(Object.keys(taps)).toEqual(['dense', 'head', 'encoder.0.dense', 'encoder.1.tanh']);
    tf.dispose([x, result, taps]);
    for (const m of [a, b, enc]) m.dispose();
    expectHyperError(() => nameScope('', () => 0), 'name');
  });

  it('costs nothing outside withTaps and leaks nothing with it', async () => {
    const net = build();
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 2);
    const loss = () => tf.mean(tf.square(net.apply(x)));
    await expectNoLeaks(() => {
      for (let i = 0; i < 10; i++) {
        const { result, taps } = withTaps(valueAndGrad<typeof net.params>(loss))(net.params);
        tf.dispose([result.value, result.grads, taps]);
      }
    });
    tf.dispose(x);
    net.dispose();
  });
});
