import { describe, expect, it } from 'vitest';
import { SELU_ALPHA, SELU_SCALE, selu } from './selu.js';
import { activationSuite } from './test-support.js';

// Reference: torch.nn.functional.selu = aten `elu(x, alpha=1.6732632423543772848170429916717,
// scale=1.0507009873554804934193349852946, input_scale=1)` (aten/src/ATen/native/Activation.cpp), so
// λ·(x > 0 ? x : α·expm1(x)) with derivative λ·(x <= 0 ? α·exp(x) : 1).
const alpha = Number('1.6732632423543772848170429916717');
const scale = Number('1.0507009873554804934193349852946');
const ref = { f: (x: number) => scale * (x > 0 ? x : alpha * Math.expm1(x)), df: (x: number) => scale * (x <= 0 ? alpha * Math.exp(x) : 1), kinks: [0] };

describe('selu (torch.nn.functional.selu)', () => {
  activationSuite(selu, ref, {
    // mpmath (40 digits): the exact function and derivative in the tails.
    tail: [
      [-50.0, -1.7580993408473768, 3.390933836364842e-22],
      [-20.0, -1.758099337223664, 3.6237128249944117e-9],
      [-0.0010000000474974513, -0.0017572206675420447, 1.7563421201798348],
    ],
    torch: [
      [-50.0, -1.7580993408473766, 3.3909338363648417e-22],
      [-2.5, -1.6137857588732425, 0.1443135819741343],
      [-0.5, -0.6917581878028713, 1.0663411530445053],
      [0.0, 0.0, 1.7580993408473766],
      [0.75, 0.7880257405166103, 1.0507009873554805],
      [50.0, 52.53504936777402, 1.0507009873554805],
    ],
  });
  it("exports PyTorch's constants", () => {
    expect(SELU_ALPHA).toBe(alpha);
    expect(SELU_SCALE).toBe(scale);
  });
});
