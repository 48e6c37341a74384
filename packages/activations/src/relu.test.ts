import { describe } from 'vitest';
import { relu } from './relu.js';
import { activationSuite } from './test-support.js';

// Reference: torch.relu (aten `relu` = clamp_min(x, 0)); backward `threshold_backward(grad, result, 0)`:
// grad where result > 0, else 0 — so relu′(0) = 0.
const ref = { f: (x: number) => Math.max(x, 0), df: (x: number) => (x > 0 ? 1 : 0), kinks: [0] };

describe('relu (torch.nn.functional.relu)', () => {
  activationSuite(relu, ref, {
    torch: [
      [-50.0, 0.0, 0.0],
      [-2.5, 0.0, 0.0],
      [0.0, 0.0, 0.0],
      [0.75, 0.75, 1.0],
      [50.0, 50.0, 1.0],
    ],
  });
});
