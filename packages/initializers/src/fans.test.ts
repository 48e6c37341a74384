import { describe, expect, it } from 'vitest';
import { computeFans } from './fans.js';
import { expectHyperError } from './test-support.js';

// PyTorch's _calculate_fan_in_and_fan_out (torch/nn/init.py) on its [out, in, *kernel] layout:
// fan_in = in·Π kernel, fan_out = out·Π kernel. tfjs's layouts put the kernel first and [in, out] last.
describe('computeFans (tfjs layouts)', () => {
  it('dense [in, out] and conv [w | h, w | d, h, w, in, out] kernels', () => {
    expect(computeFans([784, 256])).toEqual({ fanIn: 784, fanOut: 256, receptiveField: 1 });
    expect(computeFans([5, 8, 16])).toEqual({ fanIn: 40, fanOut: 80, receptiveField: 5 });
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288, receptiveField: 9 });
    expect(computeFans([2, 3, 3, 4, 8])).toEqual({ fanIn: 72, fanOut: 144, receptiveField: 18 });
  });

  it('rejects rank < 2 (a bias has no fans, as PyTorch) and bad dimensions', () => {
    expectHyperError(() => computeFans([10]), 'shape', /rank ≥ 2/);
    expectHyperError(() => computeFans([]), 'shape', /rank 0/);
    expectHyperError(() => computeFans([3, 0]), 'shape', /positive integer/);
    expectHyperError(() => computeFans([3, 1.5]), 'shape', /positive integer/);
  });
});
