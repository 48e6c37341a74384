import { currentBackend, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { partition } from '../partition.js';
import { setToZero } from '../set-to-zero.js';
import { chain, type GradientTransformation, type StateTree } from '../transform.js';
import { type FusedKernelArgs, findFusedKernel, registerFusedKernel, unregisterFusedKernel } from './fused.js';
import { Optimizer } from './optimizer.js';

// The plumbing of fused kernels (the numbers of real kernels are tested beside them, e.g. optimizers' sgd).
describe('registerFusedKernel and the runner', () => {
  const calls: Omit<FusedKernelArgs, 'backend'>[] = [];
  const register = () =>
    registerFusedKernel({
      kernelName: 'GradkitTestHeavyBall',
      backendName: currentBackend(),
      pattern: ['heavyBall'],
      slots: () => [['velocity']],
      supports: ([o]) => (o as { momentum: number }).momentum !== 0.5,
      kernelFunc: ({ backend, ...args }) => {
        expect(backend).toBe(tf.backend());
        calls.push(args);
      },
    });
  afterEach(() => {
    unregisterFusedKernel('GradkitTestHeavyBall', currentBackend());
    calls.length = 0;
  });

  it('is registered in tfjs’s kernel registry and found by pattern, backend and options', () => {
    register();
    expect(tf.getKernel('GradkitTestHeavyBall', currentBackend())).toBeDefined();
    expect(findFusedKernel(['heavyBall'], [{ momentum: 0.9 }], currentBackend())?.kernelName).toBe('GradkitTestHeavyBall');
    expect(findFusedKernel(['heavyBall'], [{ momentum: 0.5 }], currentBackend())).toBeUndefined();
    expect(findFusedKernel(['heavyBall'], [{ momentum: 0.9 }], 'no-such-backend')).toBeUndefined();
    unregisterFusedKernel('GradkitTestHeavyBall', currentBackend());
    expect(tf.getKernel('GradkitTestHeavyBall', currentBackend())).toBeUndefined();
  });

  it('runs the kernel with params, grads, slots and the hyper-parameters of the step, and advances count', async () => {
    register();
    const params = { a: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.scalar(3)) };
    const opt = new Optimizer(
      params,
      heavyBall((t) => 0.1 * (t + 1), 0.9),
    );
    const g = { a: tf.tensor1d([1, 1]), b: tf.scalar(1) };
    opt.step(g);
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitTestHeavyBall');
    expect(calls).toHaveLength(2);
    const [first, second] = calls as [Omit<FusedKernelArgs, 'backend'>, Omit<FusedKernelArgs, 'backend'>];
    expect(first.params.map((p) => p.dataId)).toEqual([params.a.dataId, params.b.dataId]);
    expect(first.grads.map((p) => p.dataId)).toEqual([g.a.dataId, g.b.dataId]);
    expect(first.slots).toHaveLength(1);
    expect(first.slots[0]?.map((s) => s.shape)).toEqual([[2], []]);
    expect(first.hyper[0]?.learningRate).toBeCloseTo(0.1, 12);
    expect(second.hyper[0]?.learningRate).toBeCloseTo(0.2, 12);
    expect([first.step, second.step]).toEqual([0, 1]);
    expect((await opt.saveState()).state.count).toBe(2);
    opt.dispose();
    tf.dispose([params.a, params.b, g.a, g.b]);
  });

  it('copies a variable’s buffer before the kernel when it is shared with another tensor (copy-on-write)', async () => {
    register();
    const t = tf.tensor1d([1, 2]);
    const params = { w: tf.variable(t) };
    expect(params.w.dataId).toBe(t.dataId);
    const opt = new Optimizer(params, heavyBall(0.1, 0.9));
    const g = { w: tf.tensor1d([1, 1]) };
    opt.step(g);
    expect(params.w.dataId).not.toBe(t.dataId);
    expect(calls[0]?.params[0]?.dataId).toBe(params.w.dataId);
    await expectClose(params.w, [1, 2]);
    await expectClose(t, [1, 2]);
    opt.dispose();
    tf.dispose([t, params.w, g.w]);
  });

  it('runs observers at the head of the chain beside the kernel, on the raw gradients', async () => {
    register();
    const seen: number[][] = [];
    const watch: GradientTransformation<{ count: number }> = {
      name: 'watch',
      options: {},
      observer: true,
      init: () => ({ count: 0 }),
      update: (grads, state) => {
        seen.push((grads as { w: tf.Tensor }).w.shape);
        return { updates: grads, state: { count: state.count + 1 } };
      },
    };
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, chain(watch, heavyBall(0.1, 0.9)));
    const g = { w: tf.tensor1d([1, 1]) };
    opt.step(g);
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitTestHeavyBall');
    expect(seen).toHaveLength(2);
    expect(calls).toHaveLength(2);
    const state = (await opt.saveState()).state;
    expect([state['0.count'], state['1.count']]).toEqual([2, 2]);
    // an observer that is not at the head of the chain keeps the chain on the reference path
    const late = new Optimizer(params, chain(heavyBall(0.1, 0.9), watch));
    late.step(g);
    expect(late.lastStepPath).toBe('reference');
    for (const o of [opt, late]) o.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('takes the reference path when no kernel matches, when supports() declines, or with fused: false', async () => {
    register();
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const g = { w: tf.tensor1d([1, 1]) };
    for (const [opt, why] of [
      [new Optimizer(params, heavyBall(0.1, 0.5)), 'supports() declines'],
      [new Optimizer(params, heavyBall(0.1, 0.9), { fused: false }), 'fused: false'],
    ] as const) {
      opt.step(g);
      expect(opt.lastStepPath, why).toBe('reference');
      opt.dispose();
    }
    expect(calls).toHaveLength(0);
    // two reference steps of −0.1·g each
    await expectClose(params.w, [0.8, 1.8]);
    tf.dispose([params.w, g.w]);
  });
  it('sees through wrappers: pattern [wrapper, …inner], options, counts and scalars reach the kernel; every count advances', async () => {
    registerFusedKernel({
      kernelName: 'GradkitTestGuardedHeavyBall',
      backendName: currentBackend(),
      pattern: ['guard', 'heavyBall'],
      slots: () => [[], ['velocity']],
      scalars: () => [['flag'], []],
      kernelFunc: ({ backend, ...args }) => {
        calls.push(args);
      },
    });
    const guard = (inner: GradientTransformation): GradientTransformation => ({
      name: 'guard',
      options: { limit: 3 },
      inner,
      hyperParams: () => ({ limit: 3 }),
      init: (params) => ({ count: 0, flag: tf.scalar(0, 'int32'), inner: inner.init(params) }),
      update: (grads, state, params) => {
        const s = state as { count: number; flag: tf.Tensor; inner: StateTree };
        const r = inner.update(grads, s.inner, params);
        return { updates: r.updates, state: { count: s.count + 1, flag: tf.clone(s.flag), inner: r.state } };
      },
    });
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, guard(chain(heavyBall(0.1, 0.9))));
    const g = { w: tf.tensor1d([1, 1]) };
    opt.step(g);
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitTestGuardedHeavyBall');
    const second = calls[1] as Omit<FusedKernelArgs, 'backend'>;
    expect(second.options).toEqual([{ limit: 3 }, { learningRate: 0.1, momentum: 0.9 }]);
    expect(second.hyper[0]).toEqual({ limit: 3 });
    expect(second.counts).toEqual([1, 1]);
    expect(second.scalars.map((t) => t.dtype)).toEqual(['int32']);
    expect(second.slots[0]?.map((t) => t.shape)).toEqual([[2]]);
    const state = (await opt.saveState()).state;
    expect([state.count, state['inner.0.count']]).toEqual([2, 2]);
    opt.dispose();
    unregisterFusedKernel('GradkitTestGuardedHeavyBall', currentBackend());
    tf.dispose([params.w, g.w]);
  });

  it('runs one kernel per group of a partition (a setToZero group needs none), and each group advances its count', async () => {
    register();
    const params = { a: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.scalar(3)), c: tf.variable(tf.scalar(4)), d: tf.variable(tf.scalar(5)) };
    const groups = { x: heavyBall(0.1, 0.9), y: heavyBall(0.2, 0.8), frozen: setToZero() };
    const opt = new Optimizer(
      params,
      partition(groups, (path) => ({ a: 'x', b: 'y', c: 'x', d: 'frozen' })[path] as string),
    );
    const g = { a: tf.tensor1d([1, 1]), b: tf.scalar(1), c: tf.scalar(1), d: tf.scalar(1) };
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitTestHeavyBall');
    expect(calls.map((c) => c.params.map((p) => p.shape))).toEqual([[[2], []], [[]]]);
    expect(calls.map((c) => c.hyper[0]?.learningRate)).toEqual([0.1, 0.2]);
    const state = (await opt.saveState()).state;
    expect([state['x.count'], state['y.count']]).toEqual([1, 1]);
    // one group without a kernel (supports() declines momentum 0.5) runs its reference update beside the kernels
    const mixed = new Optimizer(
      params,
      partition({ ...groups, y: heavyBall(0.2, 0.5) }, (path) => ({ a: 'x', b: 'y', c: 'x', d: 'frozen' })[path] as string),
    );
    mixed.step(g);
    expect(mixed.lastStepPath).toBe('fused:GradkitTestHeavyBall+reference');
    for (const o of [opt, mixed]) o.dispose();
    tf.dispose([...Object.values(params), ...Object.values(g)]);
  });
});
