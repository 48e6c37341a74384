import type { FindingKind } from '@gradkit/diagnostics';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type PlaygroundConfig, PRESETS, presetTask, TASK_CONTROLS, TASK_DEFAULTS } from './config.js';
import { fixFor, runVerdict, shrinkFixes } from './fixes.js';

const KINDS: readonly FindingKind[] = [
  'nonfinite',
  'exploding',
  'growingNorm',
  'explodingActivations',
  'explodingThroughTime',
  'attentionLogitGrowth',
  'vanishing',
  'vanishingThroughTime',
  'deadUnits',
  'saturation',
  'largeUpdates',
  'smallUpdates',
  'lossSpike',
];

const config = (changes: Partial<PlaygroundConfig> = {}): PlaygroundConfig => ({ ...DEFAULT_CONFIG, ...changes });

describe('runVerdict (gradient-lab summarize rule)', () => {
  it('takes the most frequent verdict, ties to the more severe', () => {
    expect(runVerdict(['vanishing', 'vanishing', 'healthy'], false)).toBe('vanishing');
    expect(runVerdict(['healthy', 'vanishing'], false)).toBe('vanishing');
    expect(runVerdict(['healthy', 'healthy', 'exploding'], false)).toBe('healthy');
    expect(runVerdict([], false)).toBe('healthy');
  });
  it('calls a divergence exploding when reports warned, nonfinite otherwise', () => {
    expect(runVerdict(['healthy', 'exploding', 'nonfinite'], false)).toBe('exploding');
    expect(runVerdict(['healthy', 'nonfinite', 'exploding'], false)).toBe('nonfinite');
    expect(runVerdict(['healthy'], true)).toBe('nonfinite');
  });
});

describe('fixFor (only remedies gradient-lab confirms)', () => {
  it('vanishing: ReLU + He first, then BatchNorm, then residual blocks, then nothing; never Adam', () => {
    expect(fixFor('vanishing', config())?.patch).toEqual({ activation: 'relu', init: 'he', initScale: 1 });
    const he = config({ activation: 'relu', init: 'he', initScale: 1 });
    expect(fixFor('vanishing', he)?.patch).toEqual({ norm: 'batch' });
    expect(fixFor('vanishing', { ...he, norm: 'batch' })?.patch).toEqual({ residual: true, norm: 'layer' });
    expect(fixFor('vanishing', { ...he, norm: 'layer', residual: true })).toBeUndefined();
    expect(fixFor('smallUpdates', config())?.patch).toEqual({ activation: 'relu', init: 'he', initScale: 1 });
  });
  it('exploding: clipByGlobalNorm(1) first, then the init scale, then BatchNorm; never a lower learning rate', () => {
    const exploding = config({ activation: 'relu', init: 'he', initScale: 2 });
    expect(fixFor('exploding', exploding)?.patch).toEqual({ clip: 1 });
    expect(fixFor('growingNorm', { ...exploding, clip: 1 })?.patch).toEqual({ initScale: 1 });
    expect(fixFor('exploding', { ...exploding, clip: 1, initScale: 1, norm: 'none' })?.patch).toEqual({ norm: 'batch' });
    expect(fixFor('largeUpdates', { ...exploding, clip: 1, initScale: 1, norm: 'batch' })).toBeUndefined();
  });
  it('non-finite values: clipping, then the init scale', () => {
    expect(fixFor('nonfinite', config({ lr: 0.5, initScale: 2 }))?.patch).toEqual({ clip: 1 });
    expect(fixFor('nonfinite', config({ lr: 0.5, clip: 1, initScale: 2 }))?.patch).toEqual({ initScale: 1 });
  });
  it('warnings: dead units → He init at scale 1 (not leakyRelu), saturation → ReLU + He', () => {
    expect(fixFor('deadUnits', config({ activation: 'relu', init: 'glorot' }))?.patch).toEqual({ init: 'he', initScale: 1 });
    expect(fixFor('saturation', config())?.label).toBe('ReLU + He init');
  });
});

describe('fixFor on the sequence and conv tasks (the lab runs each remedy confirms)', () => {
  const adding = (changes: Partial<PlaygroundConfig> = {}) => config({ ...TASK_DEFAULTS.adding, ...changes });
  const cnn = (changes: Partial<PlaygroundConfig> = {}) => config({ ...TASK_DEFAULTS.cnn, ...changes });
  const transformer = (changes: Partial<PlaygroundConfig> = {}) => config({ ...TASK_DEFAULTS.transformer, ...changes });

  it('adding: vanishing through time → an LSTM cell (tanh RNN and IRNN), nothing for LSTM/GRU', () => {
    expect(fixFor('vanishingThroughTime', adding())).toEqual({ label: 'LSTM cell', patch: { cell: 'lstm' } });
    expect(fixFor('vanishingThroughTime', adding({ cell: 'irnn' }))?.patch).toEqual({ cell: 'lstm' });
    expect(fixFor('vanishing', adding())?.patch).toEqual({ cell: 'lstm' });
    expect(fixFor('saturation', adding())?.patch).toEqual({ cell: 'lstm' });
    expect(fixFor('vanishingThroughTime', adding({ cell: 'lstm' }))).toBeUndefined();
    expect(fixFor('vanishingThroughTime', adding({ cell: 'gru' }))).toBeUndefined();
  });
  it('adding: exploding through time → clipByGlobalNorm(1), then an LSTM cell; never an MLP control', () => {
    expect(fixFor('explodingThroughTime', adding({ cell: 'irnn' }))?.patch).toEqual({ clip: 1 });
    expect(fixFor('nonfinite', adding())?.patch).toEqual({ clip: 1 });
    expect(fixFor('explodingThroughTime', adding({ cell: 'irnn', clip: 1 }))?.patch).toEqual({ cell: 'lstm' });
    expect(fixFor('lossSpike', adding({ cell: 'gru', clip: 1 }))).toBeUndefined();
    for (const kind of ['vanishingThroughTime', 'explodingThroughTime', 'exploding', 'deadUnits'] as const) {
      const patch = fixFor(kind, adding())?.patch ?? {};
      expect(Object.keys(patch).every((k) => TASK_CONTROLS.adding.includes(k as keyof PlaygroundConfig))).toBe(true);
    }
  });
  it('cnn: a plain deep conv net that vanishes → BatchNorm, then residual blocks, then nothing', () => {
    expect(fixFor('vanishing', cnn())).toEqual({ label: 'add BatchNorm', patch: { norm: 'batch' } });
    expect(fixFor('vanishing', cnn({ norm: 'batch' }))).toEqual({ label: 'residual blocks', patch: { residual: true } });
    expect(fixFor('deadUnits', cnn({ norm: 'batch', residual: true }))).toBeUndefined();
    expect(fixFor('exploding', cnn())?.patch).toEqual({ clip: 1 });
    expect(fixFor('explodingActivations', cnn({ clip: 1 }))?.patch).toEqual({ norm: 'batch' });
  });
  it('transformer: logit growth or a loss spike in Post-LN → Pre-LN, then warmup (a fifth of the run), then clipping', () => {
    expect(fixFor('attentionLogitGrowth', transformer())).toEqual({ label: 'Pre-LN blocks', patch: { blockNorm: 'pre' } });
    expect(fixFor('lossSpike', transformer())?.patch).toEqual({ blockNorm: 'pre' });
    expect(fixFor('attentionLogitGrowth', transformer({ blockNorm: 'pre', steps: 300 }))).toEqual({ label: 'warmup over 60 steps', patch: { warmup: 60 } });
    expect(fixFor('lossSpike', transformer({ blockNorm: 'pre', warmup: 60 }))?.patch).toEqual({ clip: 1 });
    expect(fixFor('lossSpike', transformer({ blockNorm: 'pre', warmup: 60, clip: 1 }))).toBeUndefined();
    expect(fixFor('deadUnits', transformer())).toBeUndefined();
  });
  it('transformer: exploding gradients or activations → clipByGlobalNorm(1) first (their own first remedy), then Pre-LN, then warmup', () => {
    expect(fixFor('explodingActivations', transformer())?.patch).toEqual({ clip: 1 });
    expect(fixFor('exploding', transformer({ clip: 1 }))?.patch).toEqual({ blockNorm: 'pre' });
    expect(fixFor('nonfinite', transformer({ clip: 1, blockNorm: 'pre', steps: 100 }))?.patch).toEqual({ warmup: 20 });
    expect(fixFor('exploding', transformer({ clip: 1, blockNorm: 'pre', warmup: 20 }))).toBeUndefined();
    expect(fixFor('vanishing', transformer())?.patch).toEqual({ blockNorm: 'pre' });
    expect(fixFor('vanishing', transformer({ blockNorm: 'pre' }))).toBeUndefined();
  });
  it('the MLP takes the new kinds that bound growth: exploding activations and loss spikes → clipping', () => {
    expect(fixFor('explodingActivations', config({ activation: 'relu', init: 'he', initScale: 2 }))?.patch).toEqual({ clip: 1 });
    expect(fixFor('lossSpike', config())?.patch).toEqual({ clip: 1 });
    expect(fixFor('vanishingThroughTime', config())).toBeUndefined();
  });
  it('every preset of a task applies only controls its task reads', () => {
    for (const p of PRESETS) {
      const task = presetTask(p);
      const c = config(p.changes);
      for (const kind of KINDS) {
        const patch = fixFor(kind, c)?.patch ?? {};
        const foreign = Object.keys(patch).filter((k) => !TASK_CONTROLS[task].includes(k as keyof PlaygroundConfig));
        expect({ preset: p.id, kind, foreign }).toEqual({ preset: p.id, kind, foreign: [] });
      }
    }
  });
});

describe('large updates on the other tasks: their own remedy, a lower learning rate', () => {
  it('divides the rate by 10 (clipping does not shrink the steps of Adam)', () => {
    expect(fixFor('largeUpdates', config({ ...TASK_DEFAULTS.transformer, lr: 1 }))).toEqual({ label: 'learning rate 0.1', patch: { lr: 0.1 } });
    expect(fixFor('largeUpdates', config({ ...TASK_DEFAULTS.adding, lr: 0.003 }))?.patch).toEqual({ lr: 0.0003 });
    expect(fixFor('largeUpdates', config(TASK_DEFAULTS.cnn))?.patch).toEqual({ lr: 0.005 });
  });
});

describe('shrinkFixes (configurations too big for memory)', () => {
  it('offers a quarter of the width, and of the sequence length on the sequence tasks', () => {
    expect(shrinkFixes(config({ width: 64 })).map((f) => f.patch)).toEqual([{ width: 16 }]);
    expect(shrinkFixes(config({ ...TASK_DEFAULTS.adding, width: 4096, seqLength: 2000 })).map((f) => f.patch)).toEqual([{ width: 1024 }, { seqLength: 500 }]);
    // The transformer's width stays a multiple of its 4 heads.
    expect(shrinkFixes(config({ ...TASK_DEFAULTS.transformer, width: 36, seqLength: 5 })).map((f) => f.patch)).toEqual([{ width: 8 }, { seqLength: 2 }]);
  });
});
