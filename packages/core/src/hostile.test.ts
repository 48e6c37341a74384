// Hostile-user suite for @gradkit/core (issue 12): every bad input gets a typed GradkitError naming
// the field or path, before anything changed (optimizers and parameters are watched bit for bit).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HostileCase, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { valueAndGrad } from './autograd.js';
import { useBackend } from './backend/use-backend.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint/checkpoint.js';
import { registerTransformation, scheduleFromConfig, transformationFromConfig } from './config.js';
import { setFastPaths } from './fast-paths/registry.js';
import { heavyBall } from './fixtures/heavy-ball.js';
import { checkHyper, defineHyperParams } from './hyper.js';
import { registerFusedKernel } from './optimizer/fused.js';
import { Optimizer, type SavedOptimizerState } from './optimizer/optimizer.js';
import { partition } from './partition.js';
import { tap, withTaps } from './taps.js';
import { applyUpdates, chain } from './transform.js';
import { zip } from './tree.js';

/** A live optimizer over { layer: { w, b } } after one step, for cases that must leave it untouched. */
function trained() {
  const params = { layer: { w: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.scalar(3)) } };
  const opt = new Optimizer(params, heavyBall(0.1, 0.9));
  opt.step({ layer: { w: tf.tensor1d([1, 1]), b: tf.scalar(1) } });
  return { params, opt };
}
const grads = () => ({ layer: { w: tf.tensor1d([1, 1]), b: tf.scalar(1) } });
const cyclic = () => {
  const t: Record<string, unknown> = { w: tf.variable(tf.scalar(1)) };
  t.self = t;
  return t;
};

/** A checkpoint of `t` in a fresh directory. */
async function savedDir(t: ReturnType<typeof trained>): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'gradkit-hostile-')), 'ckpt');
  await saveCheckpoint(dir, { params: t.params, optimizer: t.opt });
  return dir;
}

/** A case on a trained optimizer that must not change it. */
const onOptimizer = (input: string, names: string, bad: (o: ReturnType<typeof trained>) => unknown): HostileCase => ({
  input,
  names,
  run: async (ctx) => {
    const t = trained();
    await ctx.watch(t.opt);
    return bad(t);
  },
});
/** saveState, edited, loaded back. */
const loading = (input: string, names: string, edit: (s: SavedOptimizerState) => unknown): HostileCase => ({
  input,
  names,
  run: async (ctx) => {
    const t = trained();
    await ctx.watch(t.opt);
    const s = JSON.parse(JSON.stringify(await t.opt.saveState())) as SavedOptimizerState;
    return t.opt.loadState(edit(s) as SavedOptimizerState);
  },
});

describe('core, hostile inputs', () => {
  hostileCases([
    // the Optimizer's constructor
    {
      input: 'new Optimizer(params, adam) (factory not called)',
      names: 'transform',
      run: () => new Optimizer({ w: tf.variable(tf.scalar(1)) }, heavyBall as never),
    },
    { input: 'new Optimizer(params, null)', names: 'transform', run: () => new Optimizer({ w: tf.variable(tf.scalar(1)) }, null as never) },
    { input: "new Optimizer(params, 'adam')", names: 'transform', run: () => new Optimizer({ w: tf.variable(tf.scalar(1)) }, 'adam' as never) },
    { input: 'new Optimizer(null, tx)', names: 'params', run: () => new Optimizer(null as never, heavyBall(0.1, 0)) },
    { input: 'new Optimizer({}, tx)', names: 'params', run: () => new Optimizer({}, heavyBall(0.1, 0)) },
    { input: 'new Optimizer({ w: tensor (not a variable) }, tx)', names: 'w', run: () => new Optimizer({ w: tf.scalar(1) }, heavyBall(0.1, 0)) },
    { input: 'new Optimizer({ w: int32 variable }, tx)', names: 'w', run: () => new Optimizer({ w: tf.variable(tf.scalar(1, 'int32')) }, heavyBall(0.1, 0)) },
    {
      input: 'new Optimizer({ a: v, b: v }, tx) (one variable twice)',
      names: 'b',
      run: () => {
        const v = tf.variable(tf.scalar(1));
        return new Optimizer({ a: v, b: v }, heavyBall(0.1, 0));
      },
    },
    { input: 'new Optimizer(cyclic params, tx)', names: 'self', run: () => new Optimizer(cyclic() as never, heavyBall(0.1, 0)) },
    {
      input: 'new Optimizer(JSON.parse(\'{"__proto__": …}\'), tx)',
      names: '__proto__',
      run: () => new Optimizer(Object.defineProperty({}, '__proto__', { value: tf.variable(tf.scalar(1)), enumerable: true }) as never, heavyBall(0.1, 0)),
    },
    {
      input: 'new Optimizer(params, tx, { fussed: false })',
      names: 'fussed',
      run: () => new Optimizer({ w: tf.variable(tf.scalar(1)) }, heavyBall(0.1, 0), { fussed: false } as never),
    },
    {
      input: "new Optimizer(params, tx, { fused: 'yes' })",
      names: 'fused',
      run: () => new Optimizer({ w: tf.variable(tf.scalar(1)) }, heavyBall(0.1, 0), { fused: 'yes' } as never),
    },
    // step
    onOptimizer('opt.step(null)', '', (t) => t.opt.step(null as never)),
    onOptimizer('opt.step(grads without layer.b)', 'layer.b', (t) => t.opt.step({ layer: { w: tf.tensor1d([1, 1]) } } as never)),
    onOptimizer('opt.step(grads with an extra key)', 'layer.c', (t) => t.opt.step({ layer: { ...grads().layer, c: tf.scalar(1) } } as never)),
    onOptimizer('opt.step(a gradient of another shape)', 'layer.w', (t) => t.opt.step({ layer: { w: tf.tensor1d([1, 1, 1]), b: tf.scalar(1) } })),
    onOptimizer('opt.step(an int32 gradient)', 'layer.b', (t) => t.opt.step({ layer: { w: tf.tensor1d([1, 1]), b: tf.scalar(1, 'int32') } })),
    onOptimizer('opt.step(a disposed gradient)', 'layer.w', (t) => {
      const g = grads();
      g.layer.w.dispose();
      return t.opt.step(g);
    }),
    onOptimizer('opt.step(a number where a gradient goes)', 'layer.b', (t) => t.opt.step({ layer: { w: tf.tensor1d([1, 1]), b: 1 } } as never)),
    onOptimizer('opt.step(grads, { los: l })', 'los', (t) => t.opt.step(grads(), { los: tf.scalar(1) } as never)),
    onOptimizer('opt.step(grads, { loss: a vector })', 'loss', (t) => t.opt.step(grads(), { loss: tf.tensor1d([1, 2]) as never })),
    {
      input: 'opt.step after a parameter was disposed',
      names: 'layer.b',
      run: async (ctx) => {
        const t = trained();
        await ctx.watch(t.params.layer.w);
        t.params.layer.b.dispose();
        return t.opt.step(grads());
      },
    },
    {
      input: 'opt.step after dispose()',
      names: 'Optimizer',
      run: async (ctx) => {
        const t = trained();
        await ctx.watch(t.params.layer.w, t.params.layer.b);
        t.opt.dispose();
        return t.opt.step(grads());
      },
    },
    // minimize
    onOptimizer("opt.minimize('loss')", 'loss', (t) => t.opt.minimize('loss' as never)),
    onOptimizer('opt.minimize(null)', 'loss', (t) => t.opt.minimize(null as never)),
    onOptimizer('opt.minimize(a loss of no parameter)', 'loss', (t) => t.opt.minimize(() => tf.scalar(1))),
    onOptimizer('opt.minimize(a loss that returns a vector)', 'loss', (t) => t.opt.minimize((p) => tf.mul(p.layer.w, 2))),
    onOptimizer('opt.minimize(a loss that returns a number)', 'loss', (t) => t.opt.minimize(() => 3 as never)),
    // runtime
    onOptimizer('opt.reportMetric(NaN)', 'metric', (t) => t.opt.reportMetric(Number.NaN)),
    onOptimizer("opt.reportMetric('0.3')", 'metric', (t) => t.opt.reportMetric('0.3' as never)),
    onOptimizer('opt.setTransform(null)', 'transform', (t) => t.opt.setTransform(null as never)),
    onOptimizer('opt.setTransform(a chain of two)', 'transform', (t) => t.opt.setTransform(chain(heavyBall(0.1, 0.9), heavyBall(0.1, 0.9)))),
    // loadState
    loading('opt.loadState(null)', 'format', () => null),
    loading("opt.loadState({ format: 'tfjs' })", 'format', (s) => ({ ...s, format: 'tfjs' })),
    loading('opt.loadState(state of another transformation)', 'transform', (s) => ({ ...s, transform: 'adam' })),
    loading("opt.loadState({ …, mode: 'sideways' })", 'mode', (s) => ({ ...s, mode: 'sideways' })),
    {
      input: 'opt.step(grads) after opt.eval()',
      names: 'mode',
      run: async (ctx) => {
        const t = trained();
        t.opt.eval();
        await ctx.watch(t.opt);
        return t.opt.step(grads());
      },
    },
    loading('opt.loadState(count −5)', 'count', (s) => ({ ...s, state: { ...s.state, count: -5 } })),
    loading('opt.loadState(count 2.5)', 'count', (s) => ({ ...s, state: { ...s.state, count: 2.5 } })),
    loading('opt.loadState(count 1e300)', 'count', (s) => ({ ...s, state: { ...s.state, count: 1e300 } })),
    loading("opt.loadState(count '3')", 'count', (s) => ({ ...s, state: { ...s.state, count: '3' } })),
    loading('opt.loadState(stepCount −1)', 'stepCount', (s) => ({ ...s, stepCount: -1 })),
    loading('opt.loadState(a velocity of NaN)', 'velocity.layer.w', (s) => ({
      ...s,
      state: { ...s.state, 'velocity.layer.w': { shape: [2], dtype: 'float32', data: btoa(String.fromCharCode(0, 0, 192, 127, 0, 0, 192, 127)) } },
    })),
    loading('opt.loadState(a velocity of another shape)', 'velocity.layer.w', (s) => ({
      ...s,
      state: { ...s.state, 'velocity.layer.w': { shape: [1], dtype: 'float32', data: 'AAAAAA==' } },
    })),
    loading('opt.loadState(a velocity whose data is not base64)', 'velocity.layer.w', (s) => ({
      ...s,
      state: { ...s.state, 'velocity.layer.w': { shape: [2], dtype: 'float32', data: '!!!' } },
    })),
    loading('opt.loadState(params of another model)', 'layer.w', (s) => ({ ...s, params: { other: { shape: [2], dtype: 'float32' } } })),
    loading('opt.loadState(an extra state leaf)', 'momentum.x', (s) => ({ ...s, state: { ...s.state, 'momentum.x': 1 } })),
    // chain, partition, applyUpdates, zip
    { input: 'chain()', names: 'transforms', run: () => chain() },
    { input: "chain(tx, 'x')", names: 'chain argument 1', run: () => chain(heavyBall(0.1, 0), 'x' as never) },
    { input: 'chain(adam) (factory not called)', names: 'chain argument 0', run: () => chain(heavyBall as never) },
    { input: 'chain(null)', names: 'chain argument 0', run: () => chain(null as never) },
    { input: 'partition({}, labels)', names: 'transforms', run: () => partition({}, () => 'a') },
    { input: 'partition({ a: adam }, labels) (factory not called)', names: 'transforms.a', run: () => partition({ a: heavyBall as never }, () => 'a') },
    { input: 'partition({ a: tx }, 42)', names: 'labels', run: () => partition({ a: heavyBall(0.1, 0) }, 42 as never) },
    {
      input: "partition(…, path => 'b') with no group 'b'",
      names: 'w',
      run: () =>
        new Optimizer(
          { w: tf.variable(tf.scalar(1)) },
          partition({ a: heavyBall(0.1, 0) }, () => 'b'),
        ),
    },
    { input: 'applyUpdates({ a }, { b })', names: 'a', run: () => applyUpdates({ a: tf.scalar(1) }, { b: tf.scalar(1) }) },
    { input: 'applyUpdates(params, updates of another shape)', names: 'a', run: () => applyUpdates({ a: tf.scalar(1) }, { a: tf.tensor1d([1, 2]) }) },
    { input: 'zip(a cyclic tree, …)', names: 'self', run: () => zip(cyclic() as never, {}) },
    // autograd, taps
    { input: 'valueAndGrad(null)', names: 'f', run: () => valueAndGrad(null as never) },
    {
      input: 'valueAndGrad(f)({ w: int32 tensor })',
      names: 'w',
      run: () => valueAndGrad((p: { w: tf.Tensor }) => tf.sum(p.w))({ w: tf.tensor1d([1], 'int32') }),
    },
    { input: 'valueAndGrad(f returning a vector)(params)', names: 'loss', run: () => valueAndGrad((p: { w: tf.Tensor }) => p.w)({ w: tf.tensor1d([1, 2]) }) },
    { input: "tap(3, 'x')", names: 'x', run: () => tap(3 as never, 'x') },
    { input: 'tap(t, 7)', names: 'name', run: () => tap(tf.scalar(1), 7 as never) },
    { input: 'withTaps(null)', names: 'fn', run: () => withTaps(null as never) },
    // hyper-parameters
    { input: 'checkHyper(learningRate, 1e39)', names: 'learningRate', run: () => checkHyper('learningRate', 1e39) },
    { input: 'checkHyper(epsilon, 1e-50)', names: 'epsilon', run: () => checkHyper('epsilon', 1e-50) },
    { input: 'checkHyper(learningRate, NaN)', names: 'learningRate', run: () => checkHyper('learningRate', Number.NaN) },
    {
      input: 'defineHyperParams({ beta: [1.5, [0, 1)] })',
      names: 'beta',
      run: () => defineHyperParams({ beta: [1.5, { min: 0, max: 1, maxExclusive: true }] }),
    },
    // configs and registries
    { input: "transformationFromConfig({ name: 'nope' })", names: 'config.name', run: () => transformationFromConfig({ name: 'nope' }) },
    {
      input: 'transformationFromConfig({ chain: [], extra: 1 })',
      names: 'config.extra',
      run: () => transformationFromConfig({ chain: [], extra: 1 } as never),
    },
    { input: "transformationFromConfig('adam')", names: 'config', run: () => transformationFromConfig('adam' as never) },
    { input: "scheduleFromConfig({ schedule: 'nope' })", names: 'schedule', run: () => scheduleFromConfig({ schedule: 'nope' }) },
    { input: "registerTransformation('', factory)", names: 'name', run: () => registerTransformation('', () => heavyBall(0.1, 0)) },
    { input: "registerTransformation('x', 'not a function')", names: 'factory', run: () => registerTransformation('hostileX', 'nope' as never) },
    {
      input: 'registerFusedKernel({ pattern: [] })',
      names: 'pattern',
      run: () => registerFusedKernel({ kernelName: 'K', backendName: 'cpu', pattern: [], kernelFunc: () => {} }),
    },
    // backends, checkpoints
    { input: "useBackend('webgl')", names: 'webgl', run: () => useBackend('webgl' as never) },
    { input: "useBackend('cpu', { wasm_paths: '/x' })", names: 'wasm_paths', run: () => useBackend('cpu', { wasm_paths: '/x' } as never) },
    { input: "useBackend('cpu', { fastPaths: 'off' })", names: 'fastPaths', run: () => useBackend('cpu', { fastPaths: 'off' } as never) },
    { input: "useBackend('cpu', { fast_paths: false })", names: 'fast_paths', run: () => useBackend('cpu', { fast_paths: false } as never) },
    { input: "useBackend('cpu', { threads: 0 })", names: 'threads', run: () => useBackend('cpu', { threads: 0 }) },
    { input: "useBackend('cpu', { threads: 2.5 })", names: 'threads', run: () => useBackend('cpu', { threads: 2.5 }) },
    { input: "useBackend('cpu', { threads: '2' })", names: 'threads', run: () => useBackend('cpu', { threads: '2' } as never) },
    { input: "useBackend('cpu', { threads: 64 })", names: 'threads', run: () => useBackend('cpu', { threads: 64 }) },
    { input: "useBackend('cpu', { num_threads: 2 })", names: 'num_threads', run: () => useBackend('cpu', { num_threads: 2 } as never) },
    { input: 'setFastPaths(0)', names: 'fastPaths', run: () => setFastPaths(0 as never) },
    { input: 'setFastPaths()', names: 'fastPaths', run: () => setFastPaths(undefined as never) },
    onOptimizer('saveCheckpoint(dir, { params, optimiser })', 'optimiser', (t) => saveCheckpoint('/tmp/x', { params: t.params, optimiser: t.opt } as never)),
    onOptimizer('saveCheckpoint(42, { params })', 'destination', (t) => saveCheckpoint(42 as never, { params: t.params })),
    onOptimizer('saveCheckpoint(dir, { params: tensors, not variables })', 'params.w', () => saveCheckpoint('/tmp/x', { params: { w: tf.scalar(1) } })),
    onOptimizer('loadCheckpoint(a directory without a checkpoint)', 'source', (t) =>
      loadCheckpoint('/tmp/gradkit-no-such-checkpoint', { params: t.params, optimizer: t.opt }),
    ),
    onOptimizer('loadCheckpoint(a checkpoint.json cut short)', 'source', async (t) => {
      const dir = await savedDir(t);
      writeFileSync(join(dir, 'checkpoint.json'), '{"format": "gradkit-checkpoint", "modelTop');
      return loadCheckpoint(dir, { params: t.params, optimizer: t.opt });
    }),
    onOptimizer('loadCheckpoint(a checkpoint without its weights.bin)', 'source', async (t) => {
      const dir = await savedDir(t);
      rmSync(join(dir, 'weights.bin'));
      return loadCheckpoint(dir, { params: t.params, optimizer: t.opt });
    }),
    onOptimizer('saveCheckpoint(dir, { params, metadata: cyclic })', 'metadata', (t) => {
      const metadata: Record<string, unknown> = {};
      metadata.self = metadata;
      return saveCheckpoint(join(tmpdir(), 'gradkit-hostile-cyclic'), { params: t.params, metadata });
    }),
    onOptimizer('saveCheckpoint(dir, { params, metadata: { n: 1n } })', 'metadata', (t) =>
      saveCheckpoint(join(tmpdir(), 'gradkit-hostile-bigint'), { params: t.params, metadata: { n: 1n } }),
    ),
  ]);
});
