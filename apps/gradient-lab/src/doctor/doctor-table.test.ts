// The doctor's text outputs on a run made by hand: the ranked table (baseline first, rank order, the
// remedies that cannot apply with why), the recommendation, the settings with their provenance.
import { describe, expect, it } from 'vitest';
import { fakeDiagnosis, fakeRun } from './doctor-fixture.js';
import { doctorTableRows, findingLines, formatDoctorTable, recommendationText, settingsLines } from './doctor-table.js';

describe('the ranked table', () => {
  it('lists the baseline, then the remedies by rank, then those that cannot apply with why', () => {
    const rows = doctorTableRows(fakeRun().trial);
    expect(rows.map((r) => r.name)).toEqual(['baseline', 'relu-he', 'lower-lr', 'insert-batchnorm']);
    expect(rows[0]?.cells).toEqual(['–', 'baseline (the model as given)', '–', 'vanishing', '1', '×1', '']);
    // improvement = baseline's final loss / the remedy's: 1 / 0.4 = 2.5
    expect(rows[1]?.cells).toEqual(['1', 'relu-he', 'yes', 'healthy', '0.4', '×2.5', '← recommended']);
    expect(rows[1]?.recommended).toBe(true);
    expect(rows[2]?.cells).toEqual(['2', 'lower-lr', 'yes', 'vanishing', '0.952', '×1.05', '']);
    expect(rows[3]?.cells).toEqual(['–', 'insert-batchnorm', 'no', '–', '–', '–', 'cannot apply: the model is not a Sequential stack of Dense layers']);
  });

  it('shows a remedy tried but not applied with its reason', () => {
    const run = fakeRun();
    const trial = {
      ...run.trial,
      remedies: [{ name: 'lsuv', title: 'LSUV', applied: false, whyNot: 'needs a Dense layer', code: '' }],
      recommended: undefined,
    };
    expect(doctorTableRows(trial).at(1)?.cells).toEqual(['–', 'lsuv', 'no', '–', '–', '–', 'not applied: needs a Dense layer']);
  });

  it('aligns the columns under the header', () => {
    const lines = formatDoctorTable(fakeRun().trial).split('\n');
    expect(lines[0]).toMatch(/^rank {2}remedy +applied {2}verdict +final loss {2}×improvement {2}note$/);
    expect(lines[1]).toMatch(/^─+ {2}─+/);
    expect(lines[3]).toMatch(/^ {3}1 {2}relu-he +yes +healthy +0\.4 +×2\.5 {2}← recommended$/);
  });
});

describe('the recommendation', () => {
  it('names the best remedy with its measured gain and its code', () => {
    const text = recommendationText(fakeRun().trial);
    expect(text.split('\n').slice(0, 2)).toEqual([
      'recommended: relu-he: the relu-he remedy',
      "  final loss 0.4 against the baseline's 1 (×2.5), verdict healthy",
    ]);
    expect(text).toContain("  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });");
  });

  it('says nothing needs to change for a healthy model, and why nothing is recommended otherwise', () => {
    const healthy = fakeDiagnosis({ verdict: 'healthy', findings: [], remedies: [] });
    const base = fakeRun().trial;
    expect(recommendationText({ ...base, diagnosis: healthy, remedies: [], recommended: undefined })).toBe('nothing to change: the model trains healthily');
    expect(recommendationText({ ...base, recommended: undefined })).toContain('no remedy measurably improved the final loss');
    expect(recommendationText({ ...base, remedies: [], recommended: undefined })).toContain('no remedy could be applied to this model');
  });
});

describe('settings and findings', () => {
  it('says where each setting came from', () => {
    const d = fakeDiagnosis();
    expect(settingsLines(d.settings, { hasTrainingConfig: false })).toEqual([
      'loss: categoricalCrossentropy (inferred: the model was saved without its training config; the output layer dense_3 has a softmax activation)',
      'optimizer: adam, learning rate 0.001 (default: the model has no compiled optimizer; --optimizer and --lr choose another)',
      'probe fit: 4 steps of 8 samples, a gradient report every step, batch order seed 0',
    ]);
    const compiled = {
      ...d.settings,
      loss: { value: 'meanSquaredError', source: 'compiled' as const },
      optimizer: { value: 'sgd', learningRate: 0.1, source: 'compiled' as const },
    };
    expect(settingsLines(compiled).slice(0, 2)).toEqual([
      "loss: meanSquaredError (as compiled: the model's training config)",
      "optimizer: sgd, learning rate 0.1 (as compiled: the model's training config)",
    ]);
    const asked = { ...d.settings, loss: { value: 'meanSquaredError', source: 'option' as const } };
    expect(settingsLines(asked, { lossNote: '--task regress' })[0]).toBe('loss: meanSquaredError (--task regress)');
  });

  it('prints the verdict, the loss over the fit and each finding with where and why', () => {
    expect(findingLines(fakeDiagnosis())).toEqual([
      'verdict: VANISHING   loss 1.2 → 1 over the probe fit',
      '✗ vanishing at dense_1/kernel',
      '  seen: ‖g‖ of the first layer is 1e-7 of the last',
      '  why:  the early layers do not learn',
    ]);
    const withCurvature = fakeDiagnosis({ findings: [], curvature: { lambdaMax: 250, eosRatio: 1.25, iterations: 12, converged: true } });
    expect(findingLines(withCurvature).slice(1)).toEqual([
      "curvature: top Hessian eigenvalue λmax ≈ 250 (12 power iterations); η·λmax/2 = 1.25 (the edge of stability, 1, is plain SGD's; adam rescales its steps)",
      'findings: none (no rule fired)',
    ]);
  });
});
