import { describe } from 'vitest';
import { hardSigmoid } from './hard-sigmoid.js';
import { activationSuite } from './test-support.js';

// Reference: aten `hardsigmoid_kernel`: min(max(x + 3, 0), 6) / 6; `hardsigmoid_backward_kernel`:
// (x > −3 && x < 3) ? grad·one_sixth : 0, with one_sixth = 1.0f / 6.0f — a float32 constant even for
// float64 tensors (which is why torch's float64 derivative is 0.1666666716337204).
const ONE_SIXTH = Math.fround(1 / 6);
const ref = { f: (x: number) => Math.min(Math.max(x + 3, 0), 6) / 6, df: (x: number) => (x > -3 && x < 3 ? ONE_SIXTH : 0), kinks: [-3, 3] };

describe('hardSigmoid (torch.nn.functional.hardsigmoid)', () => {
  activationSuite(hardSigmoid, ref, {
    torch: [
      [-50.0, 0.0, 0.0],
      [-3.0, 0.0, 0.0],
      [-2.5, 0.08333333333333333, 0.1666666716337204],
      [0.0, 0.5, 0.1666666716337204],
      [0.75, 0.625, 0.1666666716337204],
      [3.0, 1.0, 0.0],
      [3.25, 1.0, 0.0],
    ],
  });
});
