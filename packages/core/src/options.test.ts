import { describe, expect, it } from 'vitest';
import { HyperParameterError, UnknownOptionError } from './errors.js';
import { checkOptions, describeValue, suggestOption } from './options.js';

const ADAM = ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad', 'weightDecay'];

describe('checkOptions', () => {
  it('returns the options, {} when absent and optional', () => {
    const o = { learningRate: 1 };
    expect(checkOptions('adam', o, ADAM, { example: 'adam()' })).toBe(o);
    expect(checkOptions('adam', undefined, ADAM, { example: 'adam()' })).toEqual({});
  });

  it('rejects an unknown key with the valid names and the closest one', () => {
    let error: unknown;
    try {
      checkOptions('sgd', { learningRate: 0.1, momentun: 0.9 }, ['learningRate', 'momentum', 'dampening'], { example: 'sgd({ learningRate: 0.1 })' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownOptionError);
    const u = error as UnknownOptionError;
    expect([u.field, u.suggestion, u.code]).toEqual(['momentun', 'momentum', 'UNKNOWN_OPTION']);
    expect(u.validKeys).toEqual(['learningRate', 'momentum', 'dampening']);
    expect(u.message).toBe("sgd: unknown option 'momentun' (did you mean 'momentum'?); valid options: learningRate, momentum, dampening");
  });

  it("maps PyTorch's and optax's spellings to gradkit's", () => {
    expect(suggestOption('lr', ADAM)?.key).toBe('learningRate');
    expect(suggestOption('eps', ADAM)?.key).toBe('epsilon');
    expect(suggestOption('weight_decay', ADAM)?.key).toBe('weightDecay');
    expect(suggestOption('betas', ADAM)?.write).toMatch(/beta1 and beta2/);
    expect(suggestOption('fan_out', ['mode', 'seed'])?.write).toBe("mode: 'fanOut'");
    expect(suggestOption('momentum_decay', ['learningRate', 'momentumDecay'])?.key).toBe('momentumDecay');
    expect(suggestOption('max_norm', ['maxNorm', 'normType'])?.key).toBe('maxNorm');
    // an alias is offered only where its target exists
    expect(suggestOption('eps', ['seed', 'gain'])).toBeUndefined();
    expect(suggestOption('zzzzzz', ADAM)).toBeUndefined();
  });

  it('rejects options that are not an object, and required options that are absent', () => {
    expect(() => checkOptions('sgd', undefined, ['learningRate'], { example: 'sgd({ learningRate: 0.1 })', required: true })).toThrow(HyperParameterError);
    for (const bad of [null, 0.1, 'x', [1]]) expect(() => checkOptions('adam', bad as never, ADAM, { example: 'adam()' })).toThrow(/needs an options object/);
  });

  it('suggests a name the unknown key begins (train → training), and PyTorch init spellings', () => {
    expect(suggestOption('train', ['training'])?.key).toBe('training');
    expect(suggestOption('act', ['inFeatures', 'activation'])?.key).toBe('activation');
    expect(suggestOption('a', ['min', 'max', 'seed'])?.key).toBe('min');
    expect(suggestOption('negative_slope', ['a', 'mode'])?.key).toBe('a');
  });
});

describe('describeValue', () => {
  it('names values without reading a tensor', () => {
    const tensorLike = { dtype: 'float32', shape: [2, 3], isDisposed: true };
    expect([null, 3, 'x', [1, 2], {}, tensorLike, () => 1, new Map()].map(describeValue)).toEqual([
      'null',
      '3',
      'the string "x"',
      'an array of 2',
      'an object',
      'a disposed tensor float32[2, 3]',
      'a function',
      'a Map',
    ]);
  });
});
