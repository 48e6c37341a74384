import { describe } from 'vitest';
import { relu6 } from './relu6.js';
import { activationSuite } from './test-support.js';

// Reference: torch.nn.functional.relu6 = hardtanh(x, 0, 6) (aten Activation.cpp); backward
// `hardtanh_backward`: (x <= min_val) || (x >= max_val) ? 0 : grad — 0 at both kinks 0 and 6.
const ref = { f: (x: number) => Math.min(Math.max(x, 0), 6), df: (x: number) => (x <= 0 || x >= 6 ? 0 : 1), kinks: [0, 6] };

describe('relu6 (torch.nn.functional.relu6)', () => {
  activationSuite(relu6, ref, {
    extra: [7],
    torch: [
      [-2.5, 0.0, 0.0],
      [0.0, 0.0, 0.0],
      [3.25, 3.25, 1.0],
      [6.0, 6.0, 0.0],
      [7.0, 6.0, 0.0],
    ],
  });
});
