import { expectClose, expectNoLeaks, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { firstRecurrentLayer, inputGradientNorms, inputTemporal } from './input-gradients.js';
import { normals, seeded } from './test-support.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

describe('inputGradientNorms', () => {
  smallOutputMatMul();
  it('matches central finite differences of the loss on a tiny SimpleRNN', async () => {
    const [batch, time, features] = [2, 4, 2];
    const model = tfl.sequential({
      layers: [
        tfl.layers.simpleRNN({
          units: 3,
          inputShape: [time, features],
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
          recurrentInitializer: tfl.initializers.orthogonal({ seed: 2 }),
        }),
        tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    const rng = seeded(4);
    const xs = normals(rng, batch * time * features);
    const y = tf.tensor2d(normals(rng, batch), [batch, 1]);
    const forward = (x: tf.Tensor) => model.apply(x, { training: false }) as tf.Tensor;
    const loss = (p: tf.Tensor, t: tf.Tensor) => tf.losses.meanSquaredError(t, p) as tf.Scalar;
    const x = tf.tensor3d(xs, [batch, time, features]);
    const norms = await expectNoLeaks(() => inputGradientNorms(forward, loss, x, y));
    // ∂L/∂x by central differences, all perturbations in one batch: copy 2i is x with element i raised
    // by eps, copy 2i+1 with it lowered; each copy's loss is the mean of its samples' squared errors
    const eps = 1e-2;
    const copies = new Float32Array(2 * xs.length * xs.length);
    for (let i = 0; i < xs.length; i++)
      for (const [c, sign] of [
        [2 * i, 1],
        [2 * i + 1, -1],
      ] as const) {
        copies.set(xs, c * xs.length);
        copies[c * xs.length + i] = (xs[i] as number) + sign * eps;
      }
    const perCopy = tf.tidy(() => {
      const pred = forward(tf.tensor3d(copies, [2 * xs.length * batch, time, features]));
      const targets = tf.tile(y, [2 * xs.length, 1]);
      return tf.mean(tf.reshape(tf.square(tf.sub(pred, targets)), [2 * xs.length, batch]), 1);
    });
    const losses = await perCopy.data();
    perCopy.dispose();
    const squares = new Array(time).fill(0);
    for (let i = 0; i < xs.length; i++) {
      const g = ((losses[2 * i] as number) - (losses[2 * i + 1] as number)) / (2 * eps);
      const t = Math.floor(i / features) % time;
      squares[t] += g * g;
    }
    await expectClose(norms, squares.map(Math.sqrt), { rtol: 2e-2, atol: 1e-5, what: '‖∂L/∂xₜ‖' });
    expect(norms).toHaveLength(time);
    model.dispose();
    tf.dispose([x, y]);
  });
});

describe('inputTemporal', () => {
  it('gives the through-time finding of ∂L/∂xₜ, worded for the input, with the tfjs-layers remedy', () => {
    const norms = Array.from({ length: 50 }, (_, t) => 0.8 ** (49 - t)); // ρ = 0.8^49 ≈ 1.8e-5
    const { profile, findings } = inputTemporal('simple_rnn_1', norms, DEFAULT_THRESHOLDS, true);
    expect(profile?.layer).toBe('simple_rnn_1');
    expect(profile?.of).toBe('input');
    expect(profile?.firstLastRatio).toBeCloseTo(0.8 ** 49, 10);
    expect(profile?.decayPerStep).toBeCloseTo(0.8, 6);
    expect(findings.map((f) => f.kind)).toEqual(['vanishingThroughTime']);
    const f = findings[0];
    expect(f?.what).toMatch(/^‖∂L\/∂xₜ‖ at the input of simple_rnn_1 goes from/);
    expect(f?.what).not.toContain('∂L/∂hₜ‖ of');
    expect(f?.where).toBe('simple_rnn_1, steps 0–18 of 50'); // 0.8^(49−t) < 1e-3 for t ≤ 18
    expect(f?.toTry).toHaveLength(1);
    expect(f?.toTry[0]).toContain('tf.layers.lstm');
    // a gradkit model keeps the temporal rule's remedies (in @gradkit/nn's words)
    expect(inputTemporal('rnn', norms, DEFAULT_THRESHOLDS, false).findings[0]?.toTry.join(' ')).toContain('@gradkit/nn');
  });

  it('says nothing for a flat profile, and has no profile for one step', () => {
    expect(inputTemporal('rnn', [1, 0.9, 1.1, 1], DEFAULT_THRESHOLDS, true).findings).toEqual([]);
    expect(inputTemporal('rnn', [1], DEFAULT_THRESHOLDS, true)).toEqual({ profile: undefined, findings: [] });
    const growing = inputTemporal(
      'rnn',
      Array.from({ length: 30 }, (_, t) => 1.5 ** (29 - t)),
      DEFAULT_THRESHOLDS,
      true,
    );
    expect(growing.findings.map((f) => f.kind)).toEqual(['explodingThroughTime']);
    expect(growing.findings[0]?.what).toContain('∂L/∂xₜ');
  });
});

describe('firstRecurrentLayer', () => {
  it('names the first recurrent layer, or none', () => {
    const layer = (name: string, cls: string) => ({ name, getClassName: () => cls });
    expect(firstRecurrentLayer([layer('in', 'InputLayer'), layer('c', 'Conv1D'), layer('g', 'GRU'), layer('l', 'LSTM')])).toBe('g');
    expect(firstRecurrentLayer([layer('c', 'Conv1D'), layer('d', 'Dense')])).toBeUndefined();
  });
});
