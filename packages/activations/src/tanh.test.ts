import { describe } from 'vitest';
import { tanh } from './tanh.js';
import { activationSuite } from './test-support.js';

// Reference: torch.tanh; `tanh_backward(grad, y)` = grad·(1 − y²).
const ref = { f: Math.tanh, df: (x: number) => 1 - Math.tanh(x) ** 2 };

describe('tanh (torch.tanh)', () => {
  activationSuite(tanh, ref, {
    // mpmath (40 digits): the exact function and derivative in the tails.
    tail: [
      [-20.0, -1.0, 1.6993417021166355e-17],
      [-10.0, -0.9999999958776927, 8.244614455767397e-9],
      [10.0, 0.9999999958776927, 8.244614455767397e-9],
      [20.0, 1.0, 1.6993417021166355e-17],
    ],
    torch: [
      [-50.0, -1.0, 0.0],
      [-2.5, -0.9866142981514303, 0.02659222668316057],
      [0.0, 0.0, 1.0],
      [0.75, 0.6351489523872873, 0.5965858082813315],
      [3.25, 0.996997635486526, 0.005995714834276273],
      [20.0, 1.0, 0.0],
    ],
  });
});
