import { describe } from 'vitest';
import { softsign } from './softsign.js';
import { activationSuite } from './test-support.js';

// Reference: torch/nn/functional.py `softsign`: input / (input.abs() + 1). Its autograd derivative is
// 1/(|x|+1) − x·sgn(x)/(|x|+1)² = 1/(|x|+1)², which is 1 at 0 (sgn(0) = 0).
const ref = { f: (x: number) => x / (Math.abs(x) + 1), df: (x: number) => 1 / (Math.abs(x) + 1) ** 2, kinks: [0] };

describe('softsign (torch.nn.functional.softsign)', () => {
  activationSuite(softsign, ref, {
    torch: [
      [-50.0, -0.9803921568627451, 0.00038446751249519504],
      [-2.5, -0.7142857142857143, 0.08163265306122447],
      [0.0, 0.0, 1.0],
      [0.75, 0.42857142857142855, 0.32653061224489793],
      [50.0, 0.9803921568627451, 0.00038446751249519504],
    ],
  });
});
