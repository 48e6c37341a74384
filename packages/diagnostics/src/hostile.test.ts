// The hostile user: careless or malicious inputs to every public function of @gradkit/diagnostics.
// Each must get a typed GradkitError naming the option, field or tree path, before anything changed.
import { chain, Optimizer } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import { type HostileCase, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe } from 'vitest';
import {
  formatProfile,
  formatText,
  fromJSON,
  GradientMonitor,
  type GradientReport,
  gradCheck,
  inspectGradients,
  monitorGradients,
  type ProfileTarget,
  profileStep,
  reportTrends,
  toHTML,
  toJSON,
} from './index.js';
import { SAMPLE_PROFILE } from './profile/sample-profile.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

const g = { w: tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]), b: tf.tensor1d([0.1, -0.1]) };
const p = { w: tf.tensor2d([1, 2, 3, 4], [2, 2]), b: tf.tensor1d([0, 1]) };
const h = tf.tensor2d([0, 1, 0, 2], [2, 2]);
const disposed = tf.tensor1d([1]);
disposed.dispose();
const other = {
  w32: tf.zeros([3, 2]),
  wInt: tf.zeros([2, 2], 'int32'),
  str: tf.tensor(['a']),
  bool: tf.tensor([true]),
  v3: tf.zeros([3]),
  xInt: tf.tensor1d([1, 2], 'int32'),
};
/** Disposed after the suite (a case's watched tensors are compared after it returns). */
const later: { dispose(): void }[] = [];
/** A variable that owns its buffer, disposed after the suite. */
const variable = () => {
  const t = tf.ones([2]);
  const v = tf.variable(t);
  t.dispose();
  later.push(v);
  return v;
};
const report: GradientReport = {
  format: 'gradkit-gradient-report',
  version: 1,
  verdict: 'healthy',
  globalNorm: 1,
  layers: [{ name: 'w', shape: [2, 2], size: 4, isWeight: true, gradNorm: 1, gradMean: 0, gradStd: 0.5, gradMaxAbs: 1, gradZeroFraction: 0, nonFinite: 0 }],
  activations: [],
  findings: [],
  thresholds: DEFAULT_THRESHOLDS,
  backend: 'cpu',
};
const square = (x: { x: tf.Tensor }) => tf.sum(tf.square(x.x));
const bad = <T>(x: unknown) => x as T;

// profileStep: a gradkit optimizer, tfjs-layers models (compiled or not) and a batch for them.
const profiled = () => {
  const w = variable();
  const opt = new Optimizer({ w }, sgd({ learningRate: 0.1 }));
  later.push(opt);
  return { w, opt };
};
const wLoss = (q: { w: tf.Tensor }) => tf.sum(tf.square(q.w));
const batch = { x: tf.zeros([4, 2]), y: tf.zeros([4, 1]), x3: tf.zeros([4, 3]), y3: tf.zeros([3, 1]) };
const layersModel = (compiled: boolean) => {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
  if (compiled) m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  later.push(m);
  return m;
};
/** profileStep on a fresh model (compiled or not) with this batch; the model's weights must not change. */
const modelCase = (input: string, names: string, compiled: boolean, x: tf.Tensor, y: tf.Tensor): HostileCase => ({
  input,
  names,
  run: async (ctx) => {
    const m = layersModel(compiled);
    await ctx.watch(...m.getWeights());
    await profileStep({ model: m, x, y });
  },
});
type EngineBackend = { backendName: string | null; backendInstance: unknown; state: { profiling: boolean } };

describe('diagnostics, hostile inputs', () => {
  afterAll(() => {
    for (const x of later.reverse()) x.dispose();
    tf.dispose([g, p, h, other, batch] as unknown as tf.TensorContainer);
  });

  hostileCases([
    // inspectGradients: options
    { input: 'inspectGradients(grads, { vanishingRation: 1e-4 })', names: 'vanishingRation', run: () => inspectGradients(g, bad({ vanishingRation: 1e-4 })) },
    { input: 'inspectGradients(grads, { thresholds: { explodingNorm: 10 } })', names: 'thresholds', run: () => inspectGradients(g, bad({ thresholds: {} })) },
    { input: 'inspectGradients(grads, { lr: 0.1 })', names: 'lr', run: () => inspectGradients(g, bad({ lr: 0.1 })) },
    { input: "inspectGradients(grads, { explodingNorm: '100' })", names: 'explodingNorm', run: () => inspectGradients(g, bad({ explodingNorm: '100' })) },
    { input: 'inspectGradients(grads, { explodingNorm: null })', names: 'explodingNorm', run: () => inspectGradients(g, bad({ explodingNorm: null })) },
    {
      input: 'inspectGradients(grads, { explodingNorm: Infinity })',
      names: 'explodingNorm',
      run: () => inspectGradients(g, { explodingNorm: Number.POSITIVE_INFINITY }),
    },
    { input: 'inspectGradients(grads, { vanishingNorm: NaN })', names: 'vanishingNorm', run: () => inspectGradients(g, { vanishingNorm: Number.NaN }) },
    { input: 'inspectGradients(grads, { deadUnitFraction: 1.5 })', names: 'deadUnitFraction', run: () => inspectGradients(g, { deadUnitFraction: 1.5 }) },
    { input: 'inspectGradients(grads, { trendReports: 2.5 })', names: 'trendReports', run: () => inspectGradients(g, { trendReports: 2.5 }) },
    { input: 'inspectGradients(grads, null)', names: 'options', run: () => inspectGradients(g, bad(null)) },
    { input: 'inspectGradients(grads, { step: 2.5 })', names: 'step', run: () => inspectGradients(g, { step: 2.5 }) },
    { input: "inspectGradients(grads, { step: '3' })", names: 'step', run: () => inspectGradients(g, bad({ step: '3' })) },
    { input: 'inspectGradients(grads, { transform: adam })', names: 'transform', run: () => inspectGradients(g, bad({ transform: adam })) },
    // inspectGradients: trees and tensors
    { input: 'inspectGradients(null)', names: 'grads', run: () => inspectGradients(bad(null)) },
    { input: 'inspectGradients(new Map())', names: 'grads', run: () => inspectGradients(bad(new Map())) },
    { input: 'inspectGradients({ w: 3 })', names: 'w', run: () => inspectGradients(bad({ w: 3 })) },
    { input: 'inspectGradients({ w: [1, 2] })', names: 'w.0', run: () => inspectGradients(bad({ w: [1, 2] })) },
    { input: 'inspectGradients({ w: disposedTensor })', names: 'w', run: () => inspectGradients({ w: disposed }) },
    { input: "inspectGradients({ w: tf.tensor(['a']) })", names: 'w', run: () => inspectGradients({ w: other.str }) },
    { input: 'inspectGradients({ w: tf.tensor([true]) })', names: 'w', run: () => inspectGradients({ w: other.bool }) },
    { input: 'inspectGradients(cyclic tree)', names: 'a.self', run: () => inspectGradients(bad(cyclic())) },
    { input: 'inspectGradients({ __proto__ key })', names: '__proto__', run: () => inspectGradients(bad(JSON.parse('{"__proto__": 1, "w": 2}'))) },
    {
      input: 'inspectGradients(grads, { params: { w2: p } }) (another structure)',
      names: 'w2',
      run: () => inspectGradients(g, bad({ params: { w2: p.w, b: p.b } })),
    },
    { input: 'inspectGradients(grads, { params: null })', names: 'params', run: () => inspectGradients(g, bad({ params: null })) },
    { input: 'inspectGradients(grads, { params: { w: [3, 2] tensor } })', names: 'w', run: () => inspectGradients(g, { params: { w: other.w32, b: p.b } }) },
    { input: 'inspectGradients(grads, { params: { w: int32 } })', names: 'w', run: () => inspectGradients(g, { params: { w: other.wInt, b: p.b } }) },
    { input: "inspectGradients(grads, { updates: { w: 'u', b } })", names: 'w', run: () => inspectGradients(g, bad({ updates: { w: 'u', b: p.b } })) },
    { input: 'inspectGradients(grads, { updates: { w } }) (b missing)', names: 'b', run: () => inspectGradients(g, bad({ updates: { w: p.w } })) },
    // inspectGradients: activations and their kinds
    { input: 'inspectGradients(grads, { activations: tensor })', names: 'activations', run: () => inspectGradients(g, bad({ activations: h })) },
    { input: 'inspectGradients(grads, { activations: [h] })', names: 'activations', run: () => inspectGradients(g, bad({ activations: [h] })) },
    { input: 'inspectGradients(grads, { activations: { h: null } })', names: 'h', run: () => inspectGradients(g, bad({ activations: { h: null } })) },
    {
      input: 'inspectGradients(grads, { activations: { h: { activation, gradient } } })',
      names: 'gradient',
      run: () => inspectGradients(g, bad({ activations: { h: { activation: h, gradient: h } } })),
    },
    {
      input: 'inspectGradients(grads, { activations: { h: { activation, grad: other shape } } })',
      names: 'h',
      run: () => inspectGradients(g, { activations: { h: { activation: h, grad: other.v3 } } }),
    },
    {
      input: 'inspectGradients(grads, { activations: { h: { grad } } })',
      names: 'h',
      run: () => inspectGradients(g, bad({ activations: { h: { grad: h } } })),
    },
    { input: 'inspectGradients(grads, { activationKinds: 42 })', names: 'activationKinds', run: () => inspectGradients(g, bad({ activationKinds: 42 })) },
    {
      input: "inspectGradients(grads, { activationKinds: 'softmax' })",
      names: 'activationKinds',
      run: () => inspectGradients(g, bad({ activationKinds: 'softmax' })),
    },
    {
      input: "inspectGradients(grads, { activations: { relu1 }, activationKinds: { rellu1: 'relu' } })",
      names: 'rellu1',
      run: () => inspectGradients(g, { activations: { relu1: h }, activationKinds: { rellu1: 'relu' } }),
    },
    // GradientMonitor
    { input: 'new GradientMonitor({ historyLimt: 10 })', names: 'historyLimt', run: () => new GradientMonitor(bad({ historyLimt: 10 })) },
    { input: 'new GradientMonitor({ historyLimit: 0 })', names: 'historyLimit', run: () => new GradientMonitor({ historyLimit: 0 }) },
    { input: "new GradientMonitor({ historyLimit: '5' })", names: 'historyLimit', run: () => new GradientMonitor(bad({ historyLimit: '5' })) },
    { input: "new GradientMonitor({ onReport: 'log' })", names: 'onReport', run: () => new GradientMonitor(bad({ onReport: 'log' })) },
    {
      input: "new GradientMonitor({ activationKinds: { a: 'gelu' } })",
      names: 'activationKinds',
      run: () => new GradientMonitor(bad({ activationKinds: { a: 'gelu' } })),
    },
    { input: 'new GradientMonitor({ trendFactor: 1 })', names: 'trendFactor', run: () => new GradientMonitor({ trendFactor: 1 }) },
    { input: 'monitor.observe({ grads, tap: taps })', names: 'tap', run: () => new GradientMonitor().observe(bad({ grads: g, tap: { h } })) },
    {
      input: 'monitor.observe({ grads, taps, activations })',
      names: 'taps',
      run: () => new GradientMonitor().observe({ grads: g, taps: { h }, activations: { h } }),
    },
    { input: 'monitor.observe({ grads, committed: true })', names: 'committed', run: () => new GradientMonitor().observe(bad({ grads: g, committed: true })) },
    { input: 'monitor.observe({ grads, step: null })', names: 'step', run: () => new GradientMonitor().observe(bad({ grads: g, step: null })) },
    {
      input: 'monitor.observe({ grads, committed }) (no step: a retry would get another number)',
      names: 'step',
      run: () => new GradientMonitor().observe({ grads: g, committed: Promise.resolve(true) }),
    },
    ...([0, -5, 1.5, 2 ** 31, Number.NaN, '1000', null] as const).map((commitTimeout) => ({
      input: `new GradientMonitor({ commitTimeout: ${typeof commitTimeout === 'string' ? `'${commitTimeout}'` : String(commitTimeout)} })`,
      names: 'commitTimeout',
      run: () => new GradientMonitor(bad({ commitTimeout })),
    })),
    {
      input: "new GradientMonitor({ activationKinds: { h: 'relu', hh: 'tanh' } }).observe({ grads, taps: { h, h2 } }) (hh for h2)",
      names: 'hh',
      run: () => new GradientMonitor({ activationKinds: { h: 'relu', hh: 'tanh' } }).observe({ grads: g, taps: { h, h2: h } }),
    },
    { input: 'monitor.observe(null)', names: 'options', run: () => new GradientMonitor().observe(bad(null)) },
    { input: 'monitor.observe({ params })', names: 'grads', run: () => new GradientMonitor().observe(bad({ params: p })) },
    { input: 'monitor.observe({ grads: { w }, params: { w, b } })', names: 'b', run: () => new GradientMonitor().observe({ grads: { w: g.w }, params: p }) },
    // monitorGradients
    { input: 'monitorGradients({ every: 0 })', names: 'every', run: () => monitorGradients({ every: 0 }) },
    { input: 'monitorGradients({ every: Infinity })', names: 'every', run: () => monitorGradients({ every: Number.POSITIVE_INFINITY }) },
    { input: 'monitorGradients({ evry: 10 })', names: 'evry', run: () => monitorGradients(bad({ evry: 10 })) },
    { input: 'monitorGradients({ onReport: console })', names: 'onReport', run: () => monitorGradients(bad({ onReport: console })) },
    { input: "monitorGradients({ onError: 'ignore' })", names: 'onError', run: () => monitorGradients(bad({ onError: 'ignore' })) },
    { input: 'monitorGradients({ monitor: {} })', names: 'monitor', run: () => monitorGradients(bad({ monitor: {} })) },
    {
      input: 'monitorGradients({ monitor, commitTimeout: 100 }) (a setting the given monitor would ignore)',
      names: 'commitTimeout',
      run: () => monitorGradients({ monitor: new GradientMonitor(), commitTimeout: 100 }),
    },
    {
      input: 'monitorGradients({ monitor, explodingNorm: 10 }) (a setting the given monitor would ignore)',
      names: 'explodingNorm',
      run: () => monitorGradients({ monitor: new GradientMonitor(), explodingNorm: 10 }),
    },
    { input: 'monitorGradients().update(grads, {})', names: 'count', run: () => monitorGradients().update(g, bad({})) },
    { input: "monitorGradients().update({ w: 'x' }, state)", names: 'w', run: () => monitorGradients({ every: 2 }).update(bad({ w: 'x' }), { count: 1 }) },
    {
      input: 'new Optimizer(params, chain(monitorGradients({ every: -1 }), sgd(…)))',
      names: 'every',
      run: async (ctx) => {
        const w = variable();
        await ctx.watch(w);
        new Optimizer({ w }, chain(monitorGradients({ every: -1 }), sgd({ learningRate: 0.1 })));
      },
    },
    {
      input: 'opt.step({ w: grads of another shape }) with a monitor first in the chain',
      names: 'w',
      run: async (ctx) => {
        const w = variable();
        const opt = new Optimizer({ w }, chain(monitorGradients(), sgd({ learningRate: 0.1 })));
        later.push(opt);
        await ctx.watch(w, opt);
        opt.step({ w: other.v3 });
      },
    },
    // gradCheck
    { input: "gradCheck('f', x)", names: 'f', run: () => gradCheck(bad<typeof square>('f'), { x: p.b }) },
    { input: 'gradCheck(f, x, { epsilon: 1e-3 })', names: 'epsilon', run: () => gradCheck(square, { x: p.b }, bad({ epsilon: 1e-3 })) },
    { input: 'gradCheck(f, x, { eps: 0 })', names: 'eps', run: () => gradCheck(square, { x: p.b }, { eps: 0 }) },
    { input: "gradCheck(f, x, { eps: '1e-3' })", names: 'eps', run: () => gradCheck(square, { x: p.b }, bad({ eps: '1e-3' })) },
    { input: 'gradCheck(f, x, { rtol: -1 })', names: 'rtol', run: () => gradCheck(square, { x: p.b }, { rtol: -1 }) },
    {
      input: 'gradCheck(f, x, { maxElementsPerLeaf: 2.5 })',
      names: 'maxElementsPerLeaf',
      run: () => gradCheck(square, { x: p.b }, { maxElementsPerLeaf: 2.5 }),
    },
    { input: 'gradCheck(f, null)', names: 'x', run: () => gradCheck(square, bad(null)) },
    { input: 'gradCheck(f, { x: int32 })', names: 'x', run: () => gradCheck(square, { x: other.xInt }) },
    { input: 'gradCheck(f, { x: disposed })', names: 'x', run: () => gradCheck(square, { x: disposed }) },
    {
      input: 'gradCheck(x => 3 (a number), x)',
      names: 'loss',
      run: () =>
        gradCheck(
          bad<typeof square>(() => 3),
          { x: p.b },
        ),
    },
    { input: 'gradCheck(x => x.x (a vector), x)', names: 'loss', run: () => gradCheck((x: { x: tf.Tensor }) => tf.mul(x.x, 2), { x: p.b }) },
    // profileStep: the target
    { input: 'profileStep(null)', names: 'target', run: () => profileStep(bad<ProfileTarget>(null)) },
    { input: 'profileStep(opt) (the optimizer, not { optimizer, loss })', names: 'target', run: () => profileStep(bad<ProfileTarget>(profiled().opt)) },
    { input: 'profileStep(model) (the model, not { model, x, y })', names: 'target', run: () => profileStep(bad<ProfileTarget>(layersModel(true))) },
    {
      input: 'profileStep({ optimizer, loss, lr: 0.1 })',
      names: 'lr',
      run: () => profileStep(bad<ProfileTarget>({ optimizer: profiled().opt, loss: wLoss, lr: 0.1 })),
    },
    { input: 'profileStep({ optimiser, loss })', names: 'optimiser', run: () => profileStep(bad<ProfileTarget>({ optimiser: profiled().opt, loss: wLoss })) },
    {
      input: 'profileStep({ optimizer, loss, params }) (params belong to a loss target)',
      names: 'params',
      run: () => {
        const { w, opt } = profiled();
        return profileStep(bad<ProfileTarget>({ optimizer: opt, loss: wLoss, params: [w] }));
      },
    },
    {
      input: "profileStep({ model, x, y, loss: 'mse' }) (the compiled loss is the model's)",
      names: 'loss',
      run: () => profileStep(bad<ProfileTarget>({ model: layersModel(true), x: batch.x, y: batch.y, loss: 'mse' })),
    },
    {
      input: 'profileStep({ optimizer: tf.train.adam(), loss })',
      names: 'optimizer',
      run: () => profileStep(bad<ProfileTarget>({ optimizer: tf.train.adam(), loss: wLoss })),
    },
    { input: "profileStep({ optimizer, loss: 'mse' })", names: 'loss', run: () => profileStep(bad<ProfileTarget>({ optimizer: profiled().opt, loss: 'mse' })) },
    { input: 'profileStep({ optimizer }) (no loss)', names: 'loss', run: () => profileStep(bad<ProfileTarget>({ optimizer: profiled().opt })) },
    ...(
      [
        ['(p) => p.w (a vector)', (q: { w: tf.Tensor }) => tf.mul(q.w, 1)],
        ['() => 3 (a number)', () => 3],
        ['(p) => tf.scalar(1) (not from the parameters)', () => tf.scalar(1)],
      ] as const
    ).map(([what, loss]) => ({
      input: `profileStep({ optimizer, loss: ${what} })`,
      names: 'loss',
      run: async (ctx: { watch(...t: (tf.Tensor | Optimizer)[]): Promise<void> }) => {
        const { opt } = profiled();
        await ctx.watch(opt);
        await profileStep({ optimizer: opt, loss: bad<typeof wLoss>(loss) }, { warmup: 1, steps: 1, timedSteps: 1 });
      },
    })),
    {
      input: 'profileStep({ loss, params: w }) (not an array)',
      names: 'params',
      run: () => profileStep(bad<ProfileTarget>({ loss: () => tf.sum(batch.x), params: variable() })),
    },
    {
      input: 'profileStep({ loss, params: [tensor] })',
      names: 'params.0',
      run: () => profileStep(bad<ProfileTarget>({ loss: () => tf.sum(batch.x), params: [batch.x] })),
    },
    { input: 'profileStep({ loss, params: [] })', names: 'params', run: () => profileStep({ loss: () => tf.sum(batch.x), params: [] }) },
    {
      input: 'profileStep({ loss: () => w · 2 (a vector), params: [w] })',
      names: 'loss',
      run: () => {
        const w = variable();
        return profileStep({ loss: () => tf.mul(w, 2), params: [w] });
      },
    },
    {
      input: 'profileStep({ loss: () => tf.scalar(1) (not from w), params: [w] })',
      names: 'loss',
      run: () => profileStep({ loss: () => tf.scalar(1), params: [variable()] }),
    },
    modelCase('profileStep({ model: not compiled, x, y })', 'model', false, batch.x, batch.y),
    { input: 'profileStep({ model: {}, x, y })', names: 'model', run: () => profileStep(bad<ProfileTarget>({ model: {}, x: batch.x, y: batch.y })) },
    {
      input: 'profileStep({ model, x: [1, 2], y })',
      names: 'x.0',
      run: () => profileStep(bad<ProfileTarget>({ model: layersModel(true), x: [1, 2], y: batch.y })),
    },
    { input: 'profileStep({ model, x: disposed, y })', names: 'x', run: () => profileStep({ model: layersModel(true), x: disposed, y: batch.y }) },
    { input: 'profileStep({ model, x, y: [] })', names: 'y', run: () => profileStep({ model: layersModel(true), x: batch.x, y: [] }) },
    modelCase('profileStep({ model, x: [4, 3] for a [null, 2] input, y })', 'x', true, batch.x3, batch.y),
    modelCase('profileStep({ model, x: 4 examples, y: 3 examples })', 'y', true, batch.x, batch.y3),
    // profileStep: options, the backend
    ...([0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '5', null] as const).map((steps) => ({
      input: `profileStep(target, { steps: ${typeof steps === 'string' ? `'${steps}'` : String(steps)} })`,
      names: 'steps',
      run: async (ctx: { watch(...t: (tf.Tensor | Optimizer)[]): Promise<void> }) => {
        const { opt } = profiled();
        await ctx.watch(opt);
        await profileStep({ optimizer: opt, loss: wLoss }, bad({ steps }));
      },
    })),
    { input: 'profileStep(target, { warmup: -1 })', names: 'warmup', run: () => profileStep({ optimizer: profiled().opt, loss: wLoss }, { warmup: -1 }) },
    {
      input: 'profileStep(target, { timedSteps: 0 })',
      names: 'timedSteps',
      run: () => profileStep({ optimizer: profiled().opt, loss: wLoss }, { timedSteps: 0 }),
    },
    {
      input: 'profileStep(target, { iterations: 10 })',
      names: 'iterations',
      run: () => profileStep({ optimizer: profiled().opt, loss: wLoss }, bad({ iterations: 10 })),
    },
    {
      input: 'profileStep(target, { warmup_steps: 1 })',
      names: 'warmup_steps',
      run: () => profileStep({ optimizer: profiled().opt, loss: wLoss }, bad({ warmup_steps: 1 })),
    },
    { input: 'profileStep(target, 5)', names: 'options', run: () => profileStep({ optimizer: profiled().opt, loss: wLoss }, bad(5)) },
    { input: 'profileStep(target, null)', names: 'options', run: () => profileStep({ optimizer: profiled().opt, loss: wLoss }, bad(null)) },
    {
      input: 'profileStep(target) before any backend was set up',
      names: 'useBackend',
      run: async (ctx) => {
        const { opt } = profiled();
        await ctx.watch(opt);
        const engine = tf.engine() as unknown as EngineBackend;
        const saved = { name: engine.backendName, instance: engine.backendInstance };
        engine.backendName = null;
        engine.backendInstance = null;
        try {
          await profileStep({ optimizer: opt, loss: wLoss });
        } finally {
          engine.backendName = saved.name;
          engine.backendInstance = saved.instance;
        }
      },
    },
    {
      input: 'tf.profile(() => profileStep(target))',
      names: 'profile',
      run: async (ctx) => {
        const { opt } = profiled();
        await ctx.watch(opt);
        try {
          await tf.profile(() => profileStep({ optimizer: opt, loss: wLoss }) as never);
        } finally {
          (tf.engine() as unknown as EngineBackend).state.profiling = false;
        }
      },
    },
    {
      input: 'profileStep(target) while another profileStep runs',
      names: 'profile',
      run: async (ctx) => {
        const [first, second] = [profiled(), profiled()];
        await ctx.watch(second.opt);
        const running = profileStep({ optimizer: first.opt, loss: wLoss }, { warmup: 0, steps: 1, timedSteps: 1 });
        try {
          await profileStep({ optimizer: second.opt, loss: wLoss });
        } finally {
          await running;
        }
      },
    },
    // formatProfile
    { input: 'formatProfile(null)', names: 'profile', run: () => formatProfile(bad(null)) },
    { input: 'formatProfile(gradientReport)', names: 'profile', run: () => formatProfile(bad(report)) },
    { input: 'formatProfile(profile without kernels)', names: 'profile', run: () => formatProfile(bad({ ...SAMPLE_PROFILE, kernels: undefined })) },
    { input: 'formatProfile(profile, { top: 0 })', names: 'top', run: () => formatProfile(SAMPLE_PROFILE, { top: 0 }) },
    { input: 'formatProfile(profile, { top: 2.5 })', names: 'top', run: () => formatProfile(SAMPLE_PROFILE, { top: 2.5 }) },
    { input: 'formatProfile(profile, { top: null })', names: 'top', run: () => formatProfile(SAMPLE_PROFILE, bad({ top: null })) },
    { input: 'formatProfile(profile, { limit: 5 })', names: 'limit', run: () => formatProfile(SAMPLE_PROFILE, bad({ limit: 5 })) },
    // renderers and documents
    { input: 'formatText({})', names: 'report', run: () => formatText(bad({})) },
    { input: 'formatText(report, { width: 80 })', names: 'width', run: () => formatText(report, bad({ width: 80 })) },
    { input: 'formatText(report, { barWidth: -1 })', names: 'barWidth', run: () => formatText(report, { barWidth: -1 }) },
    { input: "formatText(report, { findings: 'no' })", names: 'findings', run: () => formatText(report, bad({ findings: 'no' })) },
    { input: 'toHTML(undefined)', names: 'input', run: () => toHTML(bad(undefined)) },
    { input: "toHTML(report, { titel: 'x' })", names: 'titel', run: () => toHTML(report, bad({ titel: 'x' })) },
    { input: 'toHTML(report, { title: 42 })', names: 'title', run: () => toHTML(report, bad({ title: 42 })) },
    {
      input: 'toHTML({ configs: [{ name, reports: [{}] }] })',
      names: 'input.configs.0.reports.0',
      run: () => toHTML(bad({ configs: [{ name: 'a', reports: [{}] }] })),
    },
    {
      input: 'toHTML({ configs: [{ name, reports, summery }] })',
      names: 'summery',
      run: () => toHTML(bad({ configs: [{ name: 'a', reports: [report], summery: {} }] })),
    },
    { input: 'toJSON(report, { space: 2 })', names: 'space', run: () => toJSON(report, bad({ space: 2 })) },
    { input: "toJSON(report, { indent: 'tab' })", names: 'indent', run: () => toJSON(report, bad({ indent: 'tab' })) },
    { input: 'toJSON(null)', names: 'doc', run: () => toJSON(bad(null)) },
    { input: 'fromJSON(42)', names: 'text', run: () => fromJSON(bad(42)) },
    { input: 'fromJSON(\'{"format":"gradkit-gradient-report"}\')', names: 'text', run: () => fromJSON('{"format":"gradkit-gradient-report"}') },
    {
      input: 'fromJSON(a report whose layer lost its shape)',
      names: 'text',
      run: () => fromJSON(JSON.stringify({ ...report, layers: [{ name: 'w', gradNorm: 1 }] })),
    },
    { input: "reportTrends('history')", names: 'reports', run: () => reportTrends(bad('history')) },
    { input: 'reportTrends([report, null])', names: 'reports.1', run: () => reportTrends(bad([report, null])) },
  ]);
});

function cyclic(): unknown {
  const a: Record<string, unknown> = { w: g.w };
  a.self = a;
  return { a };
}
