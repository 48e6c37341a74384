import { flatten } from '@gradkit/core';
import { currentBackend, expectNoLeaks, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tinyModule } from './doctor-test-support.js';
import { diagnoseModel } from './index.js';
import { normals, seeded } from './test-support.js';

describe('diagnoseModel (gradkit module)', () => {
  smallOutputMatMul();
  it('diagnoses a { module, loss } with its own loss and puts its variables back', async () => {
    const rng = seeded(21);
    const data = { x: tf.tensor2d(normals(rng, 64 * 4), [64, 4]), y: tf.tensor2d(normals(rng, 64 * 2), [64, 2]) };
    const module = tinyModule();
    const mse = (p: tf.Tensor, y: tf.Tensor) => tf.losses.meanSquaredError(y, p) as tf.Scalar;
    const values = () => Promise.all(flatten(module.params).map(async (e) => Array.from(await (e.value as tf.Tensor).data())));
    const before = await values();
    const budget = currentBackend() === 'webgpu' ? 6 : 20;
    const d = await expectNoLeaks(() => diagnoseModel({ module, loss: mse }, { data, budget, learningRate: 0.01 }));
    expect(await values()).toEqual(before);
    expect(d.settings.loss).toEqual({ value: 'mse', source: 'option', why: 'the loss function given with the module' });
    expect(d.settings.optimizer).toEqual({ value: 'adam', learningRate: 0.01, source: 'option' });
    expect(d.verdict).toBe('healthy');
    expect(d.reports.map((r) => r.step)).toEqual(Array.from({ length: budget }, (_, i) => i)); // every = max(1, ⌊budget/20⌋) = 1
    expect(d.finalLoss).toBeLessThan(d.initialLoss);
    tf.dispose([data.x, data.y, module.params.w1, module.params.w2]);
  });
});
