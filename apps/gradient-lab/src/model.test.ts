import { flatten, Optimizer } from '@gradkit/core';
import { GradientMonitor } from '@gradkit/diagnostics';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type LabConfig } from './config.js';
import { buildModel, buildTransform, crossEntropy, kernelInitializer, learningRate, trainStep } from './model.js';

const config = (changes: Partial<LabConfig>): LabConfig => ({ ...DEFAULT_CONFIG, depth: 3, width: 8, ...changes });

async function stats(t: tf.Tensor) {
  const v = await t.data();
  let max = 0;
  let sq = 0;
  for (const x of v) {
    max = Math.max(max, Math.abs(x));
    sq += x * x;
  }
  return { maxAbs: max, std: Math.sqrt(sq / v.length) };
}

describe('kernelInitializer', () => {
  it('naive is U(±1/√fan-in) (Glorot & Bengio 2010, eq. 1); initScale multiplies it', async () => {
    const w = kernelInitializer({ init: 'naive', initScale: 1 }, 400, 3)([400, 300]);
    const s = await stats(w);
    expect(s.maxAbs).toBeLessThanOrEqual(1 / 20 + 1e-7);
    expect(s.maxAbs).toBeGreaterThan(0.049);
    expect(s.std).toBeCloseTo(1 / 20 / Math.sqrt(3), 3); // U(−b, b) has std b/√3
    const w2 = kernelInitializer({ init: 'naive', initScale: 2 }, 400, 3)([400, 300]);
    const doubled = tf.mul(w, 2);
    expect(Array.from(await w2.data())).toEqual(Array.from(await doubled.data()));
    tf.dispose([w, w2, doubled]);
  });

  it('he has std √(2/fan-in); small has std 0.01', async () => {
    const he = kernelInitializer({ init: 'he', initScale: 1 }, 200, 1)([200, 400]);
    expect((await stats(he)).std).toBeCloseTo(Math.sqrt(2 / 200), 2);
    const small = kernelInitializer({ init: 'small', initScale: 1 }, 200, 1)([200, 400]);
    expect((await stats(small)).std).toBeCloseTo(0.01, 3);
    tf.dispose([he, small]);
  });
});

describe('buildModel', () => {
  const shapes = (c: LabConfig) => {
    const m = buildModel(c);
    const out = flatten(m.params).map((e) => `${e.path}:${(e.value as tf.Tensor).shape.join('x')}`);
    m.dispose();
    return out;
  };

  it('plain: depth × [dense → (norm) → activation], then a dense head to 10 logits', () => {
    expect(shapes(config({}))).toEqual(['0.kernel:784x8', '0.bias:8', '2.kernel:8x8', '2.bias:8', '4.kernel:8x8', '4.bias:8', '6.kernel:8x10', '6.bias:10']);
    expect(shapes(config({ norm: 'batch', depth: 2 }))).toEqual([
      '0.kernel:784x8',
      '0.bias:8',
      '1.gamma:8',
      '1.beta:8',
      '3.kernel:8x8',
      '3.bias:8',
      '4.gamma:8',
      '4.beta:8',
      '6.kernel:8x10',
      '6.bias:10',
    ]);
  });

  it('residual: a plain first layer, depth − 1 pre-norm blocks, a final norm and the head', () => {
    expect(shapes(config({ residual: true, norm: 'layer', depth: 2 }))).toEqual([
      '0.kernel:784x8',
      '0.bias:8',
      '1.gamma:8',
      '1.beta:8',
      '3.inner.0.gamma:8',
      '3.inner.0.beta:8',
      '3.inner.1.kernel:8x8',
      '3.inner.1.bias:8',
      '4.gamma:8',
      '4.beta:8',
      '5.kernel:8x10',
      '5.bias:10',
    ]);
  });

  it('maps a batch of images to logits, the same for the same seed', async () => {
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 5);
    const [a, b] = [buildModel(config({ seed: 4 })), buildModel(config({ seed: 4 }))];
    const [ya, yb] = [a.apply(x), b.apply(x)];
    expect(ya.shape).toEqual([3, 10]);
    expect(Array.from(await ya.data())).toEqual(Array.from(await yb.data()));
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });
});

describe('learningRate and buildTransform', () => {
  it('schedules run over the configured steps and peak at --lr', () => {
    expect(learningRate(config({ lr: 0.1 }))).toBe(0.1);
    const cosine = learningRate(config({ lr: 0.1, schedule: 'cosine', steps: 100 })) as (s: number) => number;
    expect(cosine(0)).toBeCloseTo(0.1, 9);
    expect(cosine(100)).toBeCloseTo(0, 9);
    const onecycle = learningRate(config({ lr: 0.5, schedule: 'onecycle', steps: 100 })) as (s: number) => number;
    expect(Math.max(...Array.from({ length: 100 }, (_, s) => onecycle(s)))).toBeCloseTo(0.5, 3);
    const warm = learningRate(config({ lr: 0.2, schedule: 'warmup-cosine', steps: 100 })) as (s: number) => number;
    expect(warm(0)).toBe(0);
    expect(warm(10)).toBeCloseTo(0.2, 9);
  });

  it('momentum is SGD with momentum 0.9; --clip puts clipByGlobalNorm first', () => {
    const sgd = buildTransform(config({}));
    expect(sgd.name).toBe('sgd');
    expect(sgd.options).toMatchObject({ momentum: 0.9, learningRate: DEFAULT_CONFIG.lr });
    const clipped = buildTransform(config({ optimizer: 'adam', lr: 1e-3, clip: 1 }));
    expect(clipped.parts?.map((p) => p.name)).toEqual(['clipByGlobalNorm', 'adam']);
    expect(clipped.parts?.[0]?.options).toEqual({ maxNorm: 1 });
  });
});

describe('trainStep', () => {
  it('returns the loss before the step, steps the optimizer, and only when given a monitor reports with taps', async () => {
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 6);
    const y = tf.oneHot(tf.tensor1d([0, 3, 5, 9], 'int32'), 10);
    const model = buildModel(config({ seed: 2 }));
    const optimizer = new Optimizer(model.params, sgd({ learningRate: 0.1 }));
    const monitor = new GradientMonitor();
    const loss = () => crossEntropy(y, model.apply(x, { training: true }));
    const before = loss();
    const first = flatten(model.params)[0]?.value as tf.Tensor;
    const w0 = Array.from(await first.data());
    const observed = trainStep(loss, model.params, optimizer, monitor, 7);
    expect(await observed.data()).toEqual(await before.data()); // the loss of the parameters the step started from
    expect(Array.from(await first.data())).not.toEqual(w0); // the same variable, stepped
    const plain = trainStep(loss, model.params, optimizer, undefined, 8);
    await monitor.flush();
    expect(monitor.history.map((r) => r.step)).toEqual([7]);
    expect(monitor.history[0]?.activations?.length).toBeGreaterThan(0);
    tf.dispose([x, y, before, observed, plain]);
    optimizer.dispose();
    model.dispose();
  });
});
