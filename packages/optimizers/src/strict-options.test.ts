import { Optimizer, UnknownOptionError } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ademamix } from './ademamix.js';
import { adopt } from './adopt.js';
import { emaParams } from './ema-params.js';
import {
  adabelief,
  adadelta,
  adafactor,
  adagrad,
  adam,
  adamax,
  adamw,
  defineOptimizer,
  lamb,
  lars,
  lion,
  nadam,
  optimizerFromConfig,
  radam,
  rmsprop,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  trace,
} from './index.js';
import { lookahead } from './lookahead.js';
import { muon } from './muon.js';
import { prodigy } from './prodigy.js';
import { scheduleFreeAdamW } from './schedule-free-adamw.js';
import { scheduleFreeSgd } from './schedule-free-sgd.js';

// Every options object is checked: an unknown key is an UnknownOptionError naming it, listing the
// valid names and suggesting the closest (PyTorch's spellings mapped), never a silent default. Before
// this, `adam({ lr: 0.5 })` trained at 1e-3 and `sgd({ momentun: 0.9 })` without momentum.

/** The UnknownOptionError `make()` throws. */
function unknownOption(make: () => unknown): UnknownOptionError {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(UnknownOptionError);
    return e as UnknownOptionError;
  }
  throw new Error('accepted an unknown option silently');
}

const FACTORIES: readonly [string, (o: object) => unknown, readonly string[]][] = [
  ['sgd', (o) => sgd({ learningRate: 0.1, ...o }), ['learningRate', 'momentum', 'dampening', 'nesterov', 'weightDecay']],
  ['adam', (o) => adam(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad', 'weightDecay']],
  ['adamw', (o) => adamw(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad', 'weightDecay']],
  ['adamax', (o) => adamax(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']],
  ['nadam', (o) => nadam(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'momentumDecay', 'decoupledWeightDecay']],
  ['radam', (o) => radam(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'decoupledWeightDecay']],
  ['adabelief', (o) => adabelief(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'epsilonRoot']],
  ['rmsprop', (o) => rmsprop(o), ['learningRate', 'alpha', 'epsilon', 'momentum', 'centered', 'weightDecay']],
  ['adagrad', (o) => adagrad(o), ['learningRate', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'epsilon']],
  ['adadelta', (o) => adadelta(o), ['learningRate', 'rho', 'epsilon', 'weightDecay']],
  ['lion', (o) => lion(o), ['learningRate', 'beta1', 'beta2', 'weightDecay']],
  ['lamb', (o) => lamb(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']],
  ['lars', (o) => lars({ learningRate: 0.1, ...o }), ['learningRate', 'momentum', 'weightDecay', 'trustCoefficient', 'epsilon', 'nesterov']],
  [
    'adafactor',
    (o) => adafactor(o),
    [
      'learningRate',
      'minDimSizeToFactor',
      'decayRate',
      'decayOffset',
      'multiplyByParameterScale',
      'clippingThreshold',
      'momentum',
      'weightDecay',
      'epsilon',
      'factored',
    ],
  ],
  ['scaleByAdam', (o) => scaleByAdam(o), ['beta1', 'beta2', 'epsilon', 'epsilonRoot', 'amsgrad']],
  ['scaleByLearningRate', (o) => scaleByLearningRate(0.1, o), ['flipSign']],
  ['trace', (o) => trace({ decay: 0.9, ...o }), ['decay', 'nesterov']],
  ['muon', (o) => muon(o), ['learningRate', 'weightDecay', 'momentum', 'nesterov', 'nsSteps', 'epsilon', 'adjustLr', 'muonParams', 'adamw']],
  ['scheduleFreeAdamW', (o) => scheduleFreeAdamW(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'warmupSteps', 'r', 'weightLrPower']],
  ['scheduleFreeSgd', (o) => scheduleFreeSgd({ learningRate: 0.1, ...o }), ['learningRate', 'momentum', 'weightDecay', 'warmupSteps', 'r', 'weightLrPower']],
  ['adopt', (o) => adopt(o), ['learningRate', 'beta1', 'beta2', 'epsilon', 'nesterov', 'useClipping', 'weightDecay']],
  ['prodigy', (o) => prodigy(o), ['learningRate', 'beta1', 'beta2', 'beta3', 'epsilon', 'd0', 'dCoef', 'growthRate', 'weightDecay', 'safeguardWarmup']],
  ['ademamix', (o) => ademamix(o), ['learningRate', 'beta1', 'beta2', 'beta3', 'alpha', 'epsilon', 'epsilonRoot', 'weightDecay']],
  ['lookahead', (o) => lookahead(adam(), o), ['syncPeriod', 'slowStepSize']],
  ['emaParams', (o) => emaParams(adam(), o), ['decay', 'debias']],
];

describe('strict options', () => {
  for (const [name, make, valid] of FACTORIES) {
    it(`${name}: an unknown key is an UnknownOptionError listing exactly its ${valid.length} options`, () => {
      const e = unknownOption(() => make({ notAnOption: 1 }));
      expect(e.field).toBe('notAnOption');
      expect([...e.validKeys].sort()).toEqual([...valid].sort());
      expect(e.message).toContain(`${name}: unknown option 'notAnOption'`);
    });
  }

  it("adam({ lr: 0.5 }) → did you mean 'learningRate' (it trained at the default 1e-3 before)", () => {
    const e = unknownOption(() => adam({ lr: 0.5 } as never));
    expect(e.field).toBe('lr');
    expect(e.suggestion).toBe('learningRate');
    expect(e.message).toMatch(/did you mean 'learningRate'\?/);
  });

  it("sgd({ learningRate: 0.1, momentun: 0.9 }) → did you mean 'momentum' (it trained without momentum before)", () => {
    const e = unknownOption(() => sgd({ learningRate: 0.1, momentun: 0.9 } as never));
    expect([e.field, e.suggestion]).toEqual(['momentun', 'momentum']);
  });

  for (const [input, make, field, suggestion] of [
    ['adam({ betas: [0.9, 0.99] })', () => adam({ betas: [0.9, 0.99] } as never), 'betas', 'beta1'],
    ['adamw({ eps: 1e-6 })', () => adamw({ eps: 1e-6 } as never), 'eps', 'epsilon'],
    ['adamw({ weight_decay: 0.05 })', () => adamw({ weight_decay: 0.05 } as never), 'weight_decay', 'weightDecay'],
    ['nadam({ momentum_decay: 4e-3 })', () => nadam({ momentum_decay: 4e-3 } as never), 'momentum_decay', 'momentumDecay'],
    ['adagrad({ lr_decay: 0.1 })', () => adagrad({ lr_decay: 0.1 } as never), 'lr_decay', 'lrDecay'],
    [
      'adagrad({ initial_accumulator_value: 0.1 })',
      () => adagrad({ initial_accumulator_value: 0.1 } as never),
      'initial_accumulator_value',
      'initialAccumulatorValue',
    ],
    ['lars({ trust_coefficient: 0.01 })', () => lars({ learningRate: 0.1, trust_coefficient: 0.01 } as never), 'trust_coefficient', 'trustCoefficient'],
    ['rmsprop({ alpah: 0.9 })', () => rmsprop({ alpah: 0.9 } as never), 'alpah', 'alpha'],
    ['muon({ ns_steps: 3 })', () => muon({ ns_steps: 3 } as never), 'ns_steps', 'nsSteps'],
    ['muon({ lr: 0.02 })', () => muon({ lr: 0.02 } as never), 'lr', 'learningRate'],
    ['scheduleFreeAdamW({ weight_lr_power: 1 })', () => scheduleFreeAdamW({ weight_lr_power: 1 } as never), 'weight_lr_power', 'weightLrPower'],
    ['scheduleFreeAdamW({ warmup_steps: 100 })', () => scheduleFreeAdamW({ warmup_steps: 100 } as never), 'warmup_steps', 'warmupSteps'],
    ['prodigy({ d_coef: 0.5 })', () => prodigy({ d_coef: 0.5 } as never), 'd_coef', 'dCoef'],
    ['lookahead(adam(), { sync_period: 5 })', () => lookahead(adam(), { sync_period: 5 } as never), 'sync_period', 'syncPeriod'],
    ["optimizerFromConfig({ name: 'adam', lr })", () => optimizerFromConfig({ name: 'adam', lr: 0.5 }), 'lr', 'learningRate'],
  ] as const) {
    it(`${input} → did you mean '${suggestion}'`, () => {
      const e = unknownOption(make);
      expect([e.field, e.suggestion]).toEqual([field, suggestion]);
    });
  }

  it("the options of an optimizer made by defineOptimizer are strict too, with PyTorch's spellings mapped", () => {
    const signum = defineOptimizer({
      name: 'strictOptionsSignum',
      defaults: { learningRate: 0.1, beta: 0.9 },
      slots: ['m'],
      step: ({ grad, slots, hyper }) => ({ update: tf.mul(grad, -hyper.learningRate), slots: { m: slots.m } }),
    });
    const e = unknownOption(() => signum({ lr: 0.5 } as never));
    expect([e.field, e.suggestion]).toEqual(['lr', 'learningRate']);
    expect(unknownOption(() => signum({ bta: 0.5 } as never)).suggestion).toBe('beta');
  });

  it('a valid options object still trains with what it says: adam({ learningRate: 0.5 }) moves by 0.5 at its first step', async () => {
    // Adam's first step is −η·g/(|g| + ε·…) ≈ −η·sign(g).
    const params = { w: tf.variable(tf.tensor1d([1, 1])) };
    const opt = new Optimizer(params, adam({ learningRate: 0.5 }));
    const g = { w: tf.tensor1d([2, -3]) };
    opt.step(g);
    await expectClose(params.w, [0.5, 1.5], { rtol: 1e-6 });
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });
});
