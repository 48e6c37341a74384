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
