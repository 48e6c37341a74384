// The hostile user: careless and foreign (PyTorch, Keras) inputs to every public function of
// @gradkit/optimizers. Each must be a typed GradkitError naming the option, argument or tree path,
// thrown before anything changed (the Optimizers and tensors a case watches are compared bit for bit).
import { chain } from '@gradkit/core';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { bad, functional, watched } from './hostile-kit.js';
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
  optimizerFromConfig,
  optimizerToConfig,
  radam,
  registerOptimizer,
  rmsprop,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  trace,
} from './index.js';

const step = ({ grad, slots, hyper }: { grad: tf.Tensor; slots: Record<string, tf.Tensor>; hyper: Record<string, number> }) => ({
  update: tf.mul(grad, -(hyper.learningRate as number)),
  slots: { m: slots.m as tf.Tensor },
});
/** A valid definition for defineOptimizer, to spoil one field at a time. */
const definition = (over: object) => bad({ name: 'hostileSignum', defaults: { learningRate: 0.1 }, slots: ['m'], step, replace: true, ...over });

describe('optimizers, hostile', () =>
  hostileCases([
    // Unknown options, PyTorch and Keras spellings.
    { input: 'adam({ lr: 0.5 }) (PyTorch)', names: 'lr', run: () => adam(bad({ lr: 0.5 })) },
    { input: 'sgd({ learningRate: 0.1, momentun: 0.9 })', names: 'momentun', run: () => sgd(bad({ learningRate: 0.1, momentun: 0.9 })) },
    { input: 'adam({ betas: [0.9, 0.999] }) (PyTorch)', names: 'betas', run: () => adam(bad({ betas: [0.9, 0.999] })) },
    { input: 'adamw({ eps: 1e-8 }) (PyTorch)', names: 'eps', run: () => adamw(bad({ eps: 1e-8 })) },
    { input: 'adamw({ weight_decay: 0.01 }) (PyTorch)', names: 'weight_decay', run: () => adamw(bad({ weight_decay: 0.01 })) },
    { input: 'nadam({ momentum_decay: 4e-3 }) (PyTorch)', names: 'momentum_decay', run: () => nadam(bad({ momentum_decay: 4e-3 })) },
    { input: 'rmsprop({ rho: 0.9 }) (Keras)', names: 'rho', run: () => rmsprop(bad({ rho: 0.9 })) },
    { input: 'adagrad({ lr_decay: 0.01 }) (PyTorch)', names: 'lr_decay', run: () => adagrad(bad({ lr_decay: 0.01 })) },
    { input: 'adadelta({ lr: 1 }) (PyTorch)', names: 'lr', run: () => adadelta(bad({ lr: 1 })) },
    { input: 'adamax({ beta: 0.9 })', names: 'beta', run: () => adamax(bad({ beta: 0.9 })) },
    { input: 'radam({ decoupled_weight_decay: true }) (PyTorch)', names: 'decoupled_weight_decay', run: () => radam(bad({ decoupled_weight_decay: true })) },
    { input: 'adabelief({ eps_root: 1e-16 }) (optax)', names: 'eps_root', run: () => adabelief(bad({ eps_root: 1e-16 })) },
    { input: 'lion({ betas: [0.9, 0.99] })', names: 'betas', run: () => lion(bad({ betas: [0.9, 0.99] })) },
    { input: 'lamb({ lr: 1e-3 })', names: 'lr', run: () => lamb(bad({ lr: 1e-3 })) },
    {
      input: 'lars({ learningRate: 0.1, trust_coefficient: 1e-3 }) (optax)',
      names: 'trust_coefficient',
      run: () => lars(bad({ learningRate: 0.1, trust_coefficient: 1e-3 })),
    },
    {
      input: 'adafactor({ min_dim_size_to_factor: 128 }) (optax)',
      names: 'min_dim_size_to_factor',
      run: () => adafactor(bad({ min_dim_size_to_factor: 128 })),
    },
    { input: 'adafactor({ weight_decay_rate: 0.01 }) (optax)', names: 'weight_decay_rate', run: () => adafactor(bad({ weight_decay_rate: 0.01 })) },
    { input: 'scaleByAdam({ b1: 0.9 }) (optax)', names: 'b1', run: () => scaleByAdam(bad({ b1: 0.9 })) },
    { input: 'scaleByLearningRate(0.1, { flip_sign: false }) (optax)', names: 'flip_sign', run: () => scaleByLearningRate(0.1, bad({ flip_sign: false })) },
    { input: 'trace({ decay: 0.9, nesterov_momentum: true })', names: 'nesterov_momentum', run: () => trace(bad({ decay: 0.9, nesterov_momentum: true })) },

    // Wrong types, missing values, out of range, not finite (in float32 too).
    { input: 'sgd()', names: 'options', run: () => sgd(bad(undefined)) },
    { input: 'sgd({})', names: 'learningRate', run: () => sgd(bad({})) },
    { input: "adam({ learningRate: '0.001' })", names: 'learningRate', run: () => adam(bad({ learningRate: '0.001' })) },
    { input: 'adam({ learningRate: 1e39 }) (not a float32)', names: 'learningRate', run: () => adam({ learningRate: 1e39 }) },
    { input: 'adam({ epsilon: 1e-50 }) (0 in float32)', names: 'epsilon', run: () => adam({ epsilon: 1e-50 }) },
    { input: 'adam({ beta1: 1 })', names: 'beta1', run: () => adam({ beta1: 1 }) },
    { input: "adam({ amsgrad: 'yes' })", names: 'amsgrad', run: () => adam(bad({ amsgrad: 'yes' })) },
    { input: 'adam(0.001)', names: 'options', run: () => adam(bad(0.001)) },
    { input: 'adam(null)', names: 'options', run: () => adam(bad(null)) },
    { input: 'adamw([0.9, 0.999])', names: 'options', run: () => adamw(bad([0.9, 0.999])) },
    { input: 'sgd({ learningRate: 0.1, nesterov: true }) (no momentum)', names: 'nesterov', run: () => sgd({ learningRate: 0.1, nesterov: true }) },
    { input: 'sgd({ learningRate: NaN })', names: 'learningRate', run: () => sgd({ learningRate: Number.NaN }) },
    { input: 'sgd({ learningRate: 0.1, dampening: 2 })', names: 'dampening', run: () => sgd({ learningRate: 0.1, dampening: 2 }) },
    { input: 'rmsprop({ alpha: 1 })', names: 'alpha', run: () => rmsprop({ alpha: 1 }) },
    { input: 'rmsprop({ centered: 1 })', names: 'centered', run: () => rmsprop(bad({ centered: 1 })) },
    { input: 'adagrad({ initialAccumulatorValue: -1 })', names: 'initialAccumulatorValue', run: () => adagrad({ initialAccumulatorValue: -1 }) },
    {
      input: 'adagrad({ initialAccumulatorValue: (t) => t }) (a schedule)',
      names: 'initialAccumulatorValue',
      run: () => adagrad(bad({ initialAccumulatorValue: (t: number) => t })),
    },
    { input: 'adadelta({ rho: 1.5 })', names: 'rho', run: () => adadelta({ rho: 1.5 }) },
    { input: 'lion({ learningRate: Infinity })', names: 'learningRate', run: () => lion({ learningRate: Number.POSITIVE_INFINITY }) },
    { input: 'lars({ learningRate: 0.1, trustCoefficient: 0 })', names: 'trustCoefficient', run: () => lars({ learningRate: 0.1, trustCoefficient: 0 }) },
    { input: 'lars({})', names: 'learningRate', run: () => lars(bad({})) },
    { input: 'adafactor({ minDimSizeToFactor: 1.5 })', names: 'minDimSizeToFactor', run: () => adafactor({ minDimSizeToFactor: 1.5 }) },
    { input: 'adafactor({ decayOffset: -1 })', names: 'decayOffset', run: () => adafactor({ decayOffset: -1 }) },
    { input: 'adafactor({ momentum: 1 })', names: 'momentum', run: () => adafactor({ momentum: 1 }) },
    { input: "nadam({ decoupledWeightDecay: 'true' })", names: 'decoupledWeightDecay', run: () => nadam(bad({ decoupledWeightDecay: 'true' })) },
    { input: 'radam({ beta2: -0.1 })', names: 'beta2', run: () => radam({ beta2: -0.1 }) },
    { input: 'adabelief({ epsilonRoot: -1 })', names: 'epsilonRoot', run: () => adabelief({ epsilonRoot: -1 }) },
    { input: 'scale(NaN)', names: 'factor', run: () => scale(Number.NaN) },
    { input: "scale('0.1')", names: 'factor', run: () => scale(bad('0.1')) },
    { input: 'scaleByLearningRate(-0.1)', names: 'learningRate', run: () => scaleByLearningRate(-0.1) },
    {
      input: 'scaleByLearningRate({ learningRate: 0.1 }) (an options object)',
      names: 'learningRate',
      run: () => scaleByLearningRate(bad({ learningRate: 0.1 })),
    },
    { input: 'trace({ decay: -0.9 })', names: 'decay', run: () => trace({ decay: -0.9 }) },
    { input: 'trace()', names: 'options', run: () => trace(bad(undefined)) },
    { input: 'scaleByAdam({ beta2: 1 })', names: 'beta2', run: () => scaleByAdam({ beta2: 1 }) },
    { input: 'addDecayedWeights(-1)', names: 'weightDecay', run: () => addDecayedWeights(-1) },
    { input: "addDecayedWeights(1e-4, 'bias')", names: 'mask', run: () => addDecayedWeights(1e-4, bad('bias')) },
    { input: "addDecayedWeights(1e-4, { w: 'yes' })", names: 'mask.w', run: () => addDecayedWeights(1e-4, bad({ w: 'yes' })) },

    // Factories not called, null and other wrong arguments of the wrappers.
    { input: 'accumulate(2, null)', names: 'inner', run: () => accumulate(2, bad(null)) },
    { input: 'accumulate(2, adam) (factory not called)', names: 'inner', run: () => accumulate(2, bad(adam)) },
    { input: "accumulate(2, 'adam')", names: 'inner', run: () => accumulate(2, bad('adam')) },
    { input: 'accumulate(0, adam())', names: 'k', run: () => accumulate(0, adam()) },
    { input: 'accumulate(2.5, adam())', names: 'k', run: () => accumulate(2.5, adam()) },
    { input: 'masked(adam, mask) (factory not called)', names: 'inner', run: () => masked(bad(adam), () => true) },
    { input: 'masked(adam(), null)', names: 'mask', run: () => masked(adam(), bad(null)) },
    { input: "masked(adam(), 'bias')", names: 'mask', run: () => masked(adam(), bad('bias')) },
    { input: 'masked(adam(), { w: 1 })', names: 'mask.w', run: () => masked(adam(), bad({ w: 1 })) },

    // Configs and the registry.
    { input: "optimizerFromConfig({ name: 'adam', lr: 0.5 })", names: 'lr', run: () => optimizerFromConfig({ name: 'adam', lr: 0.5 }) },
    { input: "optimizerFromConfig({ name: 'adamm' })", names: 'config.name', run: () => optimizerFromConfig({ name: 'adamm' }) },
    { input: "optimizerFromConfig({ name: 'scale', factr: 1 })", names: 'factr', run: () => optimizerFromConfig({ name: 'scale', factr: 1 }) },
    { input: 'optimizerFromConfig(null)', names: 'config', run: () => optimizerFromConfig(bad(null)) },
    { input: "optimizerFromConfig('adam')", names: 'config', run: () => optimizerFromConfig(bad('adam')) },
    {
      input: "optimizerFromConfig({ name: 'adam', learningRate: { schedule: 'nope' } })",
      names: 'config.learningRate',
      run: () => optimizerFromConfig({ name: 'adam', learningRate: { schedule: 'nope' } }),
    },
    { input: "optimizerFromConfig({ chain: [{ name: 'sgd', lr: 0.1 }] })", names: 'lr', run: () => optimizerFromConfig({ chain: [{ name: 'sgd', lr: 0.1 }] }) },
    { input: 'optimizerFromConfig({ chain: [] })', names: 'config.chain', run: () => optimizerFromConfig({ chain: [] }) },
    { input: "optimizerFromConfig({ name: 'accumulate', k: 2 }) (no inner)", names: 'inner', run: () => optimizerFromConfig({ name: 'accumulate', k: 2 }) },
    { input: 'optimizerToConfig(addDecayedWeights(1e-4, predicate))', names: 'config.mask', run: () => optimizerToConfig(addDecayedWeights(1e-4, () => true)) },
    { input: 'optimizerToConfig(adam) (factory not called)', names: 'config', run: () => optimizerToConfig(bad(adam)) },
    { input: "registerOptimizer('adam', factory) (a built-in)", names: 'adam', run: () => registerOptimizer('adam', (o) => adam(o)) },
    { input: "registerOptimizer('', factory)", names: 'name', run: () => registerOptimizer('', (o) => adam(o)) },
    { input: "registerOptimizer('mine', 'adam')", names: 'factory', run: () => registerOptimizer('hostileMine', bad('adam')) },
    {
      input: "registerOptimizer('mine', factory, { replce: true })",
      names: 'replce',
      run: () => registerOptimizer('hostileMine', (o) => adam(o), bad({ replce: true })),
    },
    {
      input: "registerOptimizer('mine', factory, { replace: 'yes' })",
      names: 'replace',
      run: () => registerOptimizer('hostileMine', (o) => adam(o), bad({ replace: 'yes' })),
    },

    // defineOptimizer: the definition and the options of what it makes.
    { input: 'defineOptimizer({ …, default: {…} }) (typo)', names: 'default', run: () => defineOptimizer(definition({ default: {} })) },
    { input: "defineOptimizer({ name: '' })", names: 'name', run: () => defineOptimizer(definition({ name: '' })) },
    { input: "defineOptimizer({ slots: 'm' })", names: 'slots', run: () => defineOptimizer(definition({ slots: 'm' })) },
    { input: "defineOptimizer({ slots: ['count'] })", names: 'slots', run: () => defineOptimizer(definition({ slots: ['count'] })) },
    { input: 'defineOptimizer({ step: undefined })', names: 'step', run: () => defineOptimizer(definition({ step: undefined })) },
    { input: 'defineOptimizer({ defaults: null })', names: 'defaults', run: () => defineOptimizer(definition({ defaults: null })) },
    {
      input: 'defineOptimizer({ defaults: { learningRate: -1 }, ranges: { learningRate: { min: 0 } } })',
      names: 'learningRate',
      run: () => defineOptimizer(definition({ defaults: { learningRate: -1 }, ranges: { learningRate: { min: 0 } } })),
    },
    { input: 'defineOptimizer({ ranges: { lr: {…} } })', names: 'lr', run: () => defineOptimizer(definition({ ranges: { lr: { min: 0 } } })) },
    { input: 'defineOptimizer({ initial: { v: 1 } }) (no slot v)', names: 'v', run: () => defineOptimizer(definition({ initial: { v: 1 } })) },
    { input: "defineOptimizer({ name: 'sgd' }) (a built-in)", names: 'sgd', run: () => defineOptimizer(definition({ name: 'sgd', replace: undefined })) },
    {
      input: 'signum({ lr: 0.1 }) (an optimizer defineOptimizer made)',
      names: 'lr',
      run: () => (defineOptimizer(definition({})) as (o: object) => unknown)({ lr: 0.1 }),
    },

    // Bad inputs at a step: the Optimizer (or the functional state) must be left as it was.
    {
      input: 'a learning-rate schedule going negative at step 1 (Optimizer)',
      names: 'learningRate',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, adam({ learningRate: (t) => 0.1 - 0.2 * t }));
        opt.step(grads);
      },
    },
    {
      input: 'a decay mask without the parameter b (Optimizer)',
      names: 'b',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, chain(addDecayedWeights(0.1, bad({ w: true })), sgd({ learningRate: 0.1 })));
        opt.step(grads);
      },
    },
    {
      input: 'a weight-decay mask predicate that forgets to return (Optimizer)',
      names: 'w',
      run: async (ctx) => {
        const { opt, grads } = await watched(
          ctx,
          chain(
            addDecayedWeights(
              0.1,
              bad((path: string) => (path === 'b' ? false : undefined)),
            ),
            sgd({ learningRate: 0.1 }),
          ),
        );
        opt.step(grads);
      },
    },
    {
      input: 'adam().update(grads with a wrong shape, state, params)',
      names: 'w',
      run: async (ctx) => {
        const tx = adam({ learningRate: 0.1 });
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 2]), b: tf.tensor1d([1, 2]) }, state, params));
      },
    },
    {
      input: 'adam().update(grads missing b, state, params)',
      names: 'b',
      run: async (ctx) => {
        const tx = adam({ learningRate: 0.1 });
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 2, 3]) }, state, params));
      },
    },
    {
      input: 'adamw({ weightDecay: 0.1 }).update(grads, state) without the parameters',
      names: 'weightDecay',
      run: async (ctx) => {
        const tx = adamw({ weightDecay: 0.1 });
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update(params, state));
      },
    },
    {
      input: 'lamb().update(grads, state) without the parameters',
      names: 'params',
      run: async (ctx) => {
        const tx = lamb();
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update(params, state));
      },
    },
    {
      input: 'accumulate(2, adam()).update(grads with an extra key, state, params)',
      names: 'c',
      run: async (ctx) => {
        const tx = accumulate(2, adam());
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update({ ...params, c: tf.scalar(1) }, state, params));
      },
    },
  ]));
