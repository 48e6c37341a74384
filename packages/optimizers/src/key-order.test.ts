import { chain, flatten, type GradientTransformation, type StateTree, type Tree } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  accumulate,
  adabelief,
  adadelta,
  adafactor,
  adagrad,
  adam,
  adamax,
  adamw,
  addDecayedWeights,
  defineOptimizer,
  lamb,
  lars,
  lion,
  masked,
  nadam,
  radam,
  rmsprop,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  trace,
} from './index.js';

// Trees are paired by key, never by position: the gradients (or the parameters) given with their keys
// in another order than the state's must give every parameter its own update, and the next state
// keeps the structure (and key order) its init gave it. The oracle is the same call with the keys in
// order (each optimizer's own tests check that one against PyTorch/optax). Before the fix, adam and
// the other optimizers that check gradient shapes paired the gradients in the state's order with the
// slots in the gradients' order, and optimizers with slots returned them in the gradients' order.

const signumByKey = defineOptimizer({
  name: 'keyOrderSignum',
  defaults: { learningRate: 0.1, beta: 0.5 },
  slots: ['m'],
  // Uses the parameter too, so a parameter paired with another path's gradient shows.
  step: ({ grad, param, slots, hyper }) => {
    const m = tf.add(tf.mul(slots.m, hyper.beta), tf.mul(grad, 1 - hyper.beta));
    return { update: tf.sub(tf.mul(m, -hyper.learningRate), tf.mul(param, 0.01)), slots: { m } };
  },
});

const CASES: readonly [string, () => GradientTransformation][] = [
  ['sgd with momentum and weight decay', () => sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.1 })],
  ['adam (amsgrad, weight decay)', () => adam({ learningRate: 0.1, amsgrad: true, weightDecay: 0.1 })],
  ['adamw', () => adamw({ learningRate: 0.1 })],
  ['adamax', () => adamax({ learningRate: 0.1, weightDecay: 0.1 })],
  ['nadam', () => nadam({ learningRate: 0.1 })],
  ['radam', () => radam({ learningRate: 0.1 })],
  ['adabelief', () => adabelief({ learningRate: 0.1 })],
  ['adadelta', () => adadelta({ weightDecay: 0.1 })],
  ['adagrad', () => adagrad({ learningRate: 0.1 })],
  ['rmsprop (centered, momentum)', () => rmsprop({ learningRate: 0.1, centered: true, momentum: 0.5 })],
  ['lion', () => lion({ learningRate: 0.1, weightDecay: 0.1 })],
  ['lamb', () => lamb({ learningRate: 0.1, weightDecay: 0.1 })],
  ['lars', () => lars({ learningRate: 0.1, weightDecay: 0.1 })],
  ['adafactor (momentum)', () => adafactor({ learningRate: 0.1, momentum: 0.5, minDimSizeToFactor: 2 })],
  ['scaleByAdam', () => scaleByAdam()],
  ['trace', () => trace({ decay: 0.9 })],
  ['scale', () => scale(-0.5)],
  ['scaleByLearningRate', () => scaleByLearningRate(0.5)],
  ['addDecayedWeights with a tree mask', () => addDecayedWeights(0.5, { w1: true, w2: false, b: true })],
  ['masked with a tree mask', () => chain(masked(adam({ learningRate: 0.1 }), { w1: false, w2: true, b: true }), scale(-1))],
  ['accumulate(2)', () => accumulate(2, adam({ learningRate: 0.1 }))],
  ['defineOptimizer', () => signumByKey()],
];

const PARAMS = { w1: [0.5, -1, 2, 0.25, 1, -0.5], w2: [1.5, 0.3, -0.7, 2, -1.2, 0.1], b: [0.2, -0.4, 0.6] };
const GRADS = [
  { w1: [0.3, -0.2, 0.1, 0.5, -0.6, 0.2], w2: [-1, 2, 0.5, -0.25, 0.75, 1.5], b: [0.1, 0.2, -0.3] },
  { w1: [-0.1, 0.4, 0.3, -0.2, 0.1, 0.6], w2: [0.5, -1.5, 1, 0.2, -0.4, -0.8], b: [-0.2, 0.3, 0.1] },
];
const SHAPES = { w1: [2, 3], w2: [2, 3], b: [3] } as Record<string, number[]>;

/** A tree of tensors with the keys in `order`. */
const treeOf = (values: Record<string, number[]>, order: readonly string[]) =>
  Object.fromEntries(order.map((k) => [k, tf.tensor(values[k] as number[], SHAPES[k])])) as Record<string, tf.Tensor>;

/** Two steps of `tx`, with the gradients (and the parameters) keyed in the orders given; the updates of each step and the final state, by path. */
async function twoSteps(tx: GradientTransformation, gradOrder: readonly string[], paramOrder: readonly string[]) {
  const init = treeOf(PARAMS, ['w1', 'w2', 'b']);
  const params = treeOf(PARAMS, paramOrder);
  let state: StateTree = tx.init(init);
  const initPaths = flatten(state).map((e) => e.path);
  const updates: Record<string, number[]>[] = [];
  for (const g of GRADS) {
    const grads = treeOf(g, gradOrder);
    const r = tx.update(grads, state, params);
    expect(Object.keys(r.updates as object)).toEqual(gradOrder);
    const next: Record<string, number[]> = {};
    for (const { path, value } of flatten(r.updates as Tree<tf.Tensor>)) next[path] = [...(await value.data())];
    updates.push(next);
    // The next state keeps its init's structure and key order (the Optimizer and applyIfFinite rely on it).
    expect(flatten(r.state).map((e) => e.path)).toEqual(initPaths);
    state = r.state;
  }
  const final: Record<string, number[] | number> = {};
  for (const { path, value } of flatten(state)) final[path] = value instanceof tf.Tensor ? [...(await value.data())] : (value as number);
  tf.dispose([init, params, state] as unknown as tf.TensorContainer);
  return { updates, final };
}

describe('trees are paired by key, whatever the order of their keys (functional path)', () => {
  for (const [what, make] of CASES) {
    it(`${what}: gradients and parameters in another key order give each parameter its own update`, async () => {
      const inOrder = await twoSteps(make(), ['w1', 'w2', 'b'], ['w1', 'w2', 'b']);
      for (const [gradOrder, paramOrder] of [
        [
          ['w2', 'b', 'w1'],
          ['w1', 'w2', 'b'],
        ],
        [
          ['w1', 'w2', 'b'],
          ['b', 'w2', 'w1'],
        ],
      ] as const) {
        const other = await twoSteps(make(), gradOrder, paramOrder);
        for (const [step, u] of other.updates.entries())
          for (const [path, values] of Object.entries(u))
            await expectClose(values, inOrder.updates[step]?.[path] as number[], { rtol: 0, atol: 0, what: `${what}, step ${step + 1}, update '${path}'` });
        expect(other.final).toEqual(inOrder.final);
      }
    });
  }

  it('leaks nothing when the keys come in another order', async () => {
    const params = treeOf(PARAMS, ['w1', 'w2', 'b']);
    const grads = treeOf(GRADS[0] as Record<string, number[]>, ['b', 'w2', 'w1']);
    await expectNoLeaks(() =>
      tf.tidy(() => {
        for (const [, make] of CASES) {
          const tx = make();
          tx.update(grads, tx.init(params), params);
        }
      }),
    );
    tf.dispose([params, grads] as unknown as tf.TensorContainer);
  });
});
