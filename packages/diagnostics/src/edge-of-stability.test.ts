import { describe, expect, it } from 'vitest';
import { edgeOfStabilityFinding } from './edge-of-stability.js';

// Cohen et al. 2021: plain gradient descent is stable along curvature λ while η·λ/2 ≤ 1.
describe('edgeOfStabilityFinding', () => {
  it('η = 0.3, λmax = 10: ratio 1.5, a warning suggesting a rate below 2/λmax = 0.2 (0.1)', () => {
    const f = edgeOfStabilityFinding(10, 0.3, 'sgd');
    expect(f).toMatchObject({ kind: 'edgeOfStability', severity: 'warning' });
    expect(f?.what).toContain('η·λmax/2 = 1.5');
    expect(f?.what).toContain('2/λmax = 0.2');
    expect(f?.why).toContain('Cohen et al. 2021');
    expect(f?.toTry).toEqual([
      'a learning rate below 2/λmax = 0.2, e.g. 0.1: tf.train.sgd(0.1) for a tfjs-layers model, sgd({ learningRate: 0.1 }) in gradkit',
    ]);
  });
  it('nothing at η = 0.1 (ratio 0.5), at exactly 1 (η = 0.2), or for a negative λmax', () => {
    expect(edgeOfStabilityFinding(10, 0.1, 'sgd')).toBeUndefined();
    expect(edgeOfStabilityFinding(10, 0.2, 'sgd')).toBeUndefined();
    expect(edgeOfStabilityFinding(-10, 0.3, 'sgd')).toBeUndefined();
    expect(edgeOfStabilityFinding(10, 0.2000001, 'sgd')?.kind).toBe('edgeOfStability');
  });
  it('the suggested rate is 1/λmax rounded down to two digits, always below 2/λmax', () => {
    const rate = (lambda: number) => /e\.g\. ([0-9.e-]+):/.exec(edgeOfStabilityFinding(lambda, 100, 'sgd')?.toTry[0] ?? '')?.[1];
    expect(rate(3)).toBe('0.33'); // 1/3 = 0.333…
    expect(rate(1 / 0.29)).toBe('0.29'); // not 0.28 from 0.29/0.01 = 28.999…
    expect(rate(7.5)).toBe('0.13'); // 0.1333…
    expect(rate(2500)).toBe('0.0004');
  });
  it('adaptive optimizers and momentum get none (the preconditioned sharpness applies), whatever the ratio', () => {
    for (const name of ['adam', 'rmsprop', 'adagrad', 'adamw', 'momentum', 'muon']) expect(edgeOfStabilityFinding(1000, 1, name)).toBeUndefined();
    expect(edgeOfStabilityFinding(10, 0.3, 'SGD')?.kind).toBe('edgeOfStability');
  });
});
