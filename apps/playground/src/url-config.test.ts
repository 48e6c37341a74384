import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, PRESETS, TASK_DEFAULTS } from './config.js';
import { configFromUrl, presetControls } from './url-config.js';

const fromUrl = (query: string) => configFromUrl(new URLSearchParams(query));

describe('configFromUrl', () => {
  it('takes a preset of a task and the controls the task reads', () => {
    const { config, warnings } = fromUrl('preset=adding-lstm&seqLength=80&backend=wasm');
    expect(warnings).toEqual([]);
    expect(config).toEqual({ ...DEFAULT_CONFIG, ...TASK_DEFAULTS.adding, cell: 'lstm', seqLength: 80 });
    expect(fromUrl('task=transformer&blockNorm=pre').config).toMatchObject({ task: 'transformer', blockNorm: 'pre', width: 32 });
  });
  it('ignores, with a sentence naming it, a setting the task does not read', () => {
    const { config, warnings } = fromUrl('preset=adding-tanh&residual=true&activation=relu');
    expect(config.residual).toBe(false);
    expect(config.activation).toBe(DEFAULT_CONFIG.activation);
    expect(warnings).toEqual([
      "'residual', 'activation' do not apply to the adding task (it reads cell, seqLength, width, optimizer, lr, schedule, clip, steps, batch, seed); ignored",
    ]);
    expect(fromUrl('task=mlp&cell=lstm').warnings).toEqual([expect.stringMatching(/^'cell' does not apply to the mlp task/)]);
  });
  it('names an unknown task, preset or setting and keeps a usable configuration', () => {
    const task = fromUrl('task=rnn&seqlen=50');
    expect(task.config).toEqual(DEFAULT_CONFIG);
    expect(task.warnings).toEqual([
      "unknown task 'rnn' (one of mlp, adding, cnn, transformer); showing the mlp task",
      expect.stringMatching(/^unknown setting 'seqlen' \(the controls are depth, width, /),
    ]);
    expect(fromUrl('preset=lstm').warnings).toEqual([expect.stringMatching(/^unknown preset 'lstm' \(one of baseline, /)]);
  });
  it('keeps the MLP links of before working (no task parameter)', () => {
    expect(fromUrl('preset=relu-he&width=32').config).toEqual({ ...DEFAULT_CONFIG, activation: 'relu', init: 'he', width: 32 });
  });
});

describe('presetControls', () => {
  const preset = (id: string) => PRESETS.find((p) => p.id === id) as (typeof PRESETS)[number];
  it("within a task, keeps the user's sizes and applies what the preset changes", () => {
    const current = { ...DEFAULT_CONFIG, ...TASK_DEFAULTS.cnn, depth: 30, steps: 90, lr: 0.2 };
    expect(presetControls(preset('cnn-batchnorm'), current)).toEqual({ ...DEFAULT_CONFIG, ...TASK_DEFAULTS.cnn, depth: 30, steps: 90, norm: 'batch' });
  });
  it("switching tasks starts from the preset's task defaults", () => {
    const current = { ...DEFAULT_CONFIG, depth: 3, width: 500 };
    expect(presetControls(preset('transformer-pre-ln'), current)).toEqual({ ...DEFAULT_CONFIG, ...TASK_DEFAULTS.transformer, blockNorm: 'pre' });
    expect(presetControls(preset('relu-he'), { ...DEFAULT_CONFIG, width: 16 })).toEqual({ ...DEFAULT_CONFIG, width: 16, activation: 'relu', init: 'he' });
  });
});
