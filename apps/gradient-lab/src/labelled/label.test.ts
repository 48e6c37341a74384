// The scoring of the labelled runs, on hand-made reports: which disagreement is a false alarm and
// which a miss, and the rates over rows.
import type { Finding, GradientReport, Verdict } from '@gradkit/diagnostics';
import { DEFAULT_THRESHOLDS } from '@gradkit/diagnostics';
import { describe, expect, it } from 'vitest';
import { RAISE_LR } from './forbidden.js';
import { failsBelow, judge, trainsAbove } from './label.js';
import { type PrecisionRow, tableOf } from './precision.js';

const finding = (kind: Finding['kind'], toTry: string[] = []): Finding => ({ kind, severity: 'warning', what: `${kind} seen`, where: 'x', why: '', toTry });
const report = (step: number, verdict: Verdict, findings: Finding[] = []): GradientReport => ({
  format: 'gradkit-gradient-report',
  version: 1,
  step,
  verdict,
  globalNorm: 1,
  layers: [],
  activations: [],
  findings,
  thresholds: DEFAULT_THRESHOLDS,
  backend: 'cpu',
});

describe('judge', () => {
  it('counts a wrong verdict as a false alarm on a healthy run and as a miss on a broken one', () => {
    expect(judge({ verdict: 'healthy' }, 'exploding', [])).toEqual({ verdict: 'exploding', falseAlarms: ['verdict exploding, expected healthy'], misses: [] });
    expect(judge({ verdict: 'exploding' }, 'vanishing', [])).toEqual({
      verdict: 'vanishing',
      falseAlarms: [],
      misses: ['verdict vanishing, expected exploding'],
    });
    expect(judge({ verdict: 'vanishing' }, 'vanishing', [report(0, 'vanishing')])).toEqual({ verdict: 'vanishing', falseAlarms: [], misses: [] });
  });

  it('needs the required findings and remedies in some report, and forbids the others in every report', () => {
    const reports = [report(0, 'healthy'), report(5, 'healthy', [finding('smallUpdates', ['a higher learning rate: it is too low'])])];
    const j = judge(
      { verdict: 'healthy', mustFind: ['lossSpike'], mustOffer: [/lower learning rate/], mustNotFind: ['smallUpdates'], mustNotOffer: [RAISE_LR] },
      'healthy',
      reports,
    );
    expect(j.misses).toEqual(['no lossSpike finding', 'no finding offers lower learning rate']);
    expect(j.falseAlarms).toEqual([
      'smallUpdates at step 5: smallUpdates seen',
      'smallUpdates at step 5 offers "a higher learning rate: it is too low" (the rate is not too low here)',
    ]);
    const clean = judge({ verdict: 'healthy', mustFind: ['smallUpdates'], mustNotOffer: [{ pattern: /clip/, why: '' }] }, 'healthy', reports);
    expect(clean).toEqual({ verdict: 'healthy', falseAlarms: [], misses: [] });
  });
});

describe('the outcome checks', () => {
  it('call a run trained at or above the bar, and failed when it diverged or stayed at or below the other', () => {
    expect(trainsAbove(0.5)(0.5, false)).toEqual({ measured: 'test accuracy 0.50', expected: 'trains: accuracy ≥ 0.5', ok: true });
    expect(trainsAbove(0.5)(0.49, false).ok).toBe(false);
    expect(trainsAbove(0.5)(0.9, true)).toMatchObject({ measured: 'diverged', ok: false });
    expect(failsBelow(0.25)(0.25, false).ok).toBe(true);
    expect(failsBelow(0.25)(0.3, false).ok).toBe(false);
    expect(failsBelow(0.25)(0.9, true).ok).toBe(true);
  });
});

describe('tableOf', () => {
  const row = (expected: Verdict, falseAlarms: string[], misses: string[], ok = true, every = 1, verdict = expected) =>
    ({ id: 'c', seed: 1, every, expected, verdict, falseAlarms, misses, outcome: { measured: '', expected: '', ok } }) as unknown as PrecisionRow;

  it('rates false alarms over all runs and misses over the runs of broken cases', () => {
    const t = tableOf([row('healthy', ['x'], []), row('healthy', [], []), row('exploding', ['y'], ['z']), row('vanishing', [], [], false)]);
    expect(t.falseAlarmRate).toBe(2 / 4);
    expect(t.missRate).toBe(1 / 2);
    expect(t.outcomeFailures).toHaveLength(1);
    expect(tableOf([])).toMatchObject({ falseAlarmRate: 0, missRate: 0, everyDependent: [] });
  });

  it('lists the runs whose verdict depends on every', () => {
    const t = tableOf([row('healthy', [], [], true, 1), row('healthy', ['v'], [], true, 5, 'exploding')]);
    expect(t.everyDependent).toEqual(['c seed 1: every 1 healthy, every 5 exploding']);
    expect(tableOf([row('healthy', [], [], true, 1), row('healthy', [], [], true, 5)]).everyDependent).toEqual([]);
  });
});
