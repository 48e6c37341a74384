import { describe, expect, it } from 'vitest';
import { lecunNormal, lecunUniform } from './lecun.js';
import { expectHyperError, expectOneTensor, expectWithin, LAYOUTS, statsOf } from './test-support.js';

// LeCun et al. 1998; Keras LecunUniform / JAX lecun_uniform: bound = √(3/fanIn); normal std = 1/√fanIn.
describe('lecunUniform / lecunNormal', () => {
  for (const { what, shape, fanIn } of LAYOUTS) {
    it(`${what}: Var = 1/fanIn within 5 % (uniform inside ±√(3/fanIn))`, async () => {
      const u = await statsOf(lecunUniform({ seed: 1 })(shape));
      expectWithin(u.meanSquare, 1 / fanIn, 0.05, 'uniform variance');
      expect(Math.max(-u.min, u.max)).toBeLessThanOrEqual(Math.fround(Math.sqrt(3 / fanIn)));
      const n = await statsOf(lecunNormal({ seed: 2 })(shape));
      expectWithin(n.meanSquare, 1 / fanIn, 0.05, 'normal variance');
    });
  }

  it('gain scales the standard deviation; bad gain and rank 1 are rejected; no leaks', async () => {
    expectWithin((await statsOf(lecunNormal({ gain: 2, seed: 3 })([400, 300]))).meanSquare, 4 / 400, 0.05, 'gain 2');
    expectHyperError(() => lecunNormal({ gain: -1 }), 'gain');
    expectHyperError(() => lecunUniform({ seed: 1 })([3]), 'shape');
    await expectOneTensor(lecunNormal({ seed: 0 }), [4, 4]);
  });
});
