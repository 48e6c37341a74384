import { flatten, type Module, Optimizer, paths, valueAndGrad } from '@gradkit/core';
import { LayerNorm } from '@gradkit/normalization';
import { adam } from '@gradkit/optimizers';
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { act } from './act.js';
import { dense } from './dense.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';

const WIDTH = 32;
const DEPTH = 50;
const IN = 8;
const N = 64;

/** A pre-norm residual MLP: dense(8→32), 50 × residual(LayerNorm → dense(32→32) → relu), LayerNorm, dense(32→1). */
function deepResidualMlp() {
  const blocks: Module[] = [];
  for (let i = 0; i < DEPTH; i++)
    blocks.push(residual(sequential(new LayerNorm({ features: WIDTH }), dense({ inFeatures: WIDTH, outFeatures: WIDTH, seed: 100 + i }), act('relu'))));
  return sequential(
    dense({ inFeatures: IN, outFeatures: WIDTH, seed: 1 }),
    ...blocks,
    new LayerNorm({ features: WIDTH }),
    dense({ inFeatures: WIDTH, outFeatures: 1, seed: 2 }),
  );
}

describe(`a ${DEPTH}-layer residual MLP with LayerNorm`, () => {
  it('trains without NaN: finite, decreasing loss and non-vanishing gradients at the first layer', async () => {
    // SwiftShader runs WebGPU on the CPU: fewer steps there, same depth.
    const steps = currentBackend() === 'webgpu' ? 6 : 30;
    const net = deepResidualMlp();
    expect(paths(net.params).length).toBe(2 + DEPTH * 4 + 2 + 2);
    const x = tf.randomNormal([N, IN], 0, 1, 'float32', 7);
    // a smooth synthetic regression target: y = sin(x·v) + 0.5·x₀
    const y = tf.tidy(() => tf.add(tf.sin(tf.matMul(x, tf.reshape(tf.linspace(-1, 1, IN), [IN, 1]))), tf.mul(tf.slice(x, [0, 0], [N, 1]), 0.5)));
    const loss = () => tf.losses.meanSquaredError(y, net.apply(x)) as tf.Scalar;

    const opt = new Optimizer(net.params, adam({ learningRate: 3e-3 }));
    const losses: number[] = [];
    await expectNoLeaks(
      async () => {
        // first step by hand, to look at the gradients: the first layer's must not vanish next to the last one's
        const { value, grads } = valueAndGrad<typeof net.params>(loss)(net.params);
        const norms = tf.tidy(() => tf.stack([tf.norm(grads[0].kernel), tf.norm((grads[DEPTH + 2] as { kernel: tf.Tensor }).kernel)]));
        opt.step(grads);
        const [first, last] = Array.from(await norms.data());
        losses.push((await value.data())[0] as number);
        tf.dispose([value, grads as unknown as tf.TensorContainer, norms]);
        expect(Number.isFinite(first) && (first as number) > 1e-3 * (last as number), `gradient norms: first ${first}, last ${last}`).toBe(true);
        for (let i = 1; i < steps; i++) losses.push(await opt.minimize(loss));
      },
      { what: `${steps} training steps` },
    );
    expect(losses.every(Number.isFinite), `losses: ${losses.join(', ')}`).toBe(true);
    const last = losses[losses.length - 1] as number;
    expect(last, `losses: ${losses.join(', ')}`).toBeLessThan(0.2 * (losses[0] as number));
    // decreasing: the mean loss of each third of the run is below the previous third's (Adam's steps may bump up locally)
    const third = Math.floor(steps / 3);
    const means = [0, 1, 2].map((k) => losses.slice(k * third, (k + 1) * third).reduce((a, b) => a + b, 0) / third);
    expect(means[1], `losses: ${losses.join(', ')}`).toBeLessThan(means[0] as number);
    expect(means[2], `losses: ${losses.join(', ')}`).toBeLessThan(means[1] as number);
    // every parameter is still finite (one readback: a sum is finite iff every term is)
    const total = tf.tidy(() => tf.addN(flatten(net.params).map(({ value: p }) => tf.sum(tf.abs(p as tf.Tensor)))));
    expect(Number.isFinite((await total.data())[0])).toBe(true);
    total.dispose();
    opt.dispose();
    net.dispose();
    tf.dispose([x, y]);
  }, 120_000);
});
