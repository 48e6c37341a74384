import { HyperParameterError } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { BUILTIN_OPTIMIZERS } from './builtins.js';
import { optimizerFromConfig, optimizerNames } from './index.js';

const BUILTINS = [
  'adabelief',
  'adadelta',
  'adafactor',
  'adagrad',
  'adam',
  'adamax',
  'adamw',
  'ademamix',
  'adopt',
  'lamb',
  'lars',
  'lion',
  'muon',
  'nadam',
  'prodigy',
  'radam',
  'rmsprop',
  'scheduleFreeAdamW',
  'scheduleFreeSgd',
  'sgd',
];

describe('built-in optimizers by name', () => {
  it('knows every built-in optimizer, and registers no other', () => {
    for (const name of BUILTINS) expect(optimizerNames()).toContain(name);
    expect([...BUILTIN_OPTIMIZERS].sort()).toEqual(BUILTINS);
  });

  it('builds each one from a plain config, with its options resolved', () => {
    for (const name of BUILTINS) {
      const tx = optimizerFromConfig({ name, learningRate: 0.01 });
      expect(tx.name).toBe(name);
      expect((tx.options as { learningRate?: unknown }).learningRate).toBe(0.01);
    }
    expect(optimizerFromConfig({ name: 'adamw', learningRate: 3e-4 }).options).toMatchObject({ weightDecay: 1e-2, beta1: 0.9 });
    // The modern ones with their references' defaults (DESIGN.md §4; torch.optim.Muon, facebookresearch/schedule_free).
    expect(optimizerFromConfig({ name: 'muon' }).options).toMatchObject({ learningRate: 1e-3, weightDecay: 0.1, momentum: 0.95, nsSteps: 5 });
    expect(optimizerFromConfig({ name: 'scheduleFreeAdamW' }).options).toMatchObject({ learningRate: 0.0025, beta1: 0.9, weightLrPower: 2 });
    expect(optimizerNames().filter((n) => /^(muon|cautious|lookahead|emaParams)$/.test(n))).toEqual(['muon']); // the wrappers are building blocks
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
