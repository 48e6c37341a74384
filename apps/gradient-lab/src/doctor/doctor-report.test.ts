// The doctor's report files from a run made by hand: report.json's fields (non-finite losses tagged),
// report.html's sections and curves, and the rule for --out: only a previous doctor report is replaced.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RemedyOutcome } from '@gradkit/diagnostics';
import { afterAll, describe, expect, it } from 'vitest';
import { DoctorInputError } from './doctor-errors.js';
import { fakeRun } from './doctor-fixture.js';
import { DOCTOR_REPORT_FORMAT, type DoctorReportContext, doctorReportJson } from './doctor-report.js';
import { checkReportDir, doctorReportHtml, writeDoctorReport } from './doctor-report-html.js';
import { removeTempDirs, tempDir } from './doctor-test-support.js';

afterAll(removeTempDirs);

const context: DoctorReportContext = {
  command: 'gradient-lab doctor --model m --data d.csv',
  backend: 'cpu',
  model: {
    name: 'seq',
    layers: [{ name: 'dense_1', className: 'Dense', activation: 'sigmoid' }],
    params: 27,
    inputShape: [4],
    outputShape: [3],
    source: 'm/model.json',
    hasTrainingConfig: false,
  },
  data: { source: 'd.csv', samples: 48, description: '48 samples of [4] from d.csv: 3 classes (a, b, c)' },
  seconds: 1.5,
};

describe('report.json', () => {
  it('holds the verdict, findings, the baseline and every remedy with its outcome', () => {
    const json = JSON.parse(doctorReportJson(fakeRun(), context));
    expect(json.format).toBe(DOCTOR_REPORT_FORMAT);
    expect(json.verdict).toBe('vanishing');
    expect(json.findings.map((f: { kind: string }) => f.kind)).toEqual(['vanishing']);
    expect(json.baseline).toMatchObject({ finalLoss: 1, initialLoss: 1.2, verdict: 'vanishing', losses: [1.2, 1.1, 1.05, 1] });
    expect(json.remedies.map((r: { name: string; applied: boolean }) => [r.name, r.applied])).toEqual([
      ['lower-lr', true],
      ['relu-he', true],
      ['insert-batchnorm', false],
    ]);
    expect(json.remedies[1]).toMatchObject({ verdict: 'healthy', finalLoss: 0.4, improvement: 2.5, rank: 1, params: { layers: ['dense_1'] } });
    expect(json.remedies[2].whyNot).toBe('the model is not a Sequential stack of Dense layers');
    expect(json.recommended).toBe('relu-he');
    expect(json.settings.loss).toEqual({ value: 'categoricalCrossentropy', source: 'inferred', why: 'the output layer dense_3 has a softmax activation' });
    expect(json.model.hasTrainingConfig).toBe(false);
  });

  it('tags a diverged remedy’s loss as { $nonFinite } (JSON has no NaN)', () => {
    const run = fakeRun();
    const nan = { ...(run.trial.remedies[0] as RemedyOutcome), finalLoss: Number.NaN, verdict: 'nonfinite' as const };
    const json = JSON.parse(doctorReportJson({ ...run, trial: { ...run.trial, remedies: [nan] } }, context));
    expect(json.remedies[0].finalLoss).toEqual({ $nonFinite: 'NaN' });
  });
});

describe('report.html', () => {
  it('shows the verdict, findings with where and why, the ranked table, the recommendation and one loss curve per trial', () => {
    const html = doctorReportHtml(fakeRun(), context);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta name="generator" content="gradient-lab doctor">');
    expect(html).toContain('<span class="verdict v-vanishing">vanishing</span>');
    expect(html).toContain('<code>dense_1/kernel</code>');
    expect(html).toContain('why: the early layers do not learn');
    expect(html).toContain('<th>×improvement</th>');
    expect(html).toContain('<td>relu-he</td><td>yes</td><td>healthy</td><td>0.4</td><td>×2.5</td>');
    expect(html).toContain('<strong>Recommended: relu-he</strong>');
    expect(html).toContain('loss: categoricalCrossentropy (inferred: the model was saved without its training config;');
    // baseline + the two applied remedies; the one that cannot apply has no curve
    expect(html.match(/<polyline /g)).toHaveLength(3);
    for (const name of ['baseline', 'relu-he', 'lower-lr']) expect(html).toContain(`<title>${name}</title></polyline>`);
  });
});

describe('--out: only a previous doctor report is replaced', () => {
  it('writes into a new folder, then replaces its own report', () => {
    const dir = join(tempDir(), 'new');
    const first = writeDoctorReport(dir, fakeRun(), context);
    expect(JSON.parse(readFileSync(first.json, 'utf8')).format).toBe(DOCTOR_REPORT_FORMAT);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(() => writeDoctorReport(dir, fakeRun(), { ...context, seconds: 2 })).not.toThrow();
    expect(JSON.parse(readFileSync(first.json, 'utf8')).seconds).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it.each([
    ['report.json', '{"format": "gradient-lab-report"}'],
    ['report.json', 'not json'],
    ['report.html', '<html>my page</html>'],
  ])('refuses a folder whose %s is someone else’s', (name, text) => {
    const dir = tempDir();
    writeFileSync(join(dir, name), text);
    expect(() => checkReportDir(dir)).toThrow(DoctorInputError);
    expect(() => checkReportDir(dir)).toThrow(`${join(dir, name)} exists and is not a report of gradient-lab doctor`);
    expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
  });

  it('refuses a file as the folder', () => {
    const file = join(tempDir(), 'out');
    writeFileSync(file, 'x');
    expect(() => checkReportDir(file)).toThrow('is a file, not a folder');
  });
});
