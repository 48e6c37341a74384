import { Optimizer } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { sgd } from '../index.js';

// The fused plain-SGD kernel of each backend against the reference path (the transformation's tf ops).
const SHAPES: number[][] = [[], [1], [3], [5, 7], [4097]];
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 2);
const makeParams = () => Object.fromEntries(SHAPES.map((s, k) => [`p${k}`, tf.variable(tf.tensor(values(tf.util.sizeFromShape(s), k + 1), s))]));
const makeGrads = (step: number) => Object.fromEntries(SHAPES.map((s, k) => [`p${k}`, tf.tensor(values(tf.util.sizeFromShape(s), 100 * step + k), s)]));
const readAll = async (p: Record<string, tf.Tensor>) => Promise.all(Object.values(p).map(async (t) => Array.from(await t.data())));

describe(`fused SGD kernel on ${currentBackend()}`, () => {
  for (const [what, options] of [
    ['plain', { learningRate: 0.05 }],
    ['weight decay', { learningRate: 0.05, weightDecay: 0.01 }],
    ['scheduled learning rate', { learningRate: (t: number) => 0.1 * 0.5 ** t, weightDecay: 0.001 }],
  ] as const) {
    it(`${what}: same numbers as the reference path over 5 steps (shapes ${SHAPES.map((s) => `[${s}]`).join(' ')})`, async () => {
      const fusedParams = makeParams();
      const refParams = makeParams();
      const fused = new Optimizer(fusedParams, sgd(options));
      const reference = new Optimizer(refParams, sgd(options), { fused: false });
      for (let t = 0; t < 5; t++) {
        const g = makeGrads(t);
        fused.step(g);
        reference.step(g);
        tf.dispose(Object.values(g));
      }
      expect(fused.lastStepPath).toBe('fused:GradkitSgd');
      expect(reference.lastStepPath).toBe('reference');
      const [a, b] = [await readAll(fusedParams), await readAll(refParams)];
      // cpu and wasm round like the reference op by op: bit-identical. WebGPU may contract to FMA.
      if (currentBackend() === 'webgpu') for (const [k, row] of a.entries()) await expectClose(row, b[k] as number[], { rtol: 1e-6, atol: 1e-7 });
      else expect(a).toEqual(b);
      fused.dispose();
      reference.dispose();
      tf.dispose([...Object.values(fusedParams), ...Object.values(refParams)]);
    });
  }

  it('copies a shared buffer before writing in place (copy-on-write)', async () => {
    const source = tf.tensor1d([1, 2, 3]);
    const params = { w: tf.variable(source) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.5 }));
    const g = { w: tf.tensor1d([1, 1, 1]) };
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitSgd');
    await expectClose(params.w, [0.5, 1.5, 2.5]);
    await expectClose(source, [1, 2, 3]);
    opt.dispose();
    tf.dispose([source, params.w, g.w]);
  });

  it('sees ops queued before it and is seen by ops queued after it, without awaiting in between', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, sgd({ learningRate: 1 }));
    const g = { w: tf.tensor1d([0.5, 0.5]) };
    const before = tf.mul(params.w, 10);
    opt.step(g);
    const after = tf.mul(params.w, 10);
    await expectClose(before, [10, 20]);
    await expectClose(after, [5, 15]);
    opt.dispose();
    tf.dispose([params.w, g.w, before, after]);
  });

  it('ops that cache per tensor see the new values (wasm packs dense weights with XNNPACK, keyed by tensor id)', async () => {
    const params = {
      w: tf.variable(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      ),
      b: tf.variable(tf.tensor1d([0.5, -0.5])),
    };
    const x = tf.ones([3, 2]);
    const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
    const g = { w: tf.ones([2, 2]), b: tf.ones([2]) };
    const outputs: tf.Tensor[] = [];
    for (let i = 0; i < 4; i++) {
      outputs.push(tf.fused.matMul({ a: x, b: params.w, bias: params.b }));
      opt.step(g);
    }
    // each row: [1+3+0.5, 2+4−0.5] = [4.5, 5.5], then −0.3 per step (two weights and the bias, −0.1 each)
    for (const [i, y] of outputs.entries()) await expectClose(y, Array(3).fill([4.5 - 0.3 * i, 5.5 - 0.3 * i]));
    opt.dispose();
    tf.dispose([params.w, params.b, x, g.w, g.b, ...outputs]);
  });

  it('propagates NaN like the reference path', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.1, weightDecay: 0.1 }));
    const g = { w: tf.tensor1d([Number.NaN, 0]) };
    opt.step(g);
    const [w0, w1] = await params.w.data();
    expect(w0).toBeNaN();
    expect(w1).toBeCloseTo(2 - 0.1 * 0.2, 6);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('leaks no tensors over 200 fused steps', async () => {
    const params = makeParams();
    const g = makeGrads(0);
    await expectNoLeaks(() => {
      const opt = new Optimizer(params, sgd({ learningRate: 1e-4 }));
      for (let t = 0; t < 200; t++) opt.step(g);
      expect(opt.lastStepPath).toBe('fused:GradkitSgd');
      opt.dispose();
    });
    tf.dispose([...Object.values(params), ...Object.values(g)]);
  });
});
