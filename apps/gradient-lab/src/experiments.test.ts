import type { FindingKind, GradientReport, LayerReport } from '@gradkit/diagnostics';
import { describe, expect, it } from 'vitest';
import { agreesWith, BASE_LR, DEFAULT_IDS, EXPERIMENTS, type Expectation, reportsWith, selectExperiments, updateRatioRange } from './experiments.js';
import type { TrainResult } from './train.js';

const layer = (name: string, isWeight: boolean, updateRatio?: number): LayerReport =>
  ({ name, isWeight, shape: isWeight ? [2, 2] : [2], ...(updateRatio === undefined ? {} : { updateRatio }) }) as unknown as LayerReport;
const report = (kinds: FindingKind[], layers: LayerReport[] = []): GradientReport =>
  ({ verdict: 'healthy', layers, findings: kinds.map((kind) => ({ kind })) }) as unknown as GradientReport;
const result = (reports: GradientReport[], testAccuracy = 0.5): TrainResult => ({ verdict: 'healthy', testAccuracy, reports }) as unknown as TrainResult;

describe('experiments', () => {
  it('counts the reports with a finding, and the range of the weight layers’ update ratios (finite ones only)', () => {
    const r = result([
      report(['largeUpdates', 'deadUnits'], [layer('0.kernel', true, 0.4), layer('0.bias', false, 9)]),
      report(['largeUpdates'], [layer('0.kernel', true, Number.NaN)]),
      report([], [layer('0.kernel', true, 0.002)]),
    ]);
    expect(reportsWith(r, 'largeUpdates')).toBe(2);
    expect(reportsWith(r, 'smallUpdates')).toBe(0);
    expect(updateRatioRange(r)).toEqual({ min: 0.002, max: 0.4 }); // the bias's 9 and the NaN are left out
    expect(updateRatioRange(result([report([])]))).toBeUndefined();
  });

  it('a result agrees only when every required finding appears and no excluded one does', () => {
    const expect_: Expectation = { verdicts: ['healthy'], maxAccuracy: 0.2, findings: ['smallUpdates'], noFindings: ['saturation'], claim: '' };
    expect(agreesWith(expect_, result([report([]), report(['smallUpdates'])], 0.1))).toBe(true);
    expect(agreesWith(expect_, result([report([]), report([])], 0.1))).toBe(false); // smallUpdates never seen
    expect(agreesWith(expect_, result([report(['smallUpdates', 'saturation'])], 0.1))).toBe(false);
    expect(agreesWith(expect_, result([report(['smallUpdates'])], 0.5))).toBe(false); // accuracy above chance
  });

  it('the remedy checks of the update-size and tanh findings run only with --only, so compare takes as long as before', () => {
    const checks = ['large-lr', 'large-lr-clip', 'large-lr-warmup', 'tiny-lr', 'tanh-small', 'tanh-saturated', 'tanh-saturated-batchnorm'];
    expect(selectExperiments(checks).map((e) => e.id)).toEqual(checks);
    for (const id of checks) expect(DEFAULT_IDS).not.toContain(id);
    expect(DEFAULT_IDS).toEqual([
      'baseline',
      'relu',
      'glorot',
      'relu-he',
      'batchnorm',
      'residual',
      'adam',
      'relu-he-adamw',
      'relu-he-muon',
      'relu-he-schedule-free',
      'schedule',
      'exploding',
      'exploding-clip',
    ]);
    const byId = Object.fromEntries(EXPERIMENTS.map((e) => [e.id, e]));
    expect(byId['large-lr']?.changes).toMatchObject({ activation: 'relu', init: 'he', lr: 100 * BASE_LR }); // relu-he at 100× its rate
    expect(byId['tiny-lr']?.changes).toMatchObject({ activation: 'relu', init: 'he', lr: BASE_LR / 1e6 });
    expect(byId['large-lr']?.expect.findings).toEqual(['largeUpdates']);
    expect(byId['tiny-lr']?.expect.findings).toEqual(['smallUpdates']);
    expect(byId['tanh-saturated']?.expect.findings).toEqual(['saturation']);
    expect(byId['tanh-saturated-batchnorm']?.expect.noFindings).toEqual(['saturation']);
  });
});
