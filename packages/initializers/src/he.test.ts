import { gain } from '@gradkit/activations';
import { describe, expect, it } from 'vitest';
import { heNormal, heUniform, kaimingNormal, kaimingUniform } from './he.js';
import { expectHyperError, expectOneTensor, expectWithin, LAYOUTS, statsOf, valuesOf } from './test-support.js';

// He et al. 2015; torch.nn.init.kaiming_uniform_(a=0, mode='fan_in', nonlinearity='leaky_relu'):
// std = gain/√fan, bound = √3·std, gain = calculate_gain('leaky_relu', a) = √(2/(1 + a²)).
describe('heUniform / heNormal (torch.nn.init.kaiming_uniform_ / kaiming_normal_)', () => {
  for (const { what, shape, fanIn, fanOut } of LAYOUTS) {
    it(`${what}: default (ReLU, fanIn) has Var = 2/fanIn within 5 %, uniform inside ±√(6/fanIn)`, async () => {
      const u = await statsOf(heUniform({ seed: 1 })(shape));
      expectWithin(u.meanSquare, 2 / fanIn, 0.05, 'uniform variance');
      expect(Math.max(-u.min, u.max)).toBeLessThanOrEqual(Math.fround(Math.sqrt(6 / fanIn)));
      const n = await statsOf(heNormal({ seed: 2 })(shape));
      expectWithin(n.meanSquare, 2 / fanIn, 0.05, 'normal variance');
    });
    it(`${what}: mode fanOut gives 2/fanOut, fanAvg 4/(fanIn + fanOut)`, async () => {
      expectWithin((await statsOf(heNormal({ mode: 'fanOut', seed: 3 })(shape))).meanSquare, 2 / fanOut, 0.05, 'fanOut');
      expectWithin((await statsOf(heUniform({ mode: 'fanAvg', seed: 4 })(shape))).meanSquare, 4 / (fanIn + fanOut), 0.05, 'fanAvg');
    });
  }

  it("a = √5 is PyTorch's nn.Linear default: U(−1/√fanIn, 1/√fanIn)", async () => {
    const fanIn = 400;
    const s = await statsOf(kaimingUniform({ a: Math.sqrt(5), seed: 5 })([fanIn, 300]));
    expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(Math.fround(1 / Math.sqrt(fanIn)) * (1 + 1e-7));
    expect(Math.max(-s.min, s.max)).toBeGreaterThan(0.99 / Math.sqrt(fanIn));
    expectWithin(s.meanSquare, 1 / (3 * fanIn), 0.05, 'variance');
  });

  it('nonlinearity and gain pick the gain (tanh 5/3, selu 3/4, an explicit 1.5)', async () => {
    const shape = [500, 200];
    expectWithin((await statsOf(heNormal({ nonlinearity: 'tanh', seed: 6 })(shape))).meanSquare, 25 / 9 / 500, 0.05, 'tanh');
    expectWithin((await statsOf(heNormal({ nonlinearity: 'selu', seed: 7 })(shape))).meanSquare, 9 / 16 / 500, 0.05, 'selu');
    expectWithin((await statsOf(heNormal({ gain: 1.5, seed: 8 })(shape))).meanSquare, 2.25 / 500, 0.05, 'gain 1.5');
    // The default is leakyRelu with a = 0, i.e. relu: the same numbers.
    expect(await valuesOf(heNormal({ seed: 9 })([6, 4]))).toEqual(await valuesOf(heNormal({ nonlinearity: 'relu', seed: 9 })([6, 4])));
    expect(gain('leakyRelu', 0)).toBe(Math.SQRT2);
  });

  it('kaiming* are the same functions (PyTorch names)', () => {
    expect(kaimingUniform).toBe(heUniform);
    expect(kaimingNormal).toBe(heNormal);
  });

  it('rejects an unknown mode or nonlinearity (listing the valid ones), a bad a, rank 1; leaks nothing', async () => {
    expectHyperError(() => heNormal({ mode: 'fan_in' as never }), 'mode', /did you mean mode: 'fanIn'\?.*valid: 'fanIn', 'fanOut', 'fanAvg'/);
    expectHyperError(() => heUniform({ nonlinearity: 'swish' }), 'nonlinearity', /valid names/);
    expectHyperError(() => heUniform({ a: Number.NaN }), 'a');
    // Unknown keys are never ignored (an unseeded or fan-in initializer would result): the closest name is suggested.
    expect(() => heNormal({ sed: 0 } as never)).toThrow(/unknown option 'sed' \(did you mean 'seed'\?\)/);
    expect(() => heNormal({ fan_out: true } as never)).toThrow(/unknown option 'fan_out' \(did you mean mode: 'fanOut'\?\)/);
    expectHyperError(() => heNormal({ mode: 'fan_out' as never }), 'mode', /did you mean mode: 'fanOut'\?/);
    // A slope no leakyRelu uses would be ignored (PyTorch ignores it silently): refused instead.
    expectHyperError(() => heNormal({ nonlinearity: 'relu', a: 0.2 }), 'a', /would be ignored with nonlinearity 'relu'/);
    expectHyperError(() => heNormal({ gain: 2, a: 0.2 }), 'a', /with an explicit gain/);
    expectHyperError(() => heNormal({ seed: 0 })([64]), 'shape', /rank ≥ 2/);
    await expectOneTensor(heNormal({ seed: 0 }), [8, 8]);
  });
});
