// The cnn task: its runs and expectations, and a short run on the test's backend whose reports carry
// ‖∂L/∂h‖ at every depth.
import { expectNoLeaks } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { loadMnist, takePerDigit } from '../data.js';
import { CNN_FAILS, CNN_TRAINS, type CnnRun, cnnTask, trainCnnRun } from './cnn.js';
import { withSmallMatMul } from './cnn-test-support.js';
import { taskAgrees } from './task-report.js';

describe('cnnTask', () => {
  it('runs plain, batchnorm, residual; expects plain not to train and the remedies to train, healthy', () => {
    const runs = cnnTask.runs(cnnTask.defaults);
    expect(runs.map((r) => r.id)).toEqual(['plain', 'batchnorm', 'residual']);
    const [plain, bn, res] = runs.map((r) => r.expect);
    expect(plain).toMatchObject({ maxMetric: CNN_FAILS });
    expect(bn).toMatchObject({ verdicts: ['healthy'], minMetric: CNN_TRAINS });
    expect(res).toMatchObject({ verdicts: ['healthy'], minMetric: CNN_TRAINS });
    // A plain net at chance with vanishing gradients agrees; one that trained does not; a remedy at chance does not.
    expect(taskAgrees(plain!, { verdict: 'vanishing', metric: 0.1 })).toBe(true);
    expect(taskAgrees(plain!, { verdict: 'vanishing', metric: 0.9 })).toBe(false);
    expect(taskAgrees(res!, { verdict: 'healthy', metric: 0.1 })).toBe(false);
    expect(taskAgrees(res!, { verdict: 'healthy', metric: 0.9 })).toBe(true);
    expect(cnnTask.defaults.sizes.depth).toBe(20);
    expect(cnnTask.sizeFlags.depth).toMatchObject({ min: 4 });
  });

  it('trains a short run whose reports have ‖∂L/∂h‖ at every conv layer, and leaks nothing', { timeout: 300_000 }, () =>
    withSmallMatMul(async () => {
      const settings = { steps: 3, batch: 4, seed: 1, sizes: { depth: 4 } };
      const run = cnnTask.runs(settings).find((r) => r.id === 'residual') as CnnRun;
      const progress: number[] = [];
      const mnist = loadMnist();
      const data = { train: takePerDigit(mnist.train, 4), test: takePerDigit(mnist.test, 2) };
      const result = await expectNoLeaks(() => trainCnnRun(run, settings, (p) => progress.push(p.step), data));
      expect(result.stepsTaken).toBe(3);
      expect(progress.at(-1)).toBe(3);
      expect(result.lossCurve.map((p) => p.step)).toEqual([0, 1, 2]);
      expect(result.reports.map((r) => r.step)).toEqual([0, 1, 2]);
      expect(result.reports[0]?.loss).toBeCloseTo(result.lossCurve[0]?.loss as number, 5);
      const withGrad = result.reports[0]?.activations.filter((a) => a.gradNorm !== undefined).map((a) => a.name);
      expect(withGrad).toEqual(expect.arrayContaining(['1.conv2d', '4.inner.0.conv2d', '4.residual', '7.dense']));
      expect(result.metric * 20).toBeCloseTo(Math.round(result.metric * 20), 6); // a count of the 20 test digits
      expect(result.extra?.firstTapGradStart).toBeGreaterThan(0);
      expect(cnnTask.explain?.(result, true)).toMatch(/^residual: test accuracy \d+\.\d%, verdict \w+\. ‖∂L\/∂h‖ first\/last tap: /);
    }),
  );
});
