import { describe, expect, it } from 'vitest';
import { glorotNormal, glorotUniform, xavierNormal, xavierUniform } from './glorot.js';
import { expectHyperError, expectOneTensor, expectWithin, LAYOUTS, statsOf, valuesOf } from './test-support.js';

// Glorot & Bengio 2010; torch.nn.init.xavier_uniform_: bound = gain·√(6/(fan_in + fan_out));
// xavier_normal_: std = gain·√(2/(fan_in + fan_out)). Both: Var = gain²·2/(fanIn + fanOut).
describe('glorotUniform / glorotNormal (torch.nn.init.xavier_uniform_ / xavier_normal_)', () => {
  for (const { what, shape, fanIn, fanOut } of LAYOUTS) {
    const variance = 2 / (fanIn + fanOut);
    it(`${what}: uniform has Var = 2/(fanIn + fanOut) within 5 % and stays inside ±√(6/(fanIn + fanOut))`, async () => {
      const s = await statsOf(glorotUniform({ seed: 1 })(shape));
      expectWithin(s.meanSquare, variance, 0.05, 'variance');
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(Math.fround(bound));
      expect(Math.max(-s.min, s.max)).toBeGreaterThan(0.99 * bound);
    });
    it(`${what}: normal has Var = 2/(fanIn + fanOut) within 5 %`, async () => {
      const s = await statsOf(glorotNormal({ seed: 2 })(shape));
      expectWithin(s.meanSquare, variance, 0.05, 'variance');
    });
  }

  it("gain and nonlinearity scale the standard deviation (tanh's 5/3)", async () => {
    const [fanIn, fanOut] = [300, 200];
    const byGain = await statsOf(glorotNormal({ gain: 5 / 3, seed: 3 })([fanIn, fanOut]));
    expectWithin(byGain.meanSquare, (25 / 9) * (2 / (fanIn + fanOut)), 0.05, 'gain 5/3');
    const byName = await valuesOf(glorotNormal({ nonlinearity: 'tanh', seed: 3 })([fanIn, fanOut]));
    expect(byName).toEqual(await valuesOf(glorotNormal({ gain: 5 / 3, seed: 3 })([fanIn, fanOut])));
  });

  it('xavier* are the same functions (PyTorch names)', () => {
    expect(xavierUniform).toBe(glorotUniform);
    expect(xavierNormal).toBe(glorotNormal);
  });

  it('rejects rank 1, a bad gain, gain with nonlinearity, an unknown nonlinearity (listing names); leaks nothing', async () => {
    expectHyperError(() => glorotUniform({ seed: 0 })([10]), 'shape', /rank ≥ 2/);
    expectHyperError(() => glorotUniform({ gain: 0 }), 'gain', /\(0, ∞\)/);
    expectHyperError(() => glorotNormal({ gain: 2, nonlinearity: 'relu' }), 'gain', /either/);
    expectHyperError(() => glorotUniform({ a: 0.2 }), 'a', /set nonlinearity: 'leakyRelu'/);
    expectHyperError(() => glorotNormal({ nonlinearity: 'gelu' }), 'nonlinearity', /linear, conv1d.*leakyRelu, selu/);
    await expectOneTensor(glorotUniform({ seed: 0 }), [3, 3, 2, 4]);
  });
});
