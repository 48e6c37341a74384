// The adding task: its runs and expectations, and a short run on the test's backend whose reports carry
// the gradient through time (‖∂L/∂hₜ‖ of every step t, from the recurrent layer's step taps).
import { expectNoLeaks } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { ADDING_DEFAULT_LENGTHS, ADDING_TASK } from './adding.js';
import { ADDING_MODELS } from './adding-model.js';
import { type AddingRun, timeRatioOf, trainAddingRun } from './adding-train.js';
import type { TaskRunResult } from './task.js';
import { taskAgrees } from './task-report.js';

describe('ADDING_TASK.runs', () => {
  it('runs each model at its default lengths, ids <model>@<T>', () => {
    const ids = ADDING_TASK.runs(ADDING_TASK.defaults).map((r) => r.id);
    expect(ids).toEqual(ADDING_MODELS.flatMap((m) => ADDING_DEFAULT_LENGTHS[m].map((t) => `${m}@${t}`)));
    expect(ids).toContain('tanh-rnn@200');
    expect(ids).toContain('lstm@100');
  });

  it('runs every model at every length of --lengths', () => {
    const runs = ADDING_TASK.runs({ ...ADDING_TASK.defaults, lists: { lengths: [10, 30] } }) as AddingRun[];
    expect(runs.map((r) => r.id)).toEqual(ADDING_MODELS.flatMap((m) => [`${m}@10`, `${m}@30`]));
    expect(runs.every((r) => r.length === Number(r.id.split('@')[1]))).toBe(true);
    expect(runs.find((r) => r.id === 'tanh-rnn-clip@10')?.hyper.clip).toBeGreaterThan(0);
    expect(runs.filter((r) => r.hyper.clip > 0).map((r) => r.model)).toEqual(['irnn', 'irnn', 'tanh-rnn-clip', 'tanh-rnn-clip']);
    expect(runs.find((r) => r.id === 'tanh-rnn@10')?.hyper.clip).toBe(0);
  });

  it('expects the tanh RNNs to stay unsolved (vanishing from T = 100) and the LSTM and GRU to solve it and be healthy', () => {
    const runs = ADDING_TASK.runs({ ...ADDING_TASK.defaults, lists: { lengths: [50, 100, 200] } });
    const expect_ = (id: string) => runs.find((r) => r.id === id)?.expect;
    expect(expect_('tanh-rnn@100')?.verdicts).toEqual(['vanishing']);
    expect(expect_('tanh-rnn-clip@200')?.verdicts).toEqual(['vanishing']);
    expect(expect_('tanh-rnn@50')?.verdicts).toContain('vanishing');
    expect(expect_('lstm@100')).toMatchObject({ verdicts: ['healthy'], minMetric: 0.5 });
    expect(expect_('gru@50')).toMatchObject({ verdicts: ['healthy'], minMetric: 0.5 });
    // A tanh RNN that predicts the mean (7.8% within 0.04) agrees; one that solved the task does not.
    const tanh = expect_('tanh-rnn@100');
    if (tanh === undefined) throw new Error('no tanh-rnn@100');
    expect(taskAgrees(tanh, { verdict: 'vanishing', metric: 0.078 })).toBe(true);
    expect(taskAgrees(tanh, { verdict: 'vanishing', metric: 0.9 })).toBe(false);
    expect(taskAgrees(tanh, { verdict: 'healthy', metric: 0.078 })).toBe(false);
  });

  it('declares --lengths as a list flag with a memory limit', () => {
    expect(ADDING_TASK.sizeFlags.lengths).toMatchObject({ list: true, min: 2, max: 1000 });
  });
});

describe('trainAddingRun', () => {
  it('trains a short run whose reports hold ‖∂L/∂hₜ‖ for every step t, and leaks nothing', { timeout: 120_000 }, async () => {
    const length = 6;
    const settings = { steps: 4, batch: 4, seed: 1, sizes: {}, lists: { lengths: [length] } };
    const run = ADDING_TASK.runs(settings).find((r) => r.id === `tanh-rnn@${length}`) as AddingRun;
    const progress: number[] = [];
    const result = await expectNoLeaks(() => trainAddingRun(run, settings, (p) => progress.push(p.step)));
    expect(result.stepsTaken).toBe(4);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(4);
    expect(result.lossCurve.map((p) => p.step)).toEqual([0, 1, 2, 3]);
    expect(result.metric).toBeGreaterThanOrEqual(0);
    expect(result.metric).toBeLessThanOrEqual(1);
    expect(result.extra?.heldOutMse).toBeGreaterThan(0);
    // Reports at steps 0, 1, 2 (the first three) and 3 (the last).
    expect(result.reports.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    for (const report of result.reports) {
      // The monitor got the step's loss: the same number the loss curve read back.
      expect(report.loss).toBeCloseTo(result.lossCurve.find((p) => p.step === report.step)?.loss as number, 6);
      // The step taps 0.simpleRnn.t0 … t5, in the order they ran, each with ∂L/∂hₜ.
      const steps = report.activations.filter((a) => /^0\.simpleRnn\.t\d+$/.test(a.name));
      expect(steps.map((a) => a.name)).toEqual([0, 1, 2, 3, 4, 5].map((t) => `0.simpleRnn.t${t}`));
      const norms = steps.map((a) => a.gradNorm as number);
      expect(norms.every((g) => Number.isFinite(g) && g > 0)).toBe(true);
      // The ratio through time is the first step's ‖∂L/∂h‖ over the last one's, whoever computes it.
      expect(timeRatioOf(report)).toBeCloseTo((norms[0] as number) / (norms[5] as number), 5);
      // The diagnostics' temporal profile (D1's part of issue 15).
      const profile = report.temporal?.[0];
      expect(profile?.layer).toBe('0.simpleRnn');
      expect(profile?.steps).toEqual([0, 1, 2, 3, 4, 5]);
      expect(profile?.gradNorm.map((g) => Number(g.toPrecision(5)))).toEqual(norms.map((g) => Number(g.toPrecision(5))));
    }
    // The trained network's ratio: the median of the last three reports (the middle one of three).
    const ratios = result.reports.slice(-3).map((r) => timeRatioOf(r) as number);
    expect(result.extra?.timeRatio).toBeCloseTo([...ratios].sort((a, b) => a - b)[1] as number, 6);
    expect(result.extra?.timeRatioAtStart).toBeCloseTo(timeRatioOf(result.reports[0] as never) as number, 6);
    // Its verdict is the most frequent of the last three reports' (ties to the more severe), the whole run's counts are kept.
    const last = result.reports.slice(-3).map((r) => r.verdict);
    const count = (v: string) => last.filter((x) => x === v).length;
    const expected = (['nonfinite', 'exploding', 'vanishing', 'healthy'] as const).find((v) => count(v) === Math.max(...last.map(count)));
    expect(result.verdict).toBe(expected);
    expect(Object.values(result.verdictCounts).reduce((a, b) => a + b, 0)).toBe(4);
  });
});

describe('ADDING_TASK.explain', () => {
  const settings = { ...ADDING_TASK.defaults, lists: { lengths: [100] } };
  const runOf = (id: string) => ADDING_TASK.runs(settings).find((r) => r.id === id) as AddingRun;
  const result = (id: string, changes: Partial<TaskRunResult>): TaskRunResult => ({
    run: runOf(id),
    reports: [],
    lossCurve: [],
    metric: 0.07,
    finalLoss: 0.17,
    stepsTaken: 1000,
    seconds: 1,
    verdict: 'vanishing',
    verdictCounts: { healthy: 0, vanishing: 13, exploding: 0, nonfinite: 0 },
    initialVerdict: 'vanishing',
    finalVerdict: 'vanishing',
    firstLastRatio: undefined,
    tapRatio: undefined,
    diverged: false,
    extra: { heldOutMse: 0.17, timeRatio: 1e-9, timeRatioAtStart: 1e-6 },
    ...changes,
  });

  it('gives the ratio through time and its factor per step: 1e-9 over 99 steps is ×0.811 per step', () => {
    const note = ADDING_TASK.explain?.(result('tanh-rnn@100', {}), true) ?? '';
    expect(note).toContain('‖∂L/∂h₀‖/‖∂L/∂h_99‖ = 1.0e-9');
    expect(note).toContain(`×${Number((1e-9 ** (1 / 99)).toPrecision(3))} per step`); // 10^(−9/99) = 0.811
    expect(note).toContain('7.0% of 500 held-out sequences within 0.04');
  });

  it('tells a gated net’s plateau from its trained state', () => {
    const note =
      ADDING_TASK.explain?.(
        result('lstm@100', {
          metric: 0.8,
          verdict: 'healthy',
          verdictCounts: { healthy: 4, vanishing: 9, exploding: 0, nonfinite: 0 },
          extra: { heldOutMse: 0.001, timeRatio: 0.2, timeRatioAtStart: 1e-12, solvedAt: 812 },
        }),
        true,
      ) ?? '';
    expect(note).toContain('solved at step 812');
    expect(note).toContain('9 of 13 reports said vanishing through time');
    expect(note).toContain('= 1.0e-12 at step 0');
  });

  it('counts the IRNN’s dead units at the last report', () => {
    const step = (t: number, deadFraction: number) => ({ name: `0.simpleRnn.t${t}`, kind: 'relu', deadFraction }) as never;
    const report = { activations: [step(0, 0.5), step(1, 0.25), { name: '1.dense', kind: 'linear', deadFraction: 0 }] } as never;
    const note = ADDING_TASK.explain?.(result('irnn@100', { reports: [report] }), false) ?? '';
    expect(note).toContain('37.5% of the hidden units were dead');
    expect(note).toContain('the verdict is vanishing');
  });
});
