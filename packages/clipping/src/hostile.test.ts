// The hostile user: careless, foreign (PyTorch, optax) and wrong inputs to every clipping function.
// Each must be a typed GradkitError naming the argument, option or tree path, before anything changed.
import { chain, type GradientTransformation, Optimizer, transformationFromConfig } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import { cosineDecay } from '@gradkit/schedules';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe } from 'vitest';
import { adaptiveGradClip, applyIfFinite, clipByGlobalNorm, clipByNorm, clipByValue, clipGradNorm, globalNorm, zeroNans } from './index.js';

const grads = () => ({ w: tf.tensor1d([3, 4]), b: tf.scalar(1) });
/** Runs `f` inside tf.tidy, so the tensors a rejected call made are released. */
const tidy = (f: () => unknown) => () => tf.tidy(() => void f());
/** One functional update of `tx` from its fresh state, on params { w, b }, with `g(params)` as gradients. */
const update = (tx: GradientTransformation, g: (p: { w: tf.Tensor; b: tf.Tensor }) => unknown, withParams = true) =>
  tidy(() => {
    const p = grads();
    const state = tx.init(p);
    tx.update(g(p) as never, state, withParams ? p : undefined);
  });
/** What the Optimizer cases made, released after the suite (the harness compares them after each case returns). */
const made: { dispose(): void }[] = [];
/** A reference-path Optimizer over variables { w, b } after one step; `watch`es it and them, then makes the bad call. */
async function optimizerCase(ctx: { watch: (...t: (tf.Tensor | Optimizer)[]) => Promise<void> }, tx: GradientTransformation, bad: (opt: Optimizer) => void) {
  const params = { w: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.scalar(3)) };
  const opt = new Optimizer(params, tx);
  const g = grads();
  made.push(opt, params.w, params.b, g.w, g.b);
  opt.step(g);
  await ctx.watch(opt, params.w, params.b);
  bad(opt);
}
afterAll(() => {
  for (const m of made.splice(0)) m.dispose();
});

describe('clipping, hostile', () =>
  hostileCases([
    // positional thresholds
    { input: 'clipByGlobalNorm({ maxNorm: 1 })', names: 'maxNorm', run: () => clipByGlobalNorm({ maxNorm: 1 } as never) },
    { input: 'clipByGlobalNorm({ max_norm: 1 }) (PyTorch keyword)', names: 'maxNorm', run: () => clipByGlobalNorm({ max_norm: 1 } as never) },
    { input: 'clipByGlobalNorm()', names: 'maxNorm', run: () => (clipByGlobalNorm as (x?: number) => unknown)() },
    { input: "clipByGlobalNorm('1')", names: 'maxNorm', run: () => clipByGlobalNorm('1' as never) },
    { input: 'clipByGlobalNorm(-1)', names: 'maxNorm', run: () => clipByGlobalNorm(-1) },
    { input: 'clipByGlobalNorm(NaN)', names: 'maxNorm', run: () => clipByGlobalNorm(Number.NaN) },
    { input: 'clipByGlobalNorm(1e39) (not a float32)', names: 'maxNorm', run: () => clipByGlobalNorm(1e39) },
    { input: 'clipByGlobalNorm(cosineDecay) (factory not called)', names: 'maxNorm', run: () => clipByGlobalNorm(cosineDecay as never) },
    { input: "clipByGlobalNorm(() => 'x')", names: 'maxNorm', run: () => clipByGlobalNorm((() => 'x') as never) },
    { input: 'clipByNorm(null)', names: 'maxNorm', run: () => clipByNorm(null as never) },
    { input: 'clipByNorm(0)', names: 'maxNorm', run: () => clipByNorm(0) },
    { input: 'clipByNorm([1])', names: 'maxNorm', run: () => clipByNorm([1] as never) },
    { input: 'clipByValue(-0.5)', names: 'maxAbs', run: () => clipByValue(-0.5) },
    { input: 'clipByValue({ clip_value: 1 })', names: 'maxAbs', run: () => clipByValue({ clip_value: 1 } as never) },
    { input: 'clipByValue(Infinity)', names: 'maxAbs', run: () => clipByValue(Number.POSITIVE_INFINITY) },
    // options objects
    { input: 'adaptiveGradClip({ clipping: 0.01, epsilon: 1e-3 })', names: 'epsilon', run: () => adaptiveGradClip({ clipping: 0.01, epsilon: 1e-3 } as never) },
    { input: 'adaptiveGradClip({ clip_factor: 0.01 }) (timm)', names: 'clip_factor', run: () => adaptiveGradClip({ clip_factor: 0.01 } as never) },
    { input: 'adaptiveGradClip(0.01)', names: 'options', run: () => adaptiveGradClip(0.01 as never) },
    { input: 'adaptiveGradClip()', names: 'options', run: () => (adaptiveGradClip as (o?: object) => unknown)() },
    { input: 'adaptiveGradClip({ clipping: 0 })', names: 'clipping', run: () => adaptiveGradClip({ clipping: 0 }) },
    { input: 'adaptiveGradClip({ clipping: 0.01, eps: -1 })', names: 'eps', run: () => adaptiveGradClip({ clipping: 0.01, eps: -1 }) },
    { input: 'adaptiveGradClip({ clipping: 0.01, eps: null })', names: 'eps', run: () => adaptiveGradClip({ clipping: 0.01, eps: null as never }) },
    { input: 'zeroNans({ eps: 0 })', names: 'eps', run: () => zeroNans({ eps: 0 } as never) },
    { input: 'applyIfFinite(adam) (factory not called)', names: 'inner', run: () => applyIfFinite(adam as never) },
    { input: 'applyIfFinite(null)', names: 'inner', run: () => applyIfFinite(null as never) },
    { input: "applyIfFinite('adam')", names: 'inner', run: () => applyIfFinite('adam' as never) },
    {
      input: 'applyIfFinite(adam(), { max_consecutive_errors: 3 })',
      names: 'max_consecutive_errors',
      run: () => applyIfFinite(adam(), { max_consecutive_errors: 3 } as never),
    },
    {
      input: 'applyIfFinite(adam(), { maxConsecutiveErrors: -1 })',
      names: 'maxConsecutiveErrors',
      run: () => applyIfFinite(adam(), { maxConsecutiveErrors: -1 }),
    },
    {
      input: 'applyIfFinite(adam(), { maxConsecutiveErrors: 2.5 })',
      names: 'maxConsecutiveErrors',
      run: () => applyIfFinite(adam(), { maxConsecutiveErrors: 2.5 }),
    },
    {
      input: 'applyIfFinite(adam(), { maxConsecutiveErrors: 2 ** 31 })',
      names: 'maxConsecutiveErrors',
      run: () => applyIfFinite(adam(), { maxConsecutiveErrors: 2 ** 31 }),
    },
    { input: 'applyIfFinite(adam(), 5) (optax positional)', names: 'options', run: () => applyIfFinite(adam(), 5 as never) },
    // clipGradNorm and globalNorm
    { input: 'clipGradNorm(grads, { max_norm: 1 }) (PyTorch keyword)', names: 'maxNorm', run: tidy(() => clipGradNorm(grads(), { max_norm: 1 } as never)) },
    { input: 'clipGradNorm(grads, 1, { norm_type: 2 })', names: 'norm_type', run: tidy(() => clipGradNorm(grads(), 1, { norm_type: 2 } as never)) },
    { input: 'clipGradNorm(grads, 1, { normType: 1 })', names: 'normType', run: tidy(() => clipGradNorm(grads(), 1, { normType: 1 as never })) },
    {
      input: "clipGradNorm(grads, 1, { errorIfNonfinite: 'yes' })",
      names: 'errorIfNonfinite',
      run: tidy(() => clipGradNorm(grads(), 1, { errorIfNonfinite: 'yes' as never })),
    },
    { input: 'clipGradNorm(grads, 0)', names: 'maxNorm', run: tidy(() => clipGradNorm(grads(), 0)) },
    { input: 'clipGradNorm(grads, 1, null)', names: 'options', run: tidy(() => clipGradNorm(grads(), 1, null as never)) },
    { input: 'clipGradNorm({ w: [1, 2] }, 1)', names: 'w.0', run: tidy(() => clipGradNorm({ w: [1, 2] } as never, 1)) },
    { input: 'globalNorm(grads, 1)', names: 'ord', run: tidy(() => globalNorm(grads(), 1 as never)) },
    { input: 'globalNorm({ w: null })', names: 'w', run: tidy(() => globalNorm({ w: null } as never)) },
    {
      input: 'globalNorm({ w: disposedTensor })',
      names: 'w',
      run: () => {
        const t = tf.scalar(1);
        t.dispose();
        return globalNorm({ w: t });
      },
    },
    // updates: gradients that do not fit the parameters
    { input: 'clipByGlobalNorm(1).update({ w }, state, { w, b }) (b missing)', names: 'b', run: update(clipByGlobalNorm(1), (p) => ({ w: p.w })) },
    { input: 'clipByNorm(1).update({ w: shape [3], b }, …)', names: 'w', run: update(clipByNorm(1), (p) => ({ w: tf.zeros([3]), b: p.b })) },
    { input: 'clipByValue(1).update({ w, b, extra }, …)', names: 'extra', run: update(clipByValue(1), (p) => ({ ...p, extra: p.b })) },
    { input: 'zeroNans().update({ w: int32, b }, …)', names: 'w', run: update(zeroNans(), (p) => ({ w: tf.tensor1d([1, 2], 'int32'), b: p.b })) },
    { input: 'adaptiveGradClip(…).update(grads, state) (no params)', names: 'params', run: update(adaptiveGradClip({ clipping: 0.1 }), (p) => p, false) },
    {
      input: 'applyIfFinite(inner whose update changes its state’s keys)',
      names: 'inner.b',
      run: update(
        applyIfFinite({
          name: 'shifty',
          options: {},
          init: () => ({ a: tf.scalar(0), b: tf.scalar(0) }),
          update: (g) => ({ updates: g, state: { a: tf.scalar(1), c: tf.scalar(1) } }),
        }),
        (p) => p,
      ),
    },
    // through the Optimizer: nothing may change
    {
      input: 'a clipByGlobalNorm schedule that reaches 0 at step 1, inside an Optimizer',
      names: 'maxNorm',
      run: (ctx) =>
        optimizerCase(
          ctx,
          chain(
            clipByGlobalNorm((t) => 1 - t),
            sgd({ learningRate: 0.1 }),
          ),
          (opt) => opt.step(grads()),
        ),
    },
    {
      input: 'applyIfFinite(chain(clipByNorm(schedule reaching 0), adam())) at step 1, inside an Optimizer',
      names: 'maxNorm',
      run: (ctx) =>
        optimizerCase(
          ctx,
          applyIfFinite(
            chain(
              clipByNorm((t) => 1 - t),
              adam(),
            ),
            { maxConsecutiveErrors: 2 },
          ),
          (opt) => opt.step(grads()),
        ),
    },
    // configs
    {
      input: "transformationFromConfig({ name: 'clipByGlobalNorm', max_norm: 1 })",
      names: 'max_norm',
      run: () => transformationFromConfig({ name: 'clipByGlobalNorm', max_norm: 1 }),
    },
    {
      input: "transformationFromConfig({ name: 'applyIfFinite', inner: 'adam' })",
      names: 'inner',
      run: () => transformationFromConfig({ name: 'applyIfFinite', inner: 'adam' }),
    },
    {
      input: "transformationFromConfig({ name: 'clipByValue', maxAbs: 1, maxNorm: 1 })",
      names: 'maxNorm',
      run: () => transformationFromConfig({ name: 'clipByValue', maxAbs: 1, maxNorm: 1 }),
    },
  ]));
