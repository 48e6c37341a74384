import { flatten, type GradientTransformation, HyperParameterError, Optimizer, UnknownOptionError } from '@gradkit/core';
import { GradientMonitor } from '@gradkit/diagnostics';
import { sgd } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
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

  it('--guard wraps the whole chain in applyIfFinite', () => {
    const guarded = buildTransform(config({ clip: 1, guard: true }));
    expect(guarded.name).toBe('applyIfFinite');
    expect(guarded.inner?.parts?.map((p) => p.name)).toEqual(['clipByGlobalNorm', 'sgd']);
  });
});

describe('configurations are checked before anything is built', () => {
  it('an unknown key is an UnknownOptionError suggesting the closest; a bad value names its key', () => {
    const typo = (() => {
      try {
        buildModel({ ...config({}), initscale: 2 } as never);
      } catch (e) {
        return e;
      }
    })();
    expect(typo).toBeInstanceOf(UnknownOptionError);
    expect((typo as UnknownOptionError).suggestion).toBe('initScale');
    for (const [change, key] of [
      [{ depth: 0 }, 'depth'],
      [{ width: 2.5 }, 'width'],
      [{ activation: 'swish' }, 'activation'],
      [{ lr: -1 }, 'lr'],
      [{ initScale: Number.NaN }, 'initScale'],
      [{ clip: -1 }, 'clip'],
      [{ residual: 'yes' }, 'residual'],
      [{ guard: 1 }, 'guard'],
      [{ corruptEvery: 0.5 }, 'corruptEvery'],
      [{ optimizer: 'adamm' }, 'optimizer'],
    ] as const) {
      expect(() => buildTransform(config(change as never)), key).toThrow(HyperParameterError);
      expect(() => buildTransform(config(change as never)), key).toThrow(new RegExp(`buildTransform: ${key} must be`));
    }
  });
});

describe('trainStep', () => {
  /** A 4-sample batch, a model of `changes`, its optimizer (`transform`, or the configuration's) and a monitor; `done` disposes them. */
  function setup(changes: Partial<LabConfig>, transform?: GradientTransformation) {
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 6);
    const y = tf.oneHot(tf.tensor1d([0, 3, 5, 9], 'int32'), 10);
    const c = config({ seed: 2, ...changes });
    const model = buildModel(c);
    const optimizer = new Optimizer(model.params, transform ?? buildTransform(c));
    const monitor = new GradientMonitor();
    const loss = () => crossEntropy(y, model.apply(x, { training: true }));
    const done = () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    };
    return { model, optimizer, monitor, loss, done };
  }

  it('returns the loss before the step, steps the optimizer, and only when given a monitor reports with taps', async () => {
    const { model, optimizer, monitor, loss, done } = setup({}, sgd({ learningRate: 0.1 }));
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
    // the step's updates are observed: plain SGD adds −lr·g, so ‖u‖ = 0.1·‖g‖ for every layer, and ‖u‖/‖θ‖ = 0.1·‖g‖/‖θ‖
    const layers = monitor.history[0]?.layers ?? [];
    expect(layers.length).toBe(flatten(model.params).length);
    for (const l of layers) {
      expect(l.updateNorm).toBeCloseTo(0.1 * l.gradNorm, 6);
      if (l.gradToParam !== undefined) expect(l.updateRatio).toBeCloseTo(0.1 * l.gradToParam, 5);
    }
    tf.dispose([before, observed, plain]);
    done();
  });

  it('leaks nothing with a monitor once its reports are in (taps, the kept parameters and the updates are released)', async () => {
    const { model, optimizer, monitor, loss, done } = setup({ activation: 'relu', init: 'he' });
    tf.dispose(trainStep(loss, model.params, optimizer, monitor, 0)); // warm-up: optimizer state, kernels
    await monitor.flush();
    await expectNoLeaks(async () => {
      for (let step = 1; step < 4; step++) tf.dispose(trainStep(loss, model.params, optimizer, monitor, step));
      await monitor.flush();
    });
    expect(monitor.history.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(monitor.history.every((r) => r.layers.filter((l) => l.isWeight).every((l) => (l.updateRatio as number) > 0))).toBe(true);
    done();
  });

  it('a step that throws is not recorded by the monitor, and leaks nothing', async () => {
    const failing = {
      name: 'failing',
      options: {},
      init: () => ({}),
      update: () => {
        throw new Error('this step fails');
      },
    };
    const { model, optimizer, monitor, loss, done } = setup({}, failing);
    const before = tf.memory().numTensors;
    expect(() => trainStep(loss, model.params, optimizer, monitor, 0)).toThrow(/this step fails/);
    await monitor.flush();
    expect(monitor.history).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    done();
  });

  it('the monitor knows the chain: an exploding report of a clipped run does not say to clip', async () => {
    const { model, optimizer, monitor, loss, done } = setup({ activation: 'relu', init: 'he', initScale: 2, depth: 10, width: 16, clip: 1 });
    const value = trainStep(loss, model.params, optimizer, monitor, 0);
    await monitor.flush();
    const [report] = monitor.history;
    expect(report?.verdict).toBe('exploding');
    const remedies = report?.findings.flatMap((f) => f.toTry).join('\n');
    expect(remedies).toMatch(/variance-preserving initialization/);
    expect(remedies).not.toMatch(/clip/);
    value.dispose();
    done();
  });
});
