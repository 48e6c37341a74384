import { describe, expect, it } from 'vitest';
import { formatProfile, type StepProfile } from '../index.js';
import { SAMPLE_PROFILE } from './sample-profile.js';

const profile = SAMPLE_PROFILE;

const lineOf = (text: string, start: string) => text.split('\n').find((l) => l.startsWith(start)) ?? '';

describe('formatProfile', () => {
  it('prints the step time, the phases with their share of kernel time, and the top kernels', () => {
    const text = formatProfile(profile);
    expect(lineOf(text, 'optimizer step on wasm')).toContain('fast paths on');
    expect(lineOf(text, 'step ')).toBe('step 12 ms (p10 11.5, p90 13) · profiled 15 ms · kernels 10 ms');
    expect(lineOf(text, 'backward').split(/\s+/)).toEqual(['backward', '7', '70.0%', '6', '4', 'B']);
    expect(lineOf(text, 'forward').split(/\s+/)).toEqual(['forward', '2', '20.0%', '3', '128', 'KiB']);
    expect(lineOf(text, 'BatchMatMul').split(/\s+/)).toEqual(['BatchMatMul', 'backward', '6', '60.0%', '1', '64', 'KiB', '[128,64]·[128,256]']);
    expect(lineOf(text, 'Relu').split(/\s+/)).toEqual(['Relu', 'forward', '1.5', '15.0%', '1', '128', 'KiB', '[128,256]']);
    expect(text).toContain('top 3 of 3 kernels');
    expect(text).toContain('note: kernel times are wall-clock times');
    expect(text).not.toContain('dispatches');
  });

  it('lists only the top kernels, and the WebGPU counts where there are some', () => {
    const gpu: StepProfile = {
      ...profile,
      backend: 'webgpu',
      dispatches: 9,
      submits: 2,
      kernels: profile.kernels.map((k, i) => ({ ...k, dispatches: i + 1 })),
    };
    const text = formatProfile(gpu, { top: 1 });
    expect(text).toContain('top 1 of 3 kernels');
    expect(text).not.toContain('Relu');
    expect(lineOf(text, 'step ')).toContain('per step: 9 dispatches, 2 submits');
    expect(lineOf(text, 'kernel ').split(/\s+/)).toContain('dispatches');
    expect(lineOf(text, 'BatchMatMul').split(/\s+/)).toEqual(['BatchMatMul', 'backward', '6', '60.0%', '1', '1', '64', 'KiB', '[128,64]·[128,256]']);
  });

  it('reads a profile back from its JSON', () => {
    expect(formatProfile(JSON.parse(JSON.stringify(profile)))).toBe(formatProfile(profile));
  });
});
