import { Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { profileStep } from '../index.js';
import { GpuCounter } from './gpu-counter.js';
import { countCalls, patchMethod } from './patch.js';

const x = tf.randomUniform([64, 32], -1, 1, 'float32', 5);
const loss = (p: { w: tf.Tensor }) => tf.mean(tf.square(tf.relu(tf.matMul(x, p.w))));
const setup = () => {
  const w = tf.tidy(() => tf.variable(tf.randomUniform([32, 16], -0.3, 0.3, 'float32', 6)));
  return { w, opt: new Optimizer({ w }, sgd({ learningRate: 0.1 })) };
};

const queue = () => (tf.backend() as unknown as { queue: object }).queue;
const passProto = () => (globalThis as unknown as { GPUComputePassEncoder: { prototype: object } }).GPUComputePassEncoder.prototype;

describe('profileStep on WebGPU: dispatches and submits', () => {
  afterAll(() => x.dispose());

  it.skipIf(currentBackend() === 'webgpu')('reports none on cpu and wasm', async () => {
    const { w, opt } = setup();
    const p = await profileStep({ optimizer: opt, loss }, { steps: 1, warmup: 0, timedSteps: 1 });
    expect(p.dispatches).toBeUndefined();
    expect(p.submits).toBeUndefined();
    expect(p.kernels.every((k) => k.dispatches === undefined)).toBe(true);
    opt.dispose();
    w.dispose();
  });

  it.skipIf(currentBackend() !== 'webgpu')('counts what wrapping queue.submit and dispatchWorkgroups around one step counts', async () => {
    const { w, opt } = setup();
    const before = { submit: Object.getOwnPropertyDescriptor(queue(), 'submit'), dispatch: Object.getOwnPropertyDescriptor(passProto(), 'dispatchWorkgroups') };
    const p = await profileStep({ optimizer: opt, loss }, { steps: 2, warmup: 1, timedSteps: 3 });
    // Everything put back as it was.
    expect(Object.getOwnPropertyDescriptor(queue(), 'submit')).toEqual(before.submit);
    expect(Object.getOwnPropertyDescriptor(passProto(), 'dispatchWorkgroups')).toEqual(before.dispatch);

    // One more step by hand, counted by hand.
    let submits = 0;
    let dispatches = 0;
    const restores = [
      patchMethod(
        queue(),
        'submit',
        countCalls(() => submits++),
      ),
      patchMethod(
        passProto(),
        'dispatchWorkgroups',
        countCalls(() => dispatches++),
      ),
    ];
    try {
      await opt.minimize(loss);
    } finally {
      for (const restore of restores) restore();
    }
    expect(submits).toBeGreaterThan(0);
    expect(dispatches).toBeGreaterThan(0);
    expect(p.submits).toBe(submits);
    expect(p.dispatches).toBe(dispatches);
    // The profiled steps make the same dispatches, attributed to their kernels.
    expect(p.kernels.reduce((a, k) => a + (k.dispatches ?? 0), 0)).toBe(dispatches);
    expect(p.kernels.find((k) => k.name === 'BatchMatMul' && k.phase === 'forward')?.dispatches).toBe(1);
    opt.dispose();
    w.dispose();
  });

  it.skipIf(currentBackend() !== 'webgpu')('GpuCounter counts only while started', async () => {
    const c = new GpuCounter();
    const run = async () => {
      const t = tf.tidy(() => tf.add(x, 1));
      await t.data();
      t.dispose();
    };
    await run();
    c.start();
    await run();
    c.stop();
    await run();
    // One Add program, one submit for the readback.
    expect({ dispatches: c.dispatches, submits: c.submits }).toEqual({ dispatches: 1, submits: 1 });
  });
});
