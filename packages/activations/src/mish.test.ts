import { describe } from 'vitest';
import { mish } from './mish.js';
import { activationSuite } from './test-support.js';

// Reference: aten `mish_kernel`: x·tanh(log1p(exp(x))); `mish_backward_kernel`:
// s = 1/(1 + exp(−x)), t = tanh(log1p(exp(x))), grad·(t + x·s·(1 − t²)).
const ref = {
  f: (x: number) => x * Math.tanh(Math.log1p(Math.exp(x))),
  df: (x: number) => {
    const s = 1 / (1 + Math.exp(-x));
    const t = Math.tanh(Math.log1p(Math.exp(x)));
    return t + x * s * (1 - t * t);
  },
};

describe('mish (torch.nn.functional.mish)', () => {
  activationSuite(mish, ref, {
    // mpmath (40 digits): the exact function and derivative in the tails.
    tail: [
      [-50.0, -9.643749239819589e-21, -9.450874255023197e-21],
      [-20.0, -4.122307240628761e-8, -3.916191874348969e-8],
      [10.0, 9.99999995878067, 1.0000000783129834],
    ],
    torch: [
      [-50.0, -9.643749239819589e-21, -9.450874255023198e-21],
      [-20.0, -4.122307240628762e-8, -3.916191874348969e-8],
      [-2.5, -0.19681620390653337, -0.10974357275018566],
      [-0.5, -0.22074377465173, 0.28951067791351226],
      [0.0, 0.0, 0.6],
      [0.75, 0.6100183352182934, 0.985758355716688],
      [3.25, 3.2409561733599657, 1.0146055545778132],
      [50.0, 50.0, 1.0],
    ],
  });
});
