import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, flatten, Optimizer, valueAndGrad } from '@gradkit/core';
import { adamw } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkpoint, configs, groups, inspect, makeModel, plateau, stepsOfAFit } from './training-setups.js';

const SLOW = 120_000;
const x = () =>
  tf.tensor2d([
    [1, -2, 0.5, 3],
    [0.2, 0.1, -1, 2],
    [-1, 1, 1, -1],
  ]);
const target = () =>
  tf.tensor2d([
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
const lossOf = (xs: tf.Tensor, ys: tf.Tensor) => (m: ReturnType<typeof makeModel>) => tf.mean(tf.square(tf.sub(m.apply(xs), ys))) as tf.Scalar;

describe('guide: parameter groups, checkpoints and configs', () => {
  it('partition: kernels decay, biases and gains do not, the head has its own rate', () => {
    const model = makeModel(1);
    const tx = groups();
    const labels = tx.groups?.labels(model.params);
    expect(labels).toEqual({ '0.kernel': 'decay', '0.bias': 'noDecay', '1.gamma': 'noDecay', '1.beta': 'noDecay', '3.kernel': 'head', '3.bias': 'head' });
    const opt = new Optimizer(model.params, tx);
    expect(opt.hyperParams()['partition/head/adamw']?.learningRate).toBe(1e-4);
    opt.dispose();
    model.dispose();
  });

  it('metrics: the norm the clip measured (‖g‖ checked by hand) and the rates', async () => {
    const model = makeModel(1);
    const [xs, ys] = [x(), target()];
    const loss = lossOf(xs, ys);
    // the global norm of the first step's gradients, computed independently: √(Σ g²) over every parameter
    const { value, grads } = valueAndGrad(() => loss(model))(model.params);
    let sumSq = 0;
    for (const { value: g } of flatten(grads)) for (const v of await g.data()) sumSq += v * v;
    const norm = Math.sqrt(sumSq);
    tf.dispose([value, ...flatten(grads).map((e) => e.value)]);
    const { metrics, rates } = await inspect(model, loss);
    expect(metrics['clipByGlobalNorm.norm']).toBeCloseTo(norm, 4);
    expect(metrics['clipByGlobalNorm.clipped']).toBe(norm < 1 ? 0 : 1);
    expect(rates).toMatchObject({ clipByGlobalNorm: { maxNorm: 1 }, adamw: { learningRate: 0.001 } });
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it(
    'plateau: the rate halves after the validation loss stops improving for more than 2 reports',
    async () => {
      const model = makeModel(1);
      const [xs, ys] = [x(), target()];
      const valLosses = [1, 0.9, 0.95, 0.96, 0.97, 0.98];
      let epoch = 0;
      const opt = await plateau(
        model,
        (o) => o.minimize(() => lossOf(xs, ys)(model)).then(() => undefined),
        async () => valLosses[epoch++] as number,
        valLosses.length,
      );
      // PyTorch's ReduceLROnPlateau(patience=2, factor=0.5) on 1, 0.9, 0.95, 0.96, 0.97, 0.98: the third
      // report without improvement (0.97) halves the rate; the last one (0.98) is the first of a new count.
      // The last report is applied by the next step: take one, and read the scale the plateau holds.
      await opt.minimize(() => lossOf(xs, ys)(model));
      expect((await opt.metrics())['reduceOnPlateau.scale']).toBe(0.5);
      opt.dispose();
      tf.dispose([xs, ys]);
      model.dispose();
    },
    SLOW,
  );

  it(
    'checkpoint: the restored model and optimizer continue bit-identically',
    async () => {
      const [xs, ys] = [x(), target()];
      const loss = lossOf(xs, ys);
      const trained = makeModel(7);
      const trainedOpt = new Optimizer(trained.params, chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 })));
      for (let i = 0; i < 3; i++) await trainedOpt.minimize(() => loss(trained));
      const dir = join(mkdtempSync(join(tmpdir(), 'gradkit-guide-')), 'ckpt');
      const { restored, restoredOpt, metadata } = await checkpoint(trained, trainedOpt, dir);
      expect(metadata).toEqual({ epoch: 3 });
      for (let i = 0; i < 2; i++) {
        await trainedOpt.minimize(() => loss(trained));
        await restoredOpt.minimize(() => loss(restored));
      }
      const a = trained.eval().apply(xs);
      const b = restored.eval().apply(xs);
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([xs, ys, a, b]);
      for (const o of [trainedOpt, restoredOpt]) o.dispose();
      for (const m of [trained, restored]) m.dispose();
    },
    SLOW,
  );

  it('config: JSON in, the same JSON out; fitSteps as tfjs-layers counts', async () => {
    const { tx, json } = configs();
    expect(JSON.parse(json)).toEqual({
      chain: [
        { name: 'clipByGlobalNorm', maxNorm: 1 },
        {
          name: 'adamw',
          learningRate: { schedule: 'warmupCosineDecay', initial: 0, peak: 1e-3, warmupSteps: 100, decaySteps: 1000, final: 0 },
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-8,
          amsgrad: false,
          weightDecay: 0.05,
        },
      ],
    });
    expect(tx.parts?.map((p) => p.name)).toEqual(['clipByGlobalNorm', 'adamw']);
    expect(stepsOfAFit()).toBe(10 * Math.ceil(900 / 32));
    await expectNoLeaks(() => configs());
  });
});
