// The transformer task: its runs and expectations, and a short run on the test's backend whose reports
// carry the loss and the attention taps.
import { expectNoLeaks } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { withSmallMatMul } from './cnn-test-support.js';
import { taskAgrees } from './task-report.js';
import {
  ADAMW_LR,
  FAILS,
  HIGH_LR,
  LEARNS,
  LOW_LR,
  MUON_LR,
  SCHEDULE_FREE_LR,
  type TransformerRun,
  trainTransformerRun,
  transformerTask,
  WARMUP_STEPS,
} from './transformer.js';

describe('transformerTask', () => {
  it('runs Post-LN at a high rate with and without warmup, Pre-LN at the same rate, Post-LN at a low rate, then AdamW, Muon and schedule-free AdamW on Pre-LN', () => {
    const runs = transformerTask.runs(transformerTask.defaults) as TransformerRun[];
    expect(runs.map((r) => [r.id, r.optimizer, r.norm, r.lr, r.warmup])).toEqual([
      ['post-ln', 'adam', 'post', HIGH_LR, 0],
      ['post-ln-warmup', 'adam', 'post', HIGH_LR, WARMUP_STEPS],
      ['pre-ln', 'adam', 'pre', HIGH_LR, 0],
      ['post-ln-low-lr', 'adam', 'post', LOW_LR, 0],
      ['pre-ln-adamw', 'adamw', 'pre', ADAMW_LR, 0],
      ['pre-ln-muon', 'muon', 'pre', MUON_LR, 0],
      ['pre-ln-schedule-free', 'scheduleFreeAdamW', 'pre', SCHEDULE_FREE_LR, 0],
    ]);
    expect(LOW_LR).toBeLessThan(HIGH_LR);
    const [post, ...others] = runs.map((r) => r.expect);
    expect(post?.maxMetric).toBe(FAILS);
    for (const e of others) expect(e).toMatchObject({ verdicts: ['healthy'], minMetric: LEARNS });
    expect(taskAgrees(post!, { verdict: 'vanishing', metric: 0.1 })).toBe(true);
    expect(taskAgrees(post!, { verdict: 'healthy', metric: 1 })).toBe(false);
    expect(taskAgrees(post!, { verdict: 'healthy', metric: 0.1 })).toBe(false); // the diagnostics must notice the failure
    expect(taskAgrees(others[0]!, { verdict: 'healthy', metric: 0.1 })).toBe(false);
  });

  it('trains a short run whose reports carry the loss, the rate and the attention taps, and leaks nothing', { timeout: 300_000 }, () =>
    withSmallMatMul(async () => {
      const settings = { steps: 3, batch: 4, seed: 1, sizes: { depth: 1 } };
      const run = transformerTask.runs(settings).find((r) => r.id === 'post-ln-warmup') as TransformerRun;
      const result = await expectNoLeaks(() => trainTransformerRun(run, settings, undefined, 10));
      expect(result.stepsTaken).toBe(3);
      expect(result.reports.map((r) => r.step)).toEqual([0, 1, 2]);
      expect(result.reports[1]?.loss).toBeCloseTo(result.lossCurve[1]?.loss as number, 5);
      const names = result.reports[0]?.activations.map((a) => a.name) ?? [];
      expect(names).toContain('1.transformerBlock');
      expect(result.metric * 80).toBeCloseTo(Math.round(result.metric * 80), 5); // a count of the 10 × 8 held-out tokens
      expect(result.extra?.sequenceAccuracy).toBeLessThanOrEqual(result.metric);
      expect(transformerTask.explain?.(result, false)).toMatch(/^post-ln-warmup: token accuracy .* This differs from the literature's direction/);
    }),
  );

  it('trains the Muon and schedule-free runs a few steps, and leaks nothing', { timeout: 300_000 }, () =>
    withSmallMatMul(async () => {
      const settings = { steps: 2, batch: 4, seed: 1, sizes: { depth: 1 } };
      for (const id of ['pre-ln-muon', 'pre-ln-schedule-free']) {
        const run = transformerTask.runs(settings).find((r) => r.id === id) as TransformerRun;
        const result = await expectNoLeaks(() => trainTransformerRun(run, settings, undefined, 10));
        expect(result.stepsTaken).toBe(2);
        expect(Number.isFinite(result.finalLoss)).toBe(true);
      }
    }),
  );
});
