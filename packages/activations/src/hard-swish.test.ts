import { describe } from 'vitest';
import { hardSwish } from './hard-swish.js';
import { activationSuite } from './test-support.js';

// Reference: aten/src/ATen/native/cpu/Activation.cpp, `hardswish_kernel`: x·min(max(x + 3, 0), 6)/6;
// `hardswish_backward_kernel`: x <= −3 ? 0 : x < 3 ? grad·(x/3 + ½) : grad — 0 at −3 and 1 at 3 on
// the CPU (torch 2.13 float64 below). The CUDA kernel uses x < −3 and x <= 3 instead.
const ref = {
  f: (x: number) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  df: (x: number) => (x <= -3 ? 0 : x < 3 ? x / 3 + 0.5 : 1),
  kinks: [-3, 3],
};

describe('hardSwish (torch.nn.functional.hardswish)', () => {
  activationSuite(hardSwish, ref, {
    torch: [
      [-50.0, -0.0, 0.0],
      [-3.0, -0.0, 0.0],
      [-2.5, -0.20833333333333334, -0.33333333333333337],
      [-0.5, -0.20833333333333334, 0.33333333333333337],
      [0.0, 0.0, 0.5],
      [0.75, 0.46875, 0.75],
      [3.0, 3.0, 1.0],
      [3.25, 3.25, 1.0],
    ],
  });
});
