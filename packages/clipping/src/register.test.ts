import {
  chain,
  type GradientTransformation,
  HyperParameterError,
  registeredNames,
  type TransformConfig,
  transformationFromConfig,
  transformationToConfig,
  UnknownOptionError,
} from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { cosineDecay } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adaptiveGradClip, applyIfFinite, clipByGlobalNorm, clipByNorm, clipByValue, zeroNans } from './index.js';
import { grad64, leavesOf, tensors, theta0, updateOnce } from './test-support.js';

/** Every clipping transformation, options off their defaults, and the config that builds it. */
const CASES: [GradientTransformation, TransformConfig][] = [
  [clipByValue(0.5), { name: 'clipByValue', maxAbs: 0.5 }],
  [clipByNorm(2), { name: 'clipByNorm', maxNorm: 2 }],
  [clipByGlobalNorm(1), { name: 'clipByGlobalNorm', maxNorm: 1 }],
  [adaptiveGradClip({ clipping: 0.05, eps: 0.01 }), { name: 'adaptiveGradClip', clipping: 0.05, eps: 0.01 }],
  [zeroNans(), { name: 'zeroNans' }],
  [
    applyIfFinite(chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 })), { maxConsecutiveErrors: 3 }),
    {
      name: 'applyIfFinite',
      maxConsecutiveErrors: 3,
      inner: { chain: [{ name: 'clipByGlobalNorm', maxNorm: 1 }, transformationToConfig(sgd({ learningRate: 0.1 }))] },
    },
  ],
];

describe('clipping configs: registered, built from JSON, written back', () => {
  it('every clipping transformation is registered', () => {
    expect(registeredNames('transformation')).toEqual(
      expect.arrayContaining(['clipByValue', 'clipByNorm', 'clipByGlobalNorm', 'adaptiveGradClip', 'zeroNans', 'applyIfFinite']),
    );
  });

  for (const [tx, config] of CASES) {
    it(`${tx.name}: transformationToConfig gives ${JSON.stringify(config).slice(0, 60)}…, which builds it back with the same options and updates`, async () => {
      const written = JSON.parse(JSON.stringify(transformationToConfig(tx)));
      expect(written).toEqual(config);
      const built = transformationFromConfig(config);
      expect(built.name).toBe(tx.name);
      expect(JSON.parse(JSON.stringify(transformationToConfig(built)))).toEqual(config);
      // the same numbers: one update on the shared test tree
      const theta = theta0();
      const [g, p] = [tensors(grad64(theta)), tensors(theta)];
      expect(await updateOnce(built, g, p)).toEqual(await updateOnce(tx, g, p));
      tf.dispose([...leavesOf(g), ...leavesOf(p)]);
    });
  }

  it("the issue's examples build: { name: 'clipByGlobalNorm', maxNorm: 1 } and applyIfFinite with a nested inner", () => {
    expect(transformationFromConfig({ name: 'clipByGlobalNorm', maxNorm: 1 }).options).toEqual({ maxNorm: 1 });
    const guarded = transformationFromConfig({ name: 'applyIfFinite', inner: { name: 'adam' }, maxConsecutiveErrors: 3 });
    expect(guarded.options).toMatchObject({ maxConsecutiveErrors: 3 });
    expect(guarded.inner?.name).toBe('adam');
    expect(transformationFromConfig({ name: 'applyIfFinite', inner: { name: 'adam' } }).options).toMatchObject({ maxConsecutiveErrors: 5 });
  });

  it('a scheduled threshold round-trips as its schedule config', () => {
    const tx = clipByGlobalNorm(cosineDecay({ initial: 5, decaySteps: 100, final: 1 }));
    const config = JSON.parse(JSON.stringify(transformationToConfig(tx)));
    expect(config).toEqual({ name: 'clipByGlobalNorm', maxNorm: { schedule: 'cosineDecay', initial: 5, decaySteps: 100, final: 1 } });
    const back = transformationFromConfig(config);
    for (const t of [0, 37, 100, 150]) expect(back.hyperParams?.(t)).toEqual(tx.hyperParams?.(t));
  });

  it('unknown config keys are errors, PyTorch spellings suggested; a missing threshold names it', () => {
    const rejects = (
      config: TransformConfig,
      field: string,
      message: RegExp,
      type: abstract new (...args: never[]) => HyperParameterError = UnknownOptionError,
    ) => {
      let error: unknown;
      try {
        transformationFromConfig(config);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      expect((error as HyperParameterError).field).toBe(field);
      expect((error as Error).message).toMatch(message);
    };
    rejects({ name: 'clipByGlobalNorm', max_norm: 1 }, 'max_norm', /did you mean 'maxNorm'/);
    rejects({ name: 'clipByValue', clip_value: 1 }, 'clip_value', /did you mean 'maxAbs'/);
    rejects({ name: 'clipByNorm', maxNorm: 1, normType: 2 }, 'normType', /valid options: maxNorm/);
    rejects({ name: 'applyIfFinite', inner: { name: 'adam' }, max_consecutive_errors: 3 }, 'max_consecutive_errors', /did you mean 'maxConsecutiveErrors'/);
    rejects({ name: 'zeroNans', nan: 0 }, 'nan', /takes no options/);
    rejects({ name: 'adaptiveGradClip', clipping: 0.01, esp: 1e-3 }, 'esp', /did you mean 'eps'/);
    rejects({ name: 'clipByGlobalNorm' }, 'maxNorm', /got nothing/, HyperParameterError);
    rejects({ name: 'applyIfFinite', maxConsecutiveErrors: 3 }, 'inner', /must be a gradient transformation/, HyperParameterError);
  });
});
