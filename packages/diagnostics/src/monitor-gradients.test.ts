import { applyUpdates, chain, type GradientTransformation, map, Optimizer, registerFusedKernel, TreeMismatchError, unregisterFusedKernel } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GradientMonitor, type GradientReport, monitorGradients } from './index.js';
import { batch, type MlpParams, mlpLoss, mlpParams } from './test-support.js';

const { x, y } = batch(11, 64, 32, 10);
const spec = { depth: 20, width: 32, inputs: 32, outputs: 10, seed: 5 } as const;
const small = { ...spec, depth: 4, width: 16 } as const;
const variables = (p: MlpParams) => {
  const v = { layers: p.layers.map((l) => ({ kernel: tf.variable(l.kernel), bias: tf.variable(l.bias) })) };
  tf.dispose(p as unknown as tf.TensorContainer);
  return v;
};
const read = async (p: MlpParams) => Promise.all(p.layers.flatMap((l) => [l.kernel.data(), l.bias.data()]));
/** A variable that owns its buffer (the initial tensor is disposed). */
const variable = (t: tf.Tensor) => {
  const v = tf.variable(t);
  t.dispose();
  return v;
};
const disposeAll = (...trees: unknown[]) => tf.dispose(trees as tf.TensorContainer);

describe('monitorGradients', () => {
  it('passes the gradients through bit for bit (functional path)', async () => {
    const tx = monitorGradients({ onReport: () => undefined });
    const grads = { a: tf.tensor2d([[1e-30, -3.5, Number.NaN]]), b: tf.tensor1d([0.1, 7]) };
    const { updates, state } = tx.update(grads, tx.init(grads));
    const u = updates as typeof grads;
    expect(state.count).toBe(1);
    expect(await u.a.data()).toEqual(await grads.a.data());
    expect(await u.b.data()).toEqual(await grads.b.data());
    await tx.flush();
    disposeAll(grads, updates);
  });

  it("shares the gradients' buffers instead of copying them (also on wasm), each tensor released on its own", async () => {
    const tx = monitorGradients({ onReport: () => undefined });
    const grads = {
      a: tf.tensor2d([
        [1, -2],
        [3, 0],
      ]),
      b: tf.tensor1d([0.5]),
    };
    const expected = Float32Array.of(1, -2, 3, 0);
    await expectNoLeaks(async () => {
      const u = tx.update(grads, tx.init(grads)).updates as typeof grads;
      expect(u.a).not.toBe(grads.a);
      expect(u.a.dataId).toBe(grads.a.dataId); // the same buffer: nothing copied
      // Inside a tidy, as the Optimizer runs an observer beside a fused kernel: the dropped updates are released.
      tf.tidy(() => {
        tx.update(grads, { count: 1 });
      });
      disposeAll(u);
      expect(await grads.a.data()).toEqual(expected);
      await tx.flush();
    });
    // The gradients released first: the updates still hold the values.
    const u = tx.update(grads, { count: 2 }).updates as typeof grads;
    disposeAll(grads);
    expect(await u.a.data()).toEqual(expected);
    expect(await u.b.data()).toEqual(Float32Array.of(0.5));
    disposeAll(u);
    await tx.flush();
  });

  it('is differentiable like the identity (under a gradient tape it clones: an alias would cut the tape)', async () => {
    const tx = monitorGradients({ onReport: () => undefined });
    const x = tf.tensor1d([1, -2, 3]);
    const dx = tf.grad((g: tf.Tensor) => tf.sum(tf.mul((tx.update({ g }, { count: 1 }).updates as { g: tf.Tensor }).g, tf.tensor1d([2, 3, 4]))))(x);
    expect(await dx.data()).toEqual(Float32Array.of(2, 3, 4)); // ∂/∂g Σ w·g = w
    await tx.flush();
    tf.dispose([x, dx]);
  });

  it('reports every `every` steps with the parameters, and training is identical to training without it', async () => {
    const reports: GradientReport[] = [];
    const mon = monitorGradients({ every: 3, onReport: (r) => reports.push(r) });
    const watched = variables(mlpParams({ ...small, init: 'he' }));
    const plain = variables(mlpParams({ ...small, init: 'he' }));
    const a = new Optimizer(watched, chain(mon, sgd({ learningRate: 0.05 })), { fused: false });
    const b = new Optimizer(plain, sgd({ learningRate: 0.05 }), { fused: false });
    const loss = mlpLoss('relu', x, y);
    for (let i = 0; i < 7; i++) {
      await a.minimize(loss);
      await b.minimize(loss);
    }
    await mon.flush();
    expect(await read(watched)).toEqual(await read(plain));
    expect(reports.map((r) => r.step)).toEqual([0, 3, 6]);
    expect(mon.monitor.history.map((r) => r.step)).toEqual([0, 3, 6]);
    expect(reports[0]?.layers[0]).toMatchObject({ name: 'layers.0.kernel' });
    expect(reports[0]?.layers[0]?.paramNorm).toBeGreaterThan(0);
    expect(reports.every((r) => r.verdict === 'healthy')).toBe(true);
    a.dispose();
    b.dispose();
    disposeAll(watched, plain);
  });

  it('diagnoses a vanishing network from inside the Optimizer runner, beside the fused kernel', async () => {
    const reports: GradientReport[] = [];
    const mon = monitorGradients({ every: 2, onReport: (r) => reports.push(r) });
    const params = variables(mlpParams({ ...spec, init: 'uniform' }));
    const opt = new Optimizer(params, chain(mon, sgd({ learningRate: 0.1 })));
    for (let i = 0; i < 3; i++) await opt.minimize(mlpLoss('sigmoid', x, y));
    await mon.flush();
    expect(reports.map((r) => [r.step, r.verdict])).toEqual([
      [0, 'vanishing'],
      [2, 'vanishing'],
    ]);
    // an observer at the head of the chain keeps the fused kernel for the rest of it
    expect(opt.lastStepPath).toBe('fused:GradkitSgd');
    opt.dispose();
    disposeAll(params);
  });

  it('continues its reporting schedule after saveState → JSON → loadState', async () => {
    const steps: number[] = [];
    const params = { w: variable(tf.tensor1d([1, 2])) };
    const loss = (p: { w: tf.Tensor }) => tf.sum(tf.square(p.w));
    const before = monitorGradients({ every: 2 });
    const first = new Optimizer(params, chain(before, sgd({ learningRate: 0.1 })));
    for (let i = 0; i < 3; i++) await first.minimize(loss);
    await before.flush();
    const saved = JSON.parse(JSON.stringify(await first.saveState()));
    const mon = monitorGradients({ every: 2, onReport: (r) => steps.push(r.step as number) });
    const second = new Optimizer(params, chain(mon, sgd({ learningRate: 0.1 })));
    second.loadState(saved);
    for (let i = 0; i < 3; i++) await second.minimize(loss);
    await mon.flush();
    expect(steps).toEqual([4]);
    first.dispose();
    second.dispose();
    disposeAll(params);
  });

  it('leaks no tensors over 20 monitored steps once the reports have resolved', async () => {
    const params = { w: variable(tf.randomNormal([8, 8], 0, 1, 'float32', 1)), b: variable(tf.zeros([8])) };
    const loss = (p: typeof params) => tf.mean(tf.square(tf.add(tf.matMul(tf.ones([4, 8]), p.w), p.b)));
    const warm = new Optimizer(params, chain(monitorGradients(), sgd({ learningRate: 1e-3 })));
    await warm.minimize(loss);
    warm.dispose();
    let count = 0;
    await expectNoLeaks(async () => {
      const mon = monitorGradients({ every: 1, onReport: () => count++ });
      for (const fused of [true, false]) {
        const opt = new Optimizer(params, chain(mon, sgd({ learningRate: 1e-3 })), { fused });
        for (let i = 0; i < 10; i++) await opt.minimize(loss);
        opt.dispose();
      }
      await mon.flush();
    });
    expect(count).toBe(20);
    disposeAll(params);
  });

  it('routes a failing onReport to onError and keeps training', async () => {
    const onError = vi.fn();
    const mon = monitorGradients({
      onReport: () => {
        throw new Error('boom');
      },
      onError,
    });
    const params = { w: variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, chain(mon, sgd({ learningRate: 0.1 })));
    await opt.minimize((p) => tf.sum(tf.square(p.w)));
    await opt.minimize((p) => tf.sum(tf.square(p.w)));
    await mon.flush();
    expect(onError).toHaveBeenCalledTimes(2);
    expect(opt.stepCount).toBe(2);
    opt.dispose();
    disposeAll(params);
  });

  it('records into a given GradientMonitor and exposes its thresholds as options', () => {
    const monitor = new GradientMonitor({ vanishingRatio: 1e-5 });
    const mon = monitorGradients({ every: 4, monitor });
    expect(mon.monitor).toBe(monitor);
    expect(mon.options).toMatchObject({ every: 4, vanishingRatio: 1e-5, explodingNorm: 1e3 });
    expect(mon.name).toBe('monitorGradients');
  });

  it('beside a given monitor, takes its own onReport (both are called) and settings left undefined', async () => {
    const seen: string[] = [];
    const monitor = new GradientMonitor({ onReport: (r) => seen.push(`monitor ${r.step}`) });
    const mon = monitorGradients({ monitor, onReport: (r) => seen.push(`own ${r.step}`), historyLimit: undefined, explodingNorm: undefined });
    const g = { w: tf.tensor1d([3, 4]) };
    for (const count of [0, 1]) tf.dispose(mon.update(g, { count }).updates as tf.TensorContainer);
    await mon.flush();
    expect(seen).toEqual(['monitor 0', 'own 0', 'monitor 1', 'own 1']);
    expect(() => monitorGradients({ monitor, commitTimeout: 5 })).toThrow(expect.objectContaining({ field: 'commitTimeout' }));
    disposeAll(g);
  });

  it('bad options get a HyperParameterError naming the field', () => {
    for (const [opts, field] of [
      [{ every: 0 }, 'every'],
      [{ every: 1.5 }, 'every'],
      [{ onReport: 3 }, 'onReport'],
      [{ onError: 'x' }, 'onError'],
      [{ explodingNorm: -1 }, 'explodingNorm'],
      [{ historyLimit: -2 }, 'historyLimit'],
    ] as const)
      expect(() => monitorGradients(opts as never), field).toThrow(expect.objectContaining({ name: 'HyperParameterError', field }));
  });

  it('works on the functional path with applyUpdates', async () => {
    const mon = monitorGradients({ every: 1 });
    const tx = chain(mon, sgd({ learningRate: 0.5 }));
    const p = { w: tf.tensor1d([2, -4]) };
    const g = { w: tf.tensor1d([1, 1]) };
    const next = tf.tidy(() => applyUpdates(p, tx.update(g, tx.init(p), p).updates) as tf.TensorContainer);
    expect(Array.from(await (next as { w: tf.Tensor }).w.data())).toEqual([1.5, -4.5]);
    disposeAll(p, g, next);
    await mon.flush();
    expect(mon.monitor.history).toHaveLength(1);
  });

  afterAll(() => disposeAll(x, y));
});

/** A transformation that adds nothing, and throws at its `failAt`-th step (counted from 0) on the reference path. */
function failingAt(failAt: number, name = 'failingAt'): GradientTransformation<{ count: number }> {
  return {
    name,
    options: {},
    hyperParams: () => ({}),
    init: () => ({ count: 0 }),
    update(grads, state) {
      if (state.count === failAt) throw new Error(`${name}: step ${failAt} fails`);
      return { updates: map(grads, (g) => tf.zerosLike(g)), state: { count: state.count + 1 } };
    },
  };
}

describe('monitorGradients: only steps that took effect are reported', () => {
  const loss = (p: { w: tf.Tensor }) => tf.sum(tf.square(p.w));

  it('waits for UpdateExtras.committed: false discards the report, true (or absent) records it', async () => {
    const delivered: number[] = [];
    const mon = monitorGradients({ onReport: (r) => delivered.push(r.step as number) });
    const g = { w: tf.tensor1d([3, 4]) };
    const run = (count: number, committed?: Promise<boolean>) =>
      tf.dispose(mon.update(g, { count }, undefined, committed === undefined ? {} : { committed }).updates as tf.TensorContainer);
    run(0, Promise.resolve(true));
    run(1, Promise.resolve(false));
    run(1); // the retry of step 1, on a direct functional call: committed
    run(2, Promise.reject(new Error('the step failed'))); // a rejected promise counts as not committed
    await mon.flush();
    expect(delivered).toEqual([0, 1]);
    expect(mon.monitor.history.map((r) => [r.step, r.globalNorm])).toEqual([
      [0, 5],
      [1, 5],
    ]);
    disposeAll(g);
  });

  it('a chain whose last part throws at a step: that step is never recorded or delivered, and the retry is', async () => {
    const delivered: number[] = [];
    const mon = monitorGradients({ onReport: (r) => delivered.push(r.step as number) });
    const params = { w: variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, chain(mon, sgd({ learningRate: 0.1 }), failingAt(2)));
    for (let i = 0; i < 2; i++) await opt.minimize(loss);
    await expect(opt.minimize(loss)).rejects.toThrow(/step 2 fails/);
    await mon.flush();
    expect(delivered).toEqual([0, 1]);
    expect(mon.monitor.history.map((r) => r.step)).toEqual([0, 1]);
    expect(opt.stepCount).toBe(2);
    opt.dispose();
    disposeAll(params);
  });

  it('a fused kernel that throws at a step: the observer ran beside it, but its report is discarded', async () => {
    const backendName = tf.getBackend();
    registerFusedKernel({
      kernelName: 'GradkitTestFailingStep',
      backendName,
      pattern: ['failingFused'],
      atomic: true,
      kernelFunc: ({ step }) => {
        if (step === 1) throw new TreeMismatchError('w', 'the fused kernel fails at step 1');
      },
    });
    try {
      const delivered: number[] = [];
      const mon = monitorGradients({ onReport: (r) => delivered.push(r.step as number) });
      const params = { w: variable(tf.tensor1d([1, 2])) };
      const opt = new Optimizer(params, chain(mon, failingAt(-1, 'failingFused')));
      await opt.minimize(loss);
      expect(opt.lastStepPath).toBe('fused:GradkitTestFailingStep');
      await expect(opt.minimize(loss)).rejects.toThrow(/fails at step 1/);
      await mon.flush();
      expect(delivered).toEqual([0]);
      expect(mon.monitor.history.map((r) => r.step)).toEqual([0]);
      opt.dispose();
      disposeAll(params);
    } finally {
      unregisterFusedKernel('GradkitTestFailingStep', backendName);
    }
  });
});

describe('monitorGradients sees the chain it sits in (UpdateExtras.transform)', () => {
  it('through an Optimizer: exploding gradients before a clip are not told to clip', async () => {
    const clip: GradientTransformation = { name: 'clipByGlobalNorm', options: {}, init: () => ({}), update: (g, s) => ({ updates: g, state: s }) };
    const reports: GradientReport[] = [];
    const params = { a: tf.variable(tf.zeros([4, 4])), b: tf.variable(tf.zeros([4, 4])) };
    const mon = monitorGradients({ onReport: (r) => reports.push(r) });
    const opt = new Optimizer(params, chain(mon, clip, sgd({ learningRate: 1e-9 })));
    const grads = { a: tf.fill([4, 4], 1e4), b: tf.fill([4, 4], 1) };
    opt.step(grads);
    await mon.flush();
    expect(reports[0]?.verdict).toBe('exploding');
    expect(reports[0]?.findings.flatMap((f) => f.toTry).join('\n')).not.toMatch(/clip/);
    // the same gradients without a clip in the chain are told to clip
    const bare = monitorGradients({ onReport: (r) => reports.push(r) });
    const opt2 = new Optimizer(params, chain(bare, sgd({ learningRate: 1e-9 })));
    opt2.step(grads);
    await bare.flush();
    expect(reports[1]?.findings[0]?.toTry[0]).toMatch(/^clip the gradients/);
    for (const o of [opt, opt2]) o.dispose();
    tf.dispose([params.a, params.b, grads.a, grads.b]);
  });
});
