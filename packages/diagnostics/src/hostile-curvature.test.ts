// The hostile user and the curvature: bad options (PyHessian's and PyTorch's spellings included),
// losses and variables given to hessianTopEigenvalue, and bad numbers given to
// edgeOfStabilityFinding. Each gets a typed error naming the input, with the variables as they were.
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { edgeOfStabilityFinding } from './edge-of-stability.js';
import { hessianTopEigenvalue } from './index.js';

let count = 0;
/** A fresh trainable variable (watched) and the loss ½Σ 3w² + w over it. */
async function setup(ctx: HostileContext, values = [0.5, -1, 2]) {
  count += 1;
  const w = tf.tidy(() => tf.variable(tf.tensor1d(values), true, `hostile-curvature-${count}`));
  await ctx.watch(w);
  const loss = () => tf.tidy(() => tf.sum(tf.add(tf.mul(1.5, tf.square(w)), w)) as tf.Scalar);
  return { w, loss };
}

/** hessianTopEigenvalue with `options` on a watched variable. */
const withOptions = (options: unknown) => async (ctx: HostileContext) => {
  const { w, loss } = await setup(ctx);
  return hessianTopEigenvalue(loss, [w], options as never);
};

/** hessianTopEigenvalue of `loss(w)` over a watched variable. */
const withLoss = (loss: (w: tf.Variable) => unknown, values?: number[]) => async (ctx: HostileContext) => {
  const { w } = await setup(ctx, values);
  return hessianTopEigenvalue(() => loss(w) as tf.Scalar, [w]);
};

/** hessianTopEigenvalue over `variables(w)` (w watched). */
const withVariables = (variables: (w: tf.Variable) => unknown) => async (ctx: HostileContext) => {
  const { w, loss } = await setup(ctx);
  return hessianTopEigenvalue(loss, variables(w) as tf.Variable[]);
};

describe('hessianTopEigenvalue, hostile', () => {
  hostileCases([
    { input: 'hessianTopEigenvalue(loss, [w], { maxIter: 100 }) (PyHessian)', names: 'maxIter', run: withOptions({ maxIter: 100 }) },
    { input: 'hessianTopEigenvalue(loss, [w], { tol: 1e-3 }) (PyHessian)', names: 'tol', run: withOptions({ tol: 1e-3 }) },
    { input: 'hessianTopEigenvalue(loss, [w], { eps: 1e-4 })', names: 'eps', run: withOptions({ eps: 1e-4 }) },
    { input: 'hessianTopEigenvalue(loss, [w], { top_n: 2 })', names: 'top_n', run: withOptions({ top_n: 2 }) },
    { input: 'hessianTopEigenvalue(loss, [w], null)', names: 'options', run: withOptions(null) },
    { input: "hessianTopEigenvalue(loss, [w], 'fast')", names: 'options', run: withOptions('fast') },
    { input: 'hessianTopEigenvalue(loss, [w], [20])', names: 'options', run: withOptions([20]) },
    { input: '{ iterations: 0 }', names: 'iterations', run: withOptions({ iterations: 0 }) },
    { input: '{ iterations: -5 }', names: 'iterations', run: withOptions({ iterations: -5 }) },
    { input: '{ iterations: 2.5 }', names: 'iterations', run: withOptions({ iterations: 2.5 }) },
    { input: '{ iterations: NaN }', names: 'iterations', run: withOptions({ iterations: Number.NaN }) },
    { input: '{ iterations: Infinity }', names: 'iterations', run: withOptions({ iterations: Number.POSITIVE_INFINITY }) },
    { input: "{ iterations: '20' }", names: 'iterations', run: withOptions({ iterations: '20' }) },
    { input: '{ iterations: null }', names: 'iterations', run: withOptions({ iterations: null }) },
    { input: '{ tolerance: 0 }', names: 'tolerance', run: withOptions({ tolerance: 0 }) },
    { input: '{ tolerance: -1e-3 }', names: 'tolerance', run: withOptions({ tolerance: -1e-3 }) },
    { input: '{ tolerance: 1 }', names: 'tolerance', run: withOptions({ tolerance: 1 }) },
    { input: '{ tolerance: NaN }', names: 'tolerance', run: withOptions({ tolerance: Number.NaN }) },
    { input: "{ tolerance: '1e-3' }", names: 'tolerance', run: withOptions({ tolerance: '1e-3' }) },
    { input: '{ tolerance: null }', names: 'tolerance', run: withOptions({ tolerance: null }) },
    { input: '{ epsilon: 0 }', names: 'epsilon', run: withOptions({ epsilon: 0 }) },
    { input: '{ epsilon: 1 }', names: 'epsilon', run: withOptions({ epsilon: 1 }) },
    { input: '{ epsilon: -1e-4 }', names: 'epsilon', run: withOptions({ epsilon: -1e-4 }) },
    { input: '{ epsilon: Infinity }', names: 'epsilon', run: withOptions({ epsilon: Number.POSITIVE_INFINITY }) },
    { input: '{ seed: -1 }', names: 'seed', run: withOptions({ seed: -1 }) },
    { input: '{ seed: 0.5 }', names: 'seed', run: withOptions({ seed: 0.5 }) },
    { input: "{ seed: 'abc' }", names: 'seed', run: withOptions({ seed: 'abc' }) },
    {
      input: 'hessianTopEigenvalue(loss(), [w]) (the loss called, not given)',
      names: 'loss',
      run: async (ctx) => {
        const { w, loss } = await setup(ctx);
        const value = loss();
        try {
          return await hessianTopEigenvalue(value as never, [w]);
        } finally {
          value.dispose();
        }
      },
    },
    { input: 'hessianTopEigenvalue(undefined, [w])', names: 'loss', run: async (ctx) => hessianTopEigenvalue(undefined as never, [(await setup(ctx)).w]) },
    { input: 'hessianTopEigenvalue(null, [w])', names: 'loss', run: async (ctx) => hessianTopEigenvalue(null as never, [(await setup(ctx)).w]) },
    { input: 'a loss returning the vector w²', names: 'loss', run: withLoss((w) => tf.square(w)) },
    { input: 'a loss returning a number', names: 'loss', run: withLoss(() => 1.5) },
    { input: 'a loss returning an int32 scalar', names: 'loss', run: withLoss(() => tf.scalar(3, 'int32')) },
    { input: 'a loss returning nothing', names: 'loss', run: withLoss(() => undefined) },
    { input: 'a loss that is NaN at θ (log of a negative weight)', names: 'loss', run: withLoss((w) => tf.sum(tf.log(w))) },
    { input: 'a loss finite at θ, NaN within the step (log of 1e-6)', names: 'loss', run: withLoss((w) => tf.sum(tf.log(w)), [1e-6, 1, 2]) },
    { input: 'hessianTopEigenvalue(loss, [])', names: 'variables', run: withVariables(() => []) },
    { input: 'hessianTopEigenvalue(loss, w) (not in an array)', names: 'variables', run: withVariables((w) => w) },
    { input: 'hessianTopEigenvalue(loss, undefined)', names: 'variables', run: withVariables(() => undefined) },
    { input: 'hessianTopEigenvalue(loss, { w })', names: 'variables', run: withVariables((w) => ({ w })) },
    { input: 'hessianTopEigenvalue(loss, [w, w])', names: 'variables.1', run: withVariables((w) => [w, w]) },
    { input: 'hessianTopEigenvalue(loss, [w, null])', names: 'variables.1', run: withVariables((w) => [w, null]) },
    {
      input: 'hessianTopEigenvalue(loss, [tf.tensor(...)]) (a tensor, not a variable)',
      names: 'variables.0',
      run: async (ctx) => {
        const { loss } = await setup(ctx);
        const t = tf.tensor1d([1, 2]);
        try {
          return await hessianTopEigenvalue(loss, [t as tf.Variable]);
        } finally {
          t.dispose();
        }
      },
    },
    {
      input: 'hessianTopEigenvalue(loss, [frozen]) (trainable: false)',
      names: 'variables.1',
      run: async (ctx) => {
        const { w, loss } = await setup(ctx);
        const frozen = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), false, `hostile-curvature-frozen-${count}`));
        try {
          return await hessianTopEigenvalue(loss, [w, frozen]);
        } finally {
          frozen.dispose();
        }
      },
    },
    {
      input: 'hessianTopEigenvalue(loss, [int32 variable])',
      names: 'variables.0',
      run: async (ctx) => {
        const { loss } = await setup(ctx);
        const k = tf.tidy(() => tf.variable(tf.tensor1d([1, 2], 'int32'), true, `hostile-curvature-int-${count}`));
        try {
          return await hessianTopEigenvalue(loss, [k]);
        } finally {
          k.dispose();
        }
      },
    },
    {
      input: 'hessianTopEigenvalue(loss, [disposed variable])',
      names: 'variables.0',
      run: async (ctx) => {
        const { loss } = await setup(ctx);
        const gone = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, `hostile-curvature-gone-${count}`));
        gone.dispose();
        return hessianTopEigenvalue(loss, [gone]);
      },
    },
    {
      input: 'hessianTopEigenvalue(loss of w, [other]) (the loss does not use them)',
      names: 'variables',
      run: async (ctx) => {
        const { loss } = await setup(ctx);
        const other = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, `hostile-curvature-other-${count}`));
        try {
          return await hessianTopEigenvalue(loss, [other]);
        } finally {
          other.dispose();
        }
      },
    },
  ]);
});

describe('edgeOfStabilityFinding, hostile', () => {
  hostileCases([
    { input: "edgeOfStabilityFinding(NaN, 0.1, 'sgd')", names: 'lambdaMax', run: () => edgeOfStabilityFinding(Number.NaN, 0.1, 'sgd') },
    { input: "edgeOfStabilityFinding(Infinity, 0.1, 'sgd')", names: 'lambdaMax', run: () => edgeOfStabilityFinding(Number.POSITIVE_INFINITY, 0.1, 'sgd') },
    { input: "edgeOfStabilityFinding('10', 0.1, 'sgd')", names: 'lambdaMax', run: () => edgeOfStabilityFinding('10' as never, 0.1, 'sgd') },
    { input: "edgeOfStabilityFinding(undefined, 0.1, 'sgd')", names: 'lambdaMax', run: () => edgeOfStabilityFinding(undefined as never, 0.1, 'sgd') },
    {
      input: "edgeOfStabilityFinding({ lambdaMax: 10 }, 0.1, 'sgd') (the result, not its number)",
      names: 'lambdaMax',
      run: () => edgeOfStabilityFinding({ lambdaMax: 10, iterations: 3, converged: true } as never, 0.1, 'sgd'),
    },
    { input: "edgeOfStabilityFinding(10, 0, 'sgd')", names: 'learningRate', run: () => edgeOfStabilityFinding(10, 0, 'sgd') },
    { input: "edgeOfStabilityFinding(10, -0.1, 'sgd')", names: 'learningRate', run: () => edgeOfStabilityFinding(10, -0.1, 'sgd') },
    { input: "edgeOfStabilityFinding(10, NaN, 'sgd')", names: 'learningRate', run: () => edgeOfStabilityFinding(10, Number.NaN, 'sgd') },
    { input: "edgeOfStabilityFinding(10, Infinity, 'sgd')", names: 'learningRate', run: () => edgeOfStabilityFinding(10, Number.POSITIVE_INFINITY, 'sgd') },
    { input: "edgeOfStabilityFinding(10, '0.3', 'sgd')", names: 'learningRate', run: () => edgeOfStabilityFinding(10, '0.3' as never, 'sgd') },
    { input: "edgeOfStabilityFinding(10, null, 'sgd')", names: 'learningRate', run: () => edgeOfStabilityFinding(10, null as never, 'sgd') },
    {
      input: "edgeOfStabilityFinding(10, (step) => 0.3, 'sgd') (a schedule)",
      names: 'learningRate',
      run: () => edgeOfStabilityFinding(10, (() => 0.3) as never, 'sgd'),
    },
    { input: 'edgeOfStabilityFinding(10, 0.3)', names: 'optimizerName', run: () => edgeOfStabilityFinding(10, 0.3, undefined as never) },
    { input: "edgeOfStabilityFinding(10, 0.3, '')", names: 'optimizerName', run: () => edgeOfStabilityFinding(10, 0.3, '') },
    {
      input: 'edgeOfStabilityFinding(10, 0.3, tf.train.sgd(0.3)) (the optimizer, not its name)',
      names: 'optimizerName',
      run: () => edgeOfStabilityFinding(10, 0.3, { learningRate: 0.3 } as never),
    },
  ]);
});
