import { describe } from 'vitest';
import { silu } from './silu.js';
import { activationSuite } from './test-support.js';

// Reference: aten `silu_kernel`: x / (1 + exp(−x)); `silu_backward_kernel`:
// sigmoid = 1/(1 + exp(−x)), grad·sigmoid·(1 + x·(1 − sigmoid)).
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const ref = { f: (x: number) => x / (1 + Math.exp(-x)), df: (x: number) => sig(x) * (1 + x * (1 - sig(x))) };

describe('silu (torch.nn.functional.silu)', () => {
  activationSuite(silu, ref, {
    // mpmath (40 digits): the exact function and derivative in the tails.
    tail: [
      [-50.0, -9.643749239819589e-21, -9.450874255023197e-21],
      [-20.0, -4.122307236380407e-8, -3.9161918660646786e-8],
      [20.0, 19.99999995877693, 1.0000000391619186],
    ],
    torch: [
      [-50.0, -9.64374923981959e-21, -9.450874255023198e-21],
      [-20.0, -4.122307236380407e-8, -3.9161918660646786e-8],
      [-2.5, -0.18964545005310887, -0.09940111134152683],
      [0.0, 0.0, 0.5],
      [0.75, 0.5093840243815447, 0.8425999444967536],
      [3.25, 3.1286876161315793, 1.0794572828381868],
      [50.0, 50.0, 1.0],
    ],
  });
});
