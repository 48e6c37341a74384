import { describe, expect, it } from 'vitest';
import type { FusedRule } from '../plan.js';
import { updateShader } from './shaders.js';

// The update shaders are built once per variant; a variant is the rule's kind, flags and which
// hyper-parameters are zero (their values travel in the uniform). Plain strings: runs in every project.
const sgd = (momentum: number, lr: number, weightDecay = 0): FusedRule => ({
  kind: 'sgd',
  lr,
  momentum,
  dampening: 0,
  weightDecay,
  nesterov: false,
  first: false,
});

describe('updateShader', () => {
  it('gives the same shader for another value of the same variant (a scheduled lr), without rebuilding it', () => {
    expect(updateShader(sgd(0.9, 0.1), false, true)).toBe(updateShader(sgd(0.9, 0.01), false, true));
  });

  it('gives each variant its own text: momentum on or off, weight decay on or off, decided, vec4 or scalar', () => {
    const codes = [
      updateShader(sgd(0.9, 0.1), false, true),
      updateShader(sgd(0, 0.1), false, true),
      updateShader(sgd(0.9, 0.1, 0.01), false, true),
      updateShader(sgd(0.9, 0.1), true, true),
      updateShader(sgd(0.9, 0.1), false, false),
    ].map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes[1]).not.toContain('buf');
    expect(codes[0]).toContain('buf');
  });
});
