import { describe, expect, it } from 'vitest';
import { GAIN_NAMES, gain } from './gain.js';
import { expectHyperError } from './test-support.js';

// torch.nn.init.calculate_gain(name[, param]) evaluated by torch 2.13 (torch/nn/init.py); its √2 is
// 1.4142135623730951 = Math.SQRT2.
const TORCH: [string, number | undefined, number][] = [
  ['linear', undefined, 1],
  ['conv1d', undefined, 1],
  ['conv2d', undefined, 1],
  ['conv3d', undefined, 1],
  ['conv_transpose1d', undefined, 1],
  ['conv_transpose2d', undefined, 1],
  ['conv_transpose3d', undefined, 1],
  ['sigmoid', undefined, 1],
  ['tanh', undefined, 1.6666666666666667],
  ['relu', undefined, Math.SQRT2],
  ['leaky_relu', undefined, 1.4141428569978354],
  ['leaky_relu', 0.2, 1.3867504905630728],
  ['leaky_relu', 0, Math.SQRT2],
  ['leaky_relu', -1.5, 0.7844645405527362],
  ['selu', undefined, 0.75],
];

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe('gain (torch.nn.init.calculate_gain)', () => {
  it("matches PyTorch's table, in PyTorch's names and in camelCase", () => {
    for (const [name, param, expected] of TORCH) {
      expect(gain(name, param), name).toBe(expected);
      expect(gain(camel(name), param), camel(name)).toBe(expected);
    }
  });

  it('hand-worked: leakyRelu √(2/(1 + slope²)), tanh 5/3, relu √2, selu 3/4; identity is linear', () => {
    expect(gain('leakyRelu', 0.5)).toBeCloseTo(Math.sqrt(2 / 1.25), 15);
    expect(gain('tanh')).toBe(5 / 3);
    expect(gain('relu')).toBe(Math.SQRT2);
    expect(gain('selu')).toBe(0.75);
    expect(gain('identity')).toBe(1);
    expect(gain('relu', 123)).toBe(Math.SQRT2); // param is ignored, as PyTorch
  });

  it('lists every camelCase name', () => {
    expect(GAIN_NAMES).toEqual([
      'linear',
      'conv1d',
      'conv2d',
      'conv3d',
      'convTranspose1d',
      'convTranspose2d',
      'convTranspose3d',
      'sigmoid',
      'tanh',
      'relu',
      'leakyRelu',
      'selu',
    ]);
  });

  it('rejects unknown names (listing the valid ones) and a bad slope', () => {
    expectHyperError(() => gain('gelu'), 'nonlinearity', /unsupported nonlinearity 'gelu'.*linear, conv1d.*leakyRelu, selu/);
    expectHyperError(() => gain('Relu'), 'nonlinearity');
    expectHyperError(() => gain('hasOwnProperty'), 'nonlinearity');
    expectHyperError(() => gain('leakyRelu', Number.NaN), 'param', /finite/);
    expectHyperError(() => gain('leaky_relu', true as never), 'param');
  });

  it('suggests the closest name, but not for an activation that has no gain (gelu is not selu)', () => {
    expectHyperError(() => gain('Relu'), 'nonlinearity', /did you mean 'relu'\?/);
    expectHyperError(() => gain('leaky-relu'), 'nonlinearity', /did you mean 'leakyRelu'\?/);
    expectHyperError(() => gain('tahn'), 'nonlinearity', /did you mean 'tanh'\?/);
    for (const name of ['gelu', 'silu', 'mish']) {
      expectHyperError(() => gain(name), 'nonlinearity', /no agreed gain/);
      expect(() => gain(name)).not.toThrow(/did you mean/);
    }
    expectHyperError(() => gain(undefined as never), 'nonlinearity', /got undefined, but a name is a string/);
  });

  it('checks param for every nonlinearity when it is given (PyTorch ignores it for all but leakyRelu)', () => {
    expect(gain('tanh', 0.3)).toBe(5 / 3);
    expectHyperError(() => gain('tanh', '0.2' as never), 'param', /must be a finite number, got the string "0.2"/);
    expectHyperError(() => gain('leakyRelu', 1e39), 'param', /float32/);
  });
});
