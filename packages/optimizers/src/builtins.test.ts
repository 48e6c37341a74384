import { HyperParameterError } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { optimizerFromConfig, optimizerNames } from './index.js';

const BUILTINS = ['adabelief', 'adadelta', 'adafactor', 'adagrad', 'adam', 'adamax', 'adamw', 'lamb', 'lars', 'lion', 'nadam', 'radam', 'rmsprop', 'sgd'];

describe('built-in optimizers by name', () => {
  it('knows every built-in optimizer', () => {
    for (const name of BUILTINS) expect(optimizerNames()).toContain(name);
  });

  it('builds each one from a plain config, with its options resolved', () => {
    for (const name of BUILTINS) {
      const tx = optimizerFromConfig({ name, learningRate: 0.01 });
      expect(tx.name).toBe(name);
      expect((tx.options as { learningRate?: unknown }).learningRate).toBe(0.01);
    }
    expect(optimizerFromConfig({ name: 'adamw', learningRate: 3e-4 }).options).toMatchObject({ weightDecay: 1e-2, beta1: 0.9 });
  });

  it('passes bad options to the optimizer, which names the field', () => {
    try {
      optimizerFromConfig({ name: 'adam', beta1: 1.5 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HyperParameterError);
      expect((e as HyperParameterError).field).toBe('beta1');
    }
  });

  it('lists the known names for an unknown one', () => {
    expect(() => optimizerFromConfig({ name: 'adamm' })).toThrow(
      /unknown transformation 'adamm' at 'config.name' \(did you mean 'adam'\?\); known: .*adabelief, adadelta, .*sgd/,
    );
  });
});
