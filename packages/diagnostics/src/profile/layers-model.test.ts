import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { profileStep, type StepProfile } from '../index.js';

const x = tf.randomUniform([32, 16], -1, 1, 'float32', 3);
const y = tf.randomUniform([32, 4], -1, 1, 'float32', 4);

/** A compiled 16-8-4 network (relu, linear; Adam, mean squared error), with weights from `from` if given. */
function network(from?: tfl.LayersModel): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ units: 8, inputShape: [16], activation: 'relu' }), tfl.layers.dense({ units: 4 })],
  });
  m.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
  if (from) m.setWeights(from.getWeights());
  return m;
}

/** Disposes the model and the optimizer it was compiled with (which model.dispose() leaves alone). */
function dispose(...models: tfl.LayersModel[]): void {
  for (const m of models) {
    m.optimizer.dispose();
    m.dispose();
  }
}

const names = (p: StepProfile, phase: string) => new Set(p.kernels.filter((k) => k.phase === phase).map((k) => k.name));

describe('profileStep on a tfjs-layers model', () => {
  afterAll(() => tf.dispose([x, y]));

  it('splits trainOnBatch into forward, backward and update', async () => {
    const model = network();
    const p = await profileStep({ model, x, y }, { steps: 2, warmup: 1, timedSteps: 2 });
    expect(p.target).toBe('model');
    // Dense layers multiply in the forward pass (fused or not) and take two matmuls each for their gradients.
    const forward = names(p, 'forward');
    expect(forward.has('BatchMatMul') || forward.has('_FusedMatMul')).toBe(true);
    expect(names(p, 'backward').has('BatchMatMul')).toBe(true);
    // Adam updates 4 weights: its kernels all run after the gradients.
    expect(p.phases.update.calls).toBeGreaterThanOrEqual(4);
    expect(names(p, 'update').has('BatchMatMul')).toBe(false);
    // Custom ops (tfjs-layers' fused matmul) are listed apart; their kernels are the rows.
    expect(p.kernels.every((k) => !k.name.endsWith('__op'))).toBe(true);
    expect(p.customOps.every((k) => k.name.endsWith('__op'))).toBe(true);
    const sum = p.phases.forward.calls + p.phases.backward.calls + p.phases.update.calls;
    expect(p.kernels.reduce((a, k) => a + k.calls, 0)).toBeCloseTo(sum, 9);
    dispose(model);
  });

  it('trains the model exactly as many trainOnBatch calls, and changes nothing else', async () => {
    const model = network();
    const twin = network(model);
    const { optimizer } = model;
    const methods = [model.trainOnBatch, optimizer.applyGradients, optimizer.minimize];
    await profileStep({ model, x, y }, { steps: 2, warmup: 1, timedSteps: 2 });
    for (let i = 0; i < 5; i++) await twin.trainOnBatch(x, y);
    const [a, b] = [model.getWeights(), twin.getWeights()];
    for (let i = 0; i < a.length; i++) await expectClose(a[i] as tf.Tensor, b[i] as tf.Tensor, { rtol: 1e-5, atol: 1e-6, what: `weight ${i}` });
    expect(model.optimizer).toBe(optimizer);
    expect([model.trainOnBatch, optimizer.applyGradients, optimizer.minimize]).toEqual(methods);
    expect(Object.hasOwn(model, 'trainOnBatch') || Object.hasOwn(optimizer, 'applyGradients')).toBe(false);
    dispose(model, twin);
  });

  it('leaks no tensor', async () => {
    const model = network();
    await model.trainOnBatch(x, y); // Adam's moments are made on its first step
    await expectNoLeaks(() => profileStep({ model, x, y }, { steps: 1, warmup: 1, timedSteps: 1 }), { what: 'profileStep on a layers model' });
    dispose(model);
  });
});
