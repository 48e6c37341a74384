import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  registeredNames,
  registerSchedule,
  registerTransformation,
  scheduleConfigOf,
  scheduleFromConfig,
  transformationFromConfig,
  transformationToConfig,
  withConfig,
} from './config.js';
import { GradkitError, HyperParameterError } from './errors.js';
import { heavyBall } from './fixtures/heavy-ball.js';
import type { HyperParam } from './hyper.js';
import { Optimizer } from './optimizer/optimizer.js';
import { partition } from './partition.js';
import { chain } from './transform.js';

const halving = (o: Record<string, unknown>) => withConfig((t: number) => (o.initial as number) / 2 ** t, { schedule: 'testHalving', ...o });
const register = () => {
  registerTransformation('testHeavyBall', (o) => heavyBall(o.learningRate as HyperParam, o.momentum as number), { replace: true });
  registerSchedule('testHalving', halving, { replace: true });
};

describe('configs', () => {
  it('builds a chain with a schedule from JSON, and writes it back to the same JSON', () => {
    register();
    const config = {
      chain: [
        { name: 'testHeavyBall', learningRate: 0.1, momentum: 0.9 },
        { name: 'testHeavyBall', learningRate: { schedule: 'testHalving', initial: 1 }, momentum: 0 },
      ],
    };
    const tx = transformationFromConfig(JSON.parse(JSON.stringify(config)));
    expect(tx.parts?.map((p) => p.name)).toEqual(['heavyBall', 'heavyBall']);
    const lr = (tx.parts?.[1]?.options as { learningRate: (t: number) => number } | undefined)?.learningRate as (t: number) => number;
    expect([lr(0), lr(3)]).toEqual([1, 0.125]);
    expect(scheduleConfigOf(lr)).toEqual({ schedule: 'testHalving', initial: 1 });
    // heavyBall's name is not the registered 'testHeavyBall', so it cannot be written back by name
    expect(() => transformationToConfig(tx)).toThrow(/unknown transformation 'heavyBall'/);
    registerTransformation('heavyBall', (o) => heavyBall(o.learningRate as HyperParam, o.momentum as number), { replace: true });
    expect(JSON.parse(JSON.stringify(transformationToConfig(tx)))).toEqual({
      chain: [
        { name: 'heavyBall', learningRate: 0.1, momentum: 0.9 },
        { name: 'heavyBall', learningRate: { schedule: 'testHalving', initial: 1 }, momentum: 0 },
      ],
    });
  });

  it('rejects unknown names with the closest, and says which package holds a known one', () => {
    register();
    expect(() => transformationFromConfig({ name: 'testHeavyBal' })).toThrow(/did you mean 'testHeavyBall'/);
    expect(() => scheduleFromConfig({ schedule: 'nope' })).toThrow(HyperParameterError);
    // monitorGradients is not registered (it holds a callback): the hint names its package
    expect(registeredNames('transformation')).not.toContain('monitorGradients');
    const error = (() => {
      try {
        transformationFromConfig({ chain: [{ name: 'testHeavyBall', learningRate: 0.1, momentum: 0 }, { name: 'monitorGradients' }] });
      } catch (e) {
        return e as HyperParameterError;
      }
    })();
    expect(error?.field).toBe('config.chain.1.name');
    expect(error?.message).toMatch(/@gradkit\/diagnostics/);
    expect(() => transformationFromConfig({ chain: [], extra: 1 } as never)).toThrow(/only 'chain'/);
    expect(() => transformationFromConfig('adam' as never)).toThrow(HyperParameterError);
  });

  it('a schedule without a config, or a function option, cannot be written as JSON: typed error naming the option', () => {
    register();
    registerTransformation('heavyBall', (o) => heavyBall(o.learningRate as HyperParam, o.momentum as number), { replace: true });
    expect(() => transformationToConfig(chain(heavyBall((t) => 1 / (t + 1), 0)))).toThrow(/config.chain.0.learningRate/);
  });

  it('registering a name that exists is an error unless replace: true; built-ins of the same package may register again', () => {
    registerTransformation('testTaken', () => heavyBall(0.1, 0), { replace: true });
    expect(() => registerTransformation('testTaken', () => heavyBall(0.2, 0))).toThrow(GradkitError);
    registerTransformation('testBuiltin', () => heavyBall(0.1, 0), { builtinOf: '@gradkit/test', replace: true });
    registerTransformation('testBuiltin', () => heavyBall(0.1, 0), { builtinOf: '@gradkit/test' });
    expect(() => registerTransformation('testBuiltin', () => heavyBall(0.1, 0))).toThrow(/registered already \(by @gradkit\/test\)/);
  });

  it("partition and setToZero from JSON: labels are data, even for a parameter called 'name' (a hand-computed step)", async () => {
    register();
    registerTransformation('heavyBall', (o) => heavyBall(o.learningRate as HyperParam, o.momentum as number), { replace: true });
    const config = {
      name: 'partition',
      transforms: { train: { name: 'heavyBall', learningRate: 0.5, momentum: 0 }, frozen: { name: 'setToZero' } },
      labels: { name: 'train', schedule: 'frozen' },
    };
    const tx = transformationFromConfig(JSON.parse(JSON.stringify(config)));
    expect(transformationToConfig(tx)).toEqual(config);
    const params = { name: tf.variable(tf.scalar(1)), schedule: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(params, tx);
    opt.step({ name: tf.scalar(2), schedule: tf.scalar(2) });
    expect([...(await params.name.data()), ...(await params.schedule.data())]).toEqual([0, 1]);
    expect(() => transformationToConfig(partition({ a: heavyBall(0.1, 0) }, () => 'a'))).toThrow(/config\.labels/);
    opt.dispose();
    tf.dispose([params.name, params.schedule]);
  });
});
