// The writers of a task's comparison: the agreement rule, the table, the notes, report.json and
// report.html, on the results of two short runs of the adding task (real monitor reports).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDING_TASK } from './adding.js';
import type { TaskRunResult, TaskSettings } from './task.js';
import {
  formatTaskTable,
  type TaskEntry,
  type TaskReportContext,
  taskAgrees,
  taskNotes,
  taskReportHtml,
  taskReportJson,
  taskTableRows,
  writeTaskReport,
} from './task-report.js';

const settings: TaskSettings = { steps: 3, batch: 4, seed: 2, sizes: {}, lists: { lengths: [5] } };
let entries: TaskEntry[] = [];
const context = (): TaskReportContext => ({
  command: 'gradient-lab compare --task adding',
  backend: 'cpu',
  settings,
  notes: taskNotes(ADDING_TASK, entries),
  seconds: 1.25,
});

beforeAll(async () => {
  const runs = ADDING_TASK.runs(settings).filter((r) => r.id === 'tanh-rnn@5' || r.id === 'gru@5');
  entries = [];
  for (const run of runs) {
    const result = await ADDING_TASK.train(run, settings);
    entries.push({ result, agrees: taskAgrees(run.expect, result) });
  }
}, 120_000);

describe('taskAgrees', () => {
  it('needs an expected verdict and the metric within its bounds', () => {
    const expect_ = { verdicts: ['healthy'] as const, minMetric: 0.5, claim: '' };
    expect(taskAgrees(expect_, { verdict: 'healthy', metric: 0.5 })).toBe(true);
    expect(taskAgrees(expect_, { verdict: 'healthy', metric: 0.49 })).toBe(false);
    expect(taskAgrees(expect_, { verdict: 'vanishing', metric: 0.9 })).toBe(false);
    expect(taskAgrees({ verdicts: ['vanishing'], maxMetric: 0.25, claim: '' }, { verdict: 'vanishing', metric: 0.26 })).toBe(false);
    expect(taskAgrees({ verdicts: ['vanishing', 'healthy'], claim: '' }, { verdict: 'healthy', metric: 0 })).toBe(true);
  });
});

describe('the table and the notes', () => {
  it('has run, verdict, the metric, final loss, the task’s columns, time and literature', () => {
    const { header, rows } = taskTableRows(ADDING_TASK, entries);
    expect(header).toEqual(['run', 'verdict', 'solved (|err| < 0.04)', 'final loss', 'steps', 'held-out MSE', '‖∂L/∂h₀‖/‖∂L/∂h_T‖', 'time', 'literature']);
    expect(rows.map((r) => r[0])).toEqual(['tanh-rnn@5', 'gru@5']);
    const [tanh] = entries;
    if (tanh === undefined) throw new Error('no run');
    expect(rows[0]?.[2]).toBe(`${(100 * tanh.result.metric).toFixed(1)}%`);
    expect(rows[0]?.[4]).toBe('3');
    expect(rows[0]?.at(-1)).toBe(tanh.agrees ? 'agrees' : 'differs');
    const text = formatTaskTable(ADDING_TASK, entries);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('gru@5');
  });

  it('explains every run, saying whether it agrees', () => {
    const notes = taskNotes(ADDING_TASK, entries);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^tanh-rnn@5 — (agrees with|differs from) the literature: ‖∂L\/∂h₀‖\/‖∂L\/∂h_4‖ = /);
    expect(notes[1]).toMatch(/^gru@5 — /);
  });

  it('writes a note for a differing run without an explanation', () => {
    const { explain: _explain, ...bare } = ADDING_TASK;
    const first = entries[0] as TaskEntry;
    const notes = taskNotes(bare, [
      { ...first, agrees: false },
      { ...first, agrees: true },
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(first.result.run.expect.claim);
    expect(notes[0]).toContain(`verdict ${first.result.verdict}`);
  });
});

describe('report.json and report.html', () => {
  it('report.json holds the settings, what was scaled down, the rows, notes, curves and every report', () => {
    const doc = JSON.parse(taskReportJson(ADDING_TASK, entries, context()));
    expect(doc).toMatchObject({ format: 'gradient-lab-report', task: 'adding', settings, scaledDown: ADDING_TASK.scaledDown, seconds: 1.25 });
    expect(doc.table.map((r: { id: string }) => r.id)).toEqual(['tanh-rnn@5', 'gru@5']);
    const first = entries[0]?.result as TaskRunResult;
    expect(doc.table[0]).toMatchObject({ verdict: first.verdict, metric: first.metric, stepsTaken: 3, expectation: first.run.expect.claim });
    expect(doc.notes).toEqual(context().notes);
    expect(doc.curves[0].lossCurve).toHaveLength(first.lossCurve.length);
    expect(doc.diagnostics.configs).toHaveLength(2);
    expect(doc.diagnostics.configs[0].reports[0].temporal[0].layer).toBe('0.simpleRnn');
  });

  it('report.html has the header, the scaled-down note, the table, the loss chart, the claims and the notes, then every run', () => {
    const html = taskReportHtml(ADDING_TASK, entries, context());
    const order = [
      'gradient-lab compare --task adding · backend cpu · 3 steps of 4, seed 2',
      'Scaled down:',
      '<h2>Results</h2>',
      '<th>literature</th>',
      'Minibatch training loss over steps',
      'What the literature expects',
      'id="notes"',
      'Every run',
      'tanh-rnn@5: tanh RNN, T = 5',
    ];
    const at = order.map((s) => html.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('writes both files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradient-lab-task-'));
    try {
      const paths = writeTaskReport(join(dir, 'out'), ADDING_TASK, entries, context());
      expect(readFileSync(paths.html, 'utf8')).toContain('<h2>Results</h2>');
      expect(JSON.parse(readFileSync(paths.json, 'utf8')).task).toBe('adding');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
