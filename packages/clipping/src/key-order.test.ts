import { flatten, type GradientTransformation, type StateTree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adaptiveGradClip, applyIfFinite, clipByGlobalNorm, clipByNorm, clipByValue, zeroNans } from './index.js';

// Trees are paired by key, never by position: gradients given in another key order than the
// parameters ({ b, a } for params { a, b }) must reach the same parameters, and the state (what the
// step measured, per parameter) stays keyed like the parameters, in their order.

const PARAMS = () => ({ a: tf.tensor1d([1, 2]), b: tf.tensor1d([-3, 0.5]) });
/** Different per parameter, so that a swap shows: a's gradient is small, b's large (and b holds a NaN for zeroNans). */
const GRADS = (nan = false) => ({ a: tf.tensor1d([0.3, -0.4]), b: tf.tensor1d([30, nan ? Number.NaN : 40]) });

type Result = { updates: Record<string, tf.Tensor>; state: StateTree };
const run = (tx: GradientTransformation, grads: Record<string, tf.Tensor>, params: Record<string, tf.Tensor>) => {
  const state = tx.init(params);
  const r = tf.tidy(() => tx.update(grads, state, params) as unknown as tf.TensorContainerObject) as unknown as Result;
  tf.dispose(flatten(state).flatMap((e) => (e.value instanceof tf.Tensor ? [e.value] : [])));
  return r;
};
const values = async (tree: StateTree) =>
  Promise.all(flatten(tree).map(async (e) => [e.path, e.value instanceof tf.Tensor ? Array.from(await e.value.data()) : e.value] as const));

const CASES: [string, () => GradientTransformation][] = [
  ['clipByValue(1)', () => clipByValue(1)],
  ['clipByNorm(1)', () => clipByNorm(1)],
  ['clipByGlobalNorm(1)', () => clipByGlobalNorm(1)],
  ['adaptiveGradClip({ clipping: 0.1 })', () => adaptiveGradClip({ clipping: 0.1 })],
  ['zeroNans()', () => zeroNans()],
];

describe('clipping pairs gradients with parameters by key', () => {
  for (const [what, make] of CASES) {
    it(`${what}: gradients { b, a } for params { a, b } give the updates and state of { a, b }, keyed like the params`, async () => {
      const params = PARAMS();
      const g = GRADS(what === 'zeroNans()');
      const inOrder = run(make(), { a: g.a, b: g.b }, params);
      const swapped = run(make(), { b: g.b, a: g.a }, params);
      expect(Array.from(await swapped.updates.a!.data())).toEqual(Array.from(await inOrder.updates.a!.data()));
      expect(Array.from(await swapped.updates.b!.data())).toEqual(Array.from(await inOrder.updates.b!.data()));
      expect(Object.keys(swapped.updates)).toEqual(['a', 'b']);
      expect(await values(swapped.state)).toEqual(await values(inOrder.state));
      tf.dispose([params.a, params.b, g.a, g.b, inOrder as never, swapped as never]);
    });
  }

  it('clipByValue: a’s update is clip(a’s gradient), whatever the order (hand-worked)', async () => {
    const params = PARAMS();
    const g = GRADS();
    const r = run(clipByValue(1), { b: g.b, a: g.a }, params);
    expect(Array.from(await r.updates.a!.data()).map((x) => Math.fround(x))).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
    expect(Array.from(await r.updates.b!.data())).toEqual([1, 1]);
    tf.dispose([params.a, params.b, g.a, g.b, r as never]);
  });

  it('applyIfFinite pairs the inner’s new state with its old one by path: a skipped step keeps every leaf where it was', async () => {
    // An inner transformation whose update returns its state's keys in another order than its init.
    const inner: GradientTransformation = {
      name: 'reordering',
      options: {},
      init: () => ({ a: tf.scalar(1), b: tf.scalar(2) }),
      update: (grads, state) => {
        const s = state as { a: tf.Tensor; b: tf.Tensor };
        return { updates: grads, state: { b: tf.add(s.b, 10), a: tf.add(s.a, 10) } };
      },
    };
    const tx = applyIfFinite(inner);
    const params = PARAMS();
    const bad = GRADS(true);
    const good = GRADS();
    const skipped = run(tx, bad, params);
    expect(await values((skipped.state as { inner: StateTree }).inner)).toEqual([
      ['a', [1]],
      ['b', [2]],
    ]);
    const applied = run(tx, good, params);
    expect(await values((applied.state as { inner: StateTree }).inner)).toEqual([
      ['a', [11]],
      ['b', [12]],
    ]);
    tf.dispose([params.a, params.b, bad.a, bad.b, good.a, good.b, skipped as never, applied as never]);
  });
});
