// `compare --task <name>`: the task, its defaults, its size flags, `--only` with run ids, and the
// help text (the bad inputs are in hostile-tasks.test.ts).
import { describe, expect, it } from 'vitest';
import { type CompareCommand, parseArgs, taskSettings, UsageError, usage } from './args.js';
import { MATRIX_DEFAULTS } from './experiments.js';
import { ADDING_TASK } from './tasks/adding.js';

const compare = (...args: string[]) => parseArgs(['compare', ...args]) as CompareCommand;

describe('parseArgs: compare --task', () => {
  it('defaults to the MLP matrix, as before', () => {
    expect(compare()).toMatchObject({ kind: 'compare', task: 'mlp', ...MATRIX_DEFAULTS, sizes: {}, lists: {}, only: undefined });
    expect(compare('--task', 'mlp', '--depth', '4')).toMatchObject({ task: 'mlp', depth: 4 });
  });

  it('takes the task’s own defaults and its size flags', () => {
    const cmd = compare('--task', 'adding');
    expect(cmd).toMatchObject({ task: 'adding', steps: 1000, batch: 32, seed: 1, sizes: {}, lists: {} });
    expect(compare('--task=adding', '--lengths', '50,100', '--steps', '20', '--batch', '8', '--seed', '3')).toMatchObject({
      task: 'adding',
      steps: 20,
      batch: 8,
      seed: 3,
      lists: { lengths: [50, 100] },
    });
    // --task may come after the task's flags, and its name in any case.
    expect(compare('--lengths', '10', '--task', 'Adding')).toMatchObject({ task: 'adding', lists: { lengths: [10] } });
  });

  it('merges the flags into the task’s settings', () => {
    const cmd = compare('--task', 'adding', '--lengths', '30', '--steps', '7');
    expect(taskSettings(ADDING_TASK, cmd)).toEqual({ steps: 7, batch: 32, seed: 1, sizes: {}, lists: { lengths: [30] } });
  });

  it('takes --only with the ids of the runs at these lengths', () => {
    expect(compare('--task', 'adding', '--only', 'lstm@50,tanh-rnn@200').only).toEqual(['lstm@50', 'tanh-rnn@200']);
    expect(compare('--task', 'adding', '--lengths', '20', '--only', 'gru@20').only).toEqual(['gru@20']);
    // lstm@200 is a run only with --lengths …,200; the message says so.
    let error: unknown;
    try {
      compare('--task', 'adding', '--only', 'lstm@200');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).flag).toBe('--only');
    expect((error as Error).message).toContain("'lstm@200' is not a run of --task adding");
    expect((error as Error).message).toContain('--lengths');
  });
});

describe('usage: compare', () => {
  it('lists --task, the MLP flags and each task with its flags, defaults and run ids', () => {
    const text = usage('compare');
    for (const word of ['--task <mlp|adding|cnn|transformer>', '--depth', 'gradient-lab compare --task adding', '--lengths <a,b,…>', 'lstm@100', '(2–1000)'])
      expect(text).toContain(word);
  });
});
