import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type PlaygroundConfig } from './config.js';
import { fixFor, runVerdict } from './fixes.js';

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

describe('fixFor', () => {
  it('vanishing: ReLU + He first, then LayerNorm, residual, Adam, then nothing', () => {
    expect(fixFor('vanishing', config())?.patch).toEqual({ activation: 'relu', init: 'he', initScale: 1 });
    const he = config({ activation: 'relu', init: 'he' });
    expect(fixFor('vanishing', he)?.patch).toEqual({ norm: 'layer' });
    expect(fixFor('vanishing', { ...he, norm: 'layer' })?.patch).toEqual({ residual: true });
    expect(fixFor('vanishing', { ...he, norm: 'layer', residual: true })?.patch).toEqual({ optimizer: 'adam', lr: 1e-3 });
    expect(fixFor('vanishing', { ...he, norm: 'layer', residual: true, optimizer: 'adam' })).toBeUndefined();
  });
  it('exploding: clipByGlobalNorm(1) first, then the init scale, then the learning rate ÷10', () => {
    const exploding = config({ activation: 'relu', init: 'he', initScale: 2 });
    expect(fixFor('exploding', exploding)?.patch).toEqual({ clip: 1 });
    expect(fixFor('growingNorm', { ...exploding, clip: 1 })?.patch).toEqual({ initScale: 1 });
    expect(fixFor('exploding', { ...exploding, clip: 1, initScale: 1, lr: 0.05 })?.patch).toEqual({ lr: 0.005 });
  });
  it('non-finite values: clipping and a lower learning rate', () => {
    expect(fixFor('nonfinite', config({ lr: 0.5 }))?.patch).toEqual({ clip: 1, lr: 0.05 });
    expect(fixFor('nonfinite', config({ lr: 0.5, clip: 1 }))?.patch).toEqual({ lr: 0.05 });
  });
  it('warnings', () => {
    expect(fixFor('deadUnits', config({ activation: 'relu' }))?.patch).toEqual({ activation: 'leakyRelu' });
    expect(fixFor('saturation', config())?.label).toBe('ReLU + He init');
    expect(fixFor('largeUpdates', config({ lr: 1 }))?.patch).toEqual({ lr: 0.1 });
    expect(fixFor('smallUpdates', config())?.patch).toEqual({ optimizer: 'adam', lr: 1e-3 });
  });
});
