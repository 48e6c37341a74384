import { Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from '../dense.js';
import { gru } from '../gru.js';
import { lstm } from '../lstm.js';
import { sequential } from '../sequential.js';
import { simpleRnn } from '../simple-rnn.js';
import { withSmallOutputMatMul } from '../test-support.js';

const makers = {
  simpleRnn: (returnSequences: boolean) => simpleRnn({ inputSize: 3, hiddenSize: 8, returnSequences, seed: 1 }),
  lstm: (returnSequences: boolean) => lstm({ inputSize: 3, hiddenSize: 8, returnSequences, seed: 1 }),
  gru: (returnSequences: boolean) => gru({ inputSize: 3, hiddenSize: 8, returnSequences, seed: 1 }),
};
/** 200 training steps run ~60k kernels: seconds on every backend (see withSmallOutputMatMul for WebGPU's software adapter). */
const TRAINING_TIMEOUT_MS = 120_000;

describe('recurrent modules (simpleRnn, lstm, gru)', () => {
  for (const [kind, make] of Object.entries(makers)) {
    it(
      `${kind} → dense on the last step composes with sequential, trains with valueAndGrad + Optimizer(adam), leaks nothing over 200 steps`,
      () =>
        withSmallOutputMatMul(async () => {
          // Task: y = mean over time of the first feature (needs memory of every step).
          const x = tf.randomNormal([8, 3, 3], 0, 1, 'float32', 5);
          const y = tf.tidy(() => tf.mean(tf.slice(x, [0, 0, 0], [-1, -1, 1]), 1));
          const net = sequential(make(false), dense({ inFeatures: 8, outFeatures: 1, seed: 2 }));
          const paths = Object.keys(net.params[0]).map((k) => `0.${k}`);
          expect(paths).toEqual(kind === 'gru' ? ['0.kernel', '0.recurrentKernel', '0.bias', '0.recurrentBias'] : ['0.kernel', '0.recurrentKernel', '0.bias']);
          const loss = () => tf.mean(tf.square(tf.sub(net.apply(x), y)));
          const opt = new Optimizer(net.params, adam({ learningRate: 0.01 }));
          const first = await opt.minimize(loss);
          let last = first;
          const steps = 200;
          await expectNoLeaks(
            async () => {
              for (let i = 0; i < steps; i++) {
                const { value, grads } = valueAndGrad<typeof net.params>(loss)(net.params);
                opt.step(grads);
                if (i === steps - 1) last = (await value.data())[0] as number;
                tf.dispose([value, grads]);
              }
            },
            { what: `${steps} training steps of ${kind}` },
          );
          expect(last).toBeLessThan(first / 4);
          opt.dispose();
          net.dispose();
          tf.dispose([x, y]);
        }),
      TRAINING_TIMEOUT_MS,
    );
  }

  it('differentiates a single time step: with h0 = 0, simpleRnn is h = tanh(x·W + b), ∂Σh/∂W = xᵀ(1 − h²)', async () => {
    // tfjs's gradient of an unstack into one tensor throws; time 1 (and a last time group of one step) avoid it.
    const rnn = simpleRnn({ inputSize: 3, hiddenSize: 4, returnSequences: false, seed: 3 });
    const x = tf.randomNormal([2, 1, 3], 0, 1, 'float32', 4);
    const { value, grads } = valueAndGrad<typeof rnn.params>(() => tf.sum(rnn.apply(x)))(rnn.params);
    const x2 = tf.reshape(x, [2, 3]);
    const h = tf.tanh(tf.add(tf.matMul(x2, rnn.params.kernel), rnn.params.bias));
    const expected = tf.matMul(x2, tf.sub(1, tf.square(h)), true, false);
    expectClose(await grads.kernel.data(), await expected.data(), { rtol: 1e-5, atol: 1e-6 });
    expectClose((await value.data())[0] as number, (await tf.sum(h).data())[0] as number, { rtol: 1e-5 });
    tf.dispose([value, grads, x, x2, h, expected]);
    rnn.dispose();
  });

  it('differentiates 21 steps, whose last time group has one step (lstm; central differences on the kernel)', async () => {
    const net = lstm({ inputSize: 2, hiddenSize: 3, returnSequences: false, seed: 5 });
    const x = tf.randomNormal([2, 21, 2], 0, 1, 'float32', 6);
    const loss = () => tf.sum(net.apply(x));
    const { value, grads } = valueAndGrad<typeof net.params>(loss)(net.params);
    const analytic = (await grads.kernel.data())[0] as number;
    const at = async (delta: number) => {
      const k = await net.params.kernel.data();
      const moved = Float32Array.from(k);
      moved[0] = (moved[0] as number) + delta;
      const [saved, probe] = [tf.tensor(k, net.params.kernel.shape), tf.tensor(moved, net.params.kernel.shape)];
      net.params.kernel.assign(probe);
      const out = tf.tidy(loss);
      const v = (await out.data())[0] as number;
      net.params.kernel.assign(saved);
      tf.dispose([saved, probe, out]);
      return v;
    };
    const numeric = ((await at(1e-2)) - (await at(-1e-2))) / 2e-2;
    expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    tf.dispose([value, grads, x]);
    net.dispose();
  });

  it('taps every step under the module’s scope inside a sequential (0.lstm.t0 …), in time order before the output tap; outside withTaps they add no tensor', async () => {
    const net = sequential(lstm({ inputSize: 3, hiddenSize: 4, seed: 1 }), dense({ inFeatures: 4, outFeatures: 1, seed: 2 }));
    const x = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 1);
    const loss = () => tf.sum(net.apply(x));
    const { result, taps } = withTaps(valueAndGrad<typeof net.params>(loss))(net.params);
    expect(Object.keys(taps)).toEqual(['0.lstm.t0', '0.lstm.t1', '0.lstm.t2', '0.lstm', '1.dense']);
    // The module's output (every step) is the stack of the step taps; the last step's total gradient
    // is the output's gradient there (nothing flows into it from later steps).
    const out = taps['0.lstm']!;
    const t2 = taps['0.lstm.t2']!;
    const step2 = (t: tf.Tensor) => tf.tidy(() => tf.squeeze(tf.slice(t, [0, 2, 0], [-1, 1, -1]), [1]));
    const [a2, g2] = [step2(out.activation), step2(out.grad as tf.Tensor)];
    await expectClose(a2, await t2.activation.array());
    await expectClose(g2, await (t2.grad as tf.Tensor).array());
    tf.dispose([result, taps, a2, g2] as never);
    const before = tf.memory().numTensors;
    const y = net.apply(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
    net.dispose();
  });

  it('returns [batch, time, h], or the last step [batch, h] with returnSequences: false', () => {
    for (const make of Object.values(makers)) {
      const [seq, last] = [make(true), make(false)];
      const x = tf.ones([2, 5, 3]);
      tf.tidy(() => {
        expect(seq.apply(x).shape).toEqual([2, 5, 8]);
        expect(last.apply(x).shape).toEqual([2, 8]);
      });
      x.dispose();
      seq.dispose();
      last.dispose();
    }
  });
});
