import {
  chain,
  type GradientTransformation,
  GradkitError,
  HyperParameterError,
  registeredNames,
  registerSchedule,
  UnknownOptionError,
  withConfig,
} from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ademamix } from './ademamix.js';
import { adopt } from './adopt.js';
import { BUILTIN_OPTIMIZERS } from './builtins.js';
import { cautious } from './cautious.js';
import { emaParams } from './ema-params.js';
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
  optimizerNames,
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
import { lookahead } from './lookahead.js';
import { muon } from './muon.js';
import { prodigy } from './prodigy.js';
import { scheduleFreeAdamW } from './schedule-free-adamw.js';
import { scheduleFreeSgd } from './schedule-free-sgd.js';
import { runFunctional } from './test-kit.js';

// A schedule with a JSON config, registered the way @gradkit/schedules registers its own (this package
// does not depend on it): η(t) = initial · 0.5^t.
const halving = (o: Record<string, unknown>) => {
  const initial = o.initial as number;
  return withConfig((t: number) => initial * 0.5 ** t, { schedule: 'optimizersTestHalving', initial });
};
registerSchedule('optimizersTestHalving', halving, { replace: true });

/** Every transformation this package registers, each with options away from its defaults (one with a schedule). */
const CASES: readonly [string, () => GradientTransformation][] = [
  ['sgd', () => sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['adam', () => adam({ learningRate: 0.02, beta2: 0.99, amsgrad: true })],
  ['adamw', () => adamw({ learningRate: halving({ initial: 0.05 }), weightDecay: 0.05 })],
  ['adamax', () => adamax({ learningRate: 0.01, epsilon: 1e-6 })],
  ['nadam', () => nadam({ learningRate: 0.01, momentumDecay: 5e-3, decoupledWeightDecay: true, weightDecay: 0.01 })],
  ['radam', () => radam({ learningRate: 0.01, beta2: 0.9 })],
  ['adabelief', () => adabelief({ learningRate: 0.01, epsilonRoot: 1e-12 })],
  ['adadelta', () => adadelta({ rho: 0.95, weightDecay: 0.01 })],
  ['adagrad', () => adagrad({ learningRate: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
  ['rmsprop', () => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5 })],
  ['lion', () => lion({ learningRate: 0.01, weightDecay: 0.1 })],
  ['lamb', () => lamb({ learningRate: 0.01, weightDecay: 0.01 })],
  ['lars', () => lars({ learningRate: 0.1, trustCoefficient: 0.01, nesterov: true })],
  ['adafactor', () => adafactor({ minDimSizeToFactor: 1, momentum: 0.5, clippingThreshold: null })],
  ['scale', () => scale(-0.05)],
  ['scaleByAdam', () => chain(scaleByAdam({ beta2: 0.99, epsilonRoot: 1e-10 }), scale(-0.01))],
  ['scaleByLearningRate', () => scaleByLearningRate(0.05, { flipSign: true })],
  ['trace', () => chain(trace({ decay: 0.9, nesterov: true }), scaleByLearningRate(0.01))],
  ['addDecayedWeights', () => chain(addDecayedWeights(0.1, { w: true, v: false }), scaleByLearningRate(0.05))],
  ['accumulate', () => accumulate(2, adam({ learningRate: 0.05 }))],
  ['masked', () => chain(masked(adam({ learningRate: 0.05 }), { w: true, v: false }), scale(-0.01))],
  // The modern optimizers (SMALL's v is a 1×2 matrix: Muon trains it, AdamW the vector w).
  [
    'muon',
    () =>
      muon({
        learningRate: halving({ initial: 0.04 }),
        momentum: 0.9,
        nesterov: false,
        nsSteps: 4,
        adjustLr: 'matchRmsAdamw',
        adamw: { learningRate: 0.01, beta2: 0.99, weightDecay: 0.05 },
      }),
  ],
  ['scheduleFreeAdamW', () => scheduleFreeAdamW({ learningRate: 0.01, beta1: 0.8, warmupSteps: 2, r: 1, weightLrPower: 1, weightDecay: 0.01 })],
  ['scheduleFreeSgd', () => scheduleFreeSgd({ learningRate: 0.05, momentum: 0.8, warmupSteps: 1, weightDecay: 0.01 })],
  ['adopt', () => adopt({ learningRate: 0.01, beta2: 0.99, nesterov: true, useClipping: false, weightDecay: 0.01 })],
  ['prodigy', () => prodigy({ d0: 1e-4, beta3: 0.9, growthRate: 2, safeguardWarmup: true, weightDecay: 0.01 })],
  ['ademamix', () => ademamix({ learningRate: 0.01, beta3: 0.99, alpha: 4, weightDecay: 0.01 })],
  // The wrappers: the inner optimizer is a nested config.
  ['cautious', () => cautious(lion({ learningRate: 0.01 }))],
  ['lookahead', () => lookahead(adam({ learningRate: 0.05 }), { syncPeriod: 2, slowStepSize: 0.3 })],
  ['emaParams', () => emaParams(adamw({ learningRate: 0.05 }), { decay: 0.9, debias: true })],
];

describe('configs: optimizerToConfig → JSON → optimizerFromConfig', () => {
  it("covers every transformation this package registers, each registered in core's config registry", () => {
    const covered = CASES.map(([name]) => name).sort();
    const optimizers = [...BUILTIN_OPTIMIZERS]; // builtins.test.ts checks this list against the names it expects
    const blocks = ['accumulate', 'addDecayedWeights', 'cautious', 'emaParams', 'lookahead', 'masked', 'scale', 'scaleByAdam', 'scaleByLearningRate', 'trace'];
    expect(covered).toEqual([...optimizers, ...blocks].sort());
    for (const name of optimizers) expect(optimizerNames()).toContain(name);
    for (const name of covered) expect(registeredNames('transformation')).toContain(name);
  });

  for (const [name, make] of CASES) {
    it(`${name}: the JSON round trip gives the same config and options and the same trajectory over 4 steps`, async () => {
      const tx = make();
      const config = optimizerToConfig(tx);
      const json = JSON.parse(JSON.stringify(config));
      expect(json).toEqual(config);
      const again = optimizerFromConfig(json);
      expect(optimizerToConfig(again)).toEqual(config);
      const parts = (t: GradientTransformation) => t.parts ?? [t];
      for (const [i, part] of parts(again).entries()) {
        const original = parts(tx)[i] as GradientTransformation;
        expect(part.name).toBe(original.name);
        // Options without functions (schedules, nested transformations) compare as they are.
        const plain = (o: object) =>
          Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v !== 'function' && !(v && typeof v === 'object' && 'init' in v)));
        expect(plain(part.options)).toEqual(plain(original.options));
      }
      const [a, b] = [await runFunctional(make(), 4), await runFunctional(again, 4)];
      for (const key of Object.keys(a)) await expectClose(b[key] as number[], a[key] as number[], { rtol: 0, atol: 0, what: `${name}, ${key}` });
    });
  }

  it('writes a schedule as its config and a chain as { chain }', () => {
    expect(optimizerToConfig(chain(scaleByAdam(), scaleByLearningRate(halving({ initial: 0.1 }))))).toEqual({
      chain: [
        { name: 'scaleByAdam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, epsilonRoot: 0, amsgrad: false },
        { name: 'scaleByLearningRate', learningRate: { schedule: 'optimizersTestHalving', initial: 0.1 }, flipSign: true },
      ],
    });
  });

  it('builds a chain with a schedule from plain JSON, as the issue writes it', () => {
    const tx = optimizerFromConfig({
      chain: [
        { name: 'scale', factor: 0.5 },
        { name: 'adamw', learningRate: { schedule: 'optimizersTestHalving', initial: 0.1 } },
      ],
    });
    expect(tx.parts?.map((p) => p.name)).toEqual(['scale', 'adamw']);
    expect(tx.parts?.[1]?.hyperParams?.(2).learningRate).toBeCloseTo(0.025, 12);
  });

  it('rejects a function it cannot write (a predicate mask, a schedule without a config), naming the option', () => {
    expect(() => optimizerToConfig(addDecayedWeights(0.1, (p) => p === 'w'))).toThrow(HyperParameterError);
    expect(() => optimizerToConfig(addDecayedWeights(0.1, (p) => p === 'w'))).toThrow(/'config\.mask' is a function without a config/);
    expect(() => optimizerToConfig(adam({ learningRate: (t) => 0.1 / (1 + t) }))).toThrow(/'config\.learningRate' is a function/);
  });

  it("writes muon's AdamW options as a nested object, and refuses a muonParams predicate, naming it", () => {
    expect(optimizerToConfig(muon({ learningRate: 0.02, adamw: { learningRate: 3e-4 } }))).toEqual({
      name: 'muon',
      learningRate: 0.02,
      weightDecay: 0.1,
      momentum: 0.95,
      nesterov: true,
      nsSteps: 5,
      epsilon: 1e-7,
      adjustLr: 'original',
      adamw: { learningRate: 3e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, weightDecay: 0.01 },
    });
    const excluding = muon({ muonParams: (path, p) => p.rank >= 2 && !path.startsWith('head'), adamw: {} });
    let caught: unknown;
    try {
      optimizerToConfig(cautious(excluding));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HyperParameterError);
    expect((caught as HyperParameterError).field).toBe('config.inner.muonParams');
    expect((caught as Error).message).toMatch(/'config\.inner\.muonParams' is a function without a config .*cannot be written as JSON/);
  });

  it('builds the wrappers around a nested config, and names a bad inner config by its path', () => {
    const tx = optimizerFromConfig({ name: 'lookahead', inner: { name: 'cautious', inner: { name: 'lion', learningRate: 1e-3 } }, syncPeriod: 4 });
    expect(tx.options).toMatchObject({ syncPeriod: 4, slowStepSize: 0.5 });
    expect(tx.inner?.name).toBe('cautious');
    expect(tx.inner?.inner?.options).toMatchObject({ learningRate: 1e-3 });
    expect(() => optimizerFromConfig({ name: 'emaParams', inner: { name: 'adamw' }, decay: 1.5 })).toThrow(HyperParameterError);
    expect(() => optimizerFromConfig({ name: 'cautious', inner: { name: 'lino' } })).toThrow(
      /unknown transformation 'lino' at 'config\.inner\.name' \(did you mean 'lion'\?\)/,
    );
    expect(() => optimizerFromConfig({ name: 'cautious' })).toThrow(HyperParameterError);
  });

  it('rejects unknown names with the closest suggestion, and unknown options at any depth', () => {
    for (const [config, pattern] of [
      [{ name: 'adamm' }, /unknown transformation 'adamm' at 'config\.name' \(did you mean 'adam'\?\)/],
      [{ chain: [{ name: 'sgd', learningRate: 0.1 }, { name: 'lamd' }] }, /at 'config\.chain\.1\.name' \(did you mean 'lamb'\?\)/],
      [{ name: 'accumulate', k: 2, inner: { name: 'ada' } }, /unknown transformation 'ada' at 'config\.inner\.name'/],
      [
        { name: 'adam', learningRate: { schedule: 'optimizersTestHalvin', initial: 0.1 } },
        /unknown schedule 'optimizersTestHalvin'.*did you mean 'optimizersTestHalving'/,
      ],
    ] as const) {
      expect(() => optimizerFromConfig(config as never)).toThrow(pattern);
    }
    for (const [config, field, suggestion] of [
      [{ name: 'adam', lr: 0.5 }, 'lr', 'learningRate'],
      [{ name: 'scale', factr: 0.5 }, 'factr', 'factor'],
      [{ name: 'scaleByLearningRate', learningRate: 0.1, flip_sign: false }, 'flip_sign', 'flipSign'],
      [{ name: 'accumulate', k: 2, iner: { name: 'adam' } }, 'iner', 'inner'],
      [{ chain: [{ name: 'trace', decay: 0.9, nesterow: true }] }, 'nesterow', 'nesterov'],
      [{ name: 'muon', ns_steps: 3 }, 'ns_steps', 'nsSteps'],
      [{ name: 'lookahead', inner: { name: 'adam' }, sync_period: 3 }, 'sync_period', 'syncPeriod'],
      [{ name: 'scheduleFreeAdamW', warmup_steps: 10 }, 'warmup_steps', 'warmupSteps'],
    ] as const) {
      let caught: unknown;
      try {
        optimizerFromConfig(config as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UnknownOptionError);
      expect([(caught as UnknownOptionError).field, (caught as UnknownOptionError).suggestion]).toEqual([field, suggestion]);
    }
  });
});

describe('registering names', () => {
  const factory = (o: object) => sgd({ learningRate: 0.1, ...o });

  it('registerOptimizer: a name taken is an error unless { replace: true }', () => {
    registerOptimizer('configTestSgd', factory, { replace: true });
    expect(() => registerOptimizer('configTestSgd', factory)).toThrow(GradkitError);
    expect(() => registerOptimizer('configTestSgd', factory)).toThrow(/a Transformation named 'configTestSgd' is registered already.*replace: true/);
    expect(() => registerOptimizer('adam', (o) => adam(o))).toThrow(/'adam' is registered already \(by @gradkit\/optimizers\)/);
    registerOptimizer('configTestSgd', (o) => sgd({ learningRate: 0.3, ...o }), { replace: true });
    expect(optimizerFromConfig({ name: 'configTestSgd' }).options).toMatchObject({ learningRate: 0.3 });
    expect(optimizerNames()).toContain('configTestSgd');
    expect(() => registerOptimizer('configTestSgd', factory, { replce: true } as never)).toThrow(/did you mean 'replace'/);
  });

  it('defineOptimizer: a name taken is an error unless the definition says replace: true', () => {
    const definition = {
      name: 'configTestSignum',
      defaults: { learningRate: 0.1 },
      slots: ['m'] as const,
      step: ({ grad, slots, hyper }: { grad: tf.Tensor; slots: { m: tf.Tensor }; hyper: { learningRate: number } }) => ({
        update: tf.mul(grad, -hyper.learningRate),
        slots: { m: slots.m },
      }),
      replace: true,
    };
    defineOptimizer(definition);
    expect(() => defineOptimizer({ ...definition, replace: false })).toThrow(/'configTestSignum' is registered already/);
    expect(() => defineOptimizer({ ...definition, name: 'sgd', replace: undefined })).toThrow(/'sgd' is registered already \(by @gradkit\/optimizers\)/);
    const again = defineOptimizer({ ...definition, defaults: { learningRate: 0.2 } });
    expect(again().options).toEqual({ learningRate: 0.2 });
    expect(optimizerFromConfig({ name: 'configTestSignum' }).options).toEqual({ learningRate: 0.2 });
  });
});
