import { chain, flatten, type GradientTransformation, type GradTree, Optimizer, type StateTree, unflatten } from '@gradkit/core';
import { currentBackend, expectClose, expectFusedParity, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, adamw, lion, rmsprop, sgd } from '../index.js';

/**
 * A stand-in for @gradkit/clipping's `clipByGlobalNorm` (which this package does not depend on) with
 * the state its fused kernels write: `{ count, norm, clipped }`, `norm` the float32 global L2 norm of
 * the raw gradients at the last step (0 before any), `clipped` 1 when that step clipped, i.e.
 * `!(norm < maxNorm)` (a NaN norm counts), else 0. Its reference path is optax's
 * `clip_by_global_norm`: g ← norm < maxNorm ? g : (g / norm) · maxNorm.
 */
function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  type State = { count: number; norm: tf.Tensor; clipped: tf.Tensor };
  return {
    name: 'clipByGlobalNorm',
    options: { maxNorm },
    metrics: ['norm', 'clipped'],
    hyperParams: () => ({ maxNorm }),
    init: () => ({ count: 0, norm: tf.scalar(0), clipped: tf.scalar(0) }),
    update(grads: GradTree, state: StateTree) {
      const leaves = flatten(grads).map((e) => e.value);
      const norm = tf.sqrt(leaves.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)));
      const keep = tf.less(norm, maxNorm);
      const updates = unflatten(
        grads,
        leaves.map((g) => tf.where(keep, g, tf.mul(tf.div(g, norm), maxNorm))),
      );
      return { updates, state: { count: (state as State).count + 1, norm, clipped: tf.cast(tf.logicalNot(keep), 'float32') } };
    },
  };
}

const RULES: readonly [string, () => GradientTransformation][] = [
  ['Sgd', () => sgd({ learningRate: 0.05, momentum: 0.9 })],
  ['Adam', () => adam({ learningRate: 0.01 })],
  ['Adamw', () => adamw({ learningRate: 0.01, amsgrad: true })],
  ['Rmsprop', () => rmsprop({ learningRate: 0.01, centered: true })],
  ['Lion', () => lion({ learningRate: 0.01 })],
];

/** The clip's metrics in the optimizer's saved state, as numbers. */
async function metricsOf(opt: Optimizer): Promise<{ norm: number; clipped: number }> {
  const state = (await opt.saveState()).state;
  const value = (key: string) => {
    const t = state[key] as { dtype: string; data: string };
    expect(t.dtype).toBe('float32');
    const bytes = Uint8Array.from(atob(t.data), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer)[0] as number;
  };
  return { norm: value('0.norm'), clipped: value('0.clipped') };
}

describe(`fused clipped steps write clipByGlobalNorm's norm and clipped on ${currentBackend()}`, () => {
  for (const [rule, make] of RULES) {
    for (const maxNorm of [5, 1e3]) {
      it(`clip(${maxNorm}) → ${rule.toLowerCase()}: parameters, slots, norm and clipped match the reference path`, async () => {
        // ‖g‖ over the default parity shapes is about 64: 5 clips every step, 1e3 never does.
        expect(await expectFusedParity(() => chain(clipByGlobalNorm(maxNorm), make()))).toBe(`fused:GradkitClipped${rule}`);
      });
    }
  }

  it('writes the hand-computed norm and flag: ‖(3, 4)‖ = 5, clipped by 1 and not by 10; a NaN counts as clipped', async () => {
    const cases: [number, number[], number, number][] = [
      [1, [3, 4], 5, 1],
      [10, [3, 4], 5, 0],
      [5, [3, 4], 5, 1], // norm = maxNorm: not below it, so clipped (optax's trigger is norm < maxNorm)
      [1, [Number.NaN, 4], Number.NaN, 1],
    ];
    for (const [maxNorm, g, norm, clipped] of cases) {
      const params = { a: tf.variable(tf.scalar(1)), b: tf.variable(tf.scalar(2)) };
      const opt = new Optimizer(params, chain(clipByGlobalNorm(maxNorm), sgd({ learningRate: 0.1 })));
      expect(await metricsOf(opt)).toEqual({ norm: 0, clipped: 0 });
      const grads = { a: tf.scalar(g[0] as number), b: tf.scalar(g[1] as number) };
      opt.step(grads);
      expect(opt.lastStepPath).toBe('fused:GradkitClippedSgd');
      const m = await metricsOf(opt);
      await expectClose([m.norm], [norm], { rtol: 1e-6, what: `norm, maxNorm ${maxNorm}` });
      expect(m.clipped).toBe(clipped);
      opt.dispose();
      tf.dispose([params.a, params.b, grads.a, grads.b]);
    }
  });

  it('leaks no tensors over 300 clipped fused steps', async () => {
    const params = { a: tf.variable(tf.ones([33])), b: tf.variable(tf.scalar(1)) };
    const g = { a: tf.fill([33], 0.1), b: tf.scalar(-0.2) };
    await expectNoLeaks(async () => {
      const opt = new Optimizer(params, chain(clipByGlobalNorm(0.5), adamw()));
      for (let t = 0; t < 300; t++) opt.step(g);
      expect(opt.lastStepPath).toBe('fused:GradkitClippedAdamw');
      await params.a.data();
      opt.dispose();
    });
    tf.dispose([params.a, params.b, g.a, g.b]);
  });
});
