import { describe } from 'vitest';
import { sigmoid } from './sigmoid.js';
import { activationSuite } from './test-support.js';

// Reference: torch.sigmoid, 1/(1 + exp(−x)); `sigmoid_backward(grad, y)` = grad·(1 − y)·y.
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const ref = { f: sig, df: (x: number) => (1 - sig(x)) * sig(x) };

describe('sigmoid (torch.sigmoid)', () => {
  activationSuite(sigmoid, ref, {
    // mpmath (40 digits): the exact function and derivative in the tails.
    tail: [
      [-50.0, 1.9287498479639178e-22, 1.9287498479639178e-22],
      [-20.0, 2.0611536181902037e-9, 2.061153613941849e-9],
      [20.0, 0.9999999979388464, 2.061153613941849e-9],
      [30.0, 0.9999999999999064, 9.357622968838423e-14],
    ],
    torch: [
      [-50.0, 1.928749847963918e-22, 1.928749847963918e-22],
      [-20.0, 2.0611536181902037e-9, 2.0611536139418496e-9],
      [-0.5, 0.3775406687981454, 0.2350037122015945],
      [0.0, 0.5, 0.25],
      [3.25, 0.9626731126558706, 0.03593359082532804],
      [20.0, 0.9999999979388463, 2.0611536879193953e-9],
      [50.0, 1.0, 0.0],
    ],
  });
});
