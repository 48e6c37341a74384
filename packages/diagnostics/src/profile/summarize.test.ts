import { describe, expect, it } from 'vitest';
import type { KernelCall, StepRecord } from './recorder.js';
import { quantile, summarize } from './summarize.js';

const call = (name: string, phase: KernelCall['phase'], ms: number, more: Partial<KernelCall> = {}): KernelCall => ({
  name,
  phase,
  ms,
  customOp: false,
  bytes: 8,
  shapes: '[2]',
  dispatches: 0,
  ...more,
});

// Three profiled steps. A runs twice in step 1 (two shape sets), once in step 2, not in step 3.
const records: StepRecord[] = [
  {
    wallMs: 10,
    calls: [
      call('A', 'forward', 1, { shapes: '[1]' }),
      call('A', 'forward', 3, { shapes: '[2]' }),
      call('B', 'backward', 2),
      call('x__op', 'forward', 4, { customOp: true, bytes: 100 }),
    ],
  },
  { wallMs: 30, calls: [call('A', 'forward', 2, { shapes: '[1]' }), call('B', 'backward', 6)] },
  { wallMs: 20, calls: [call('B', 'backward', 1), call('C', 'update', 0.5, { dispatches: 3 })] },
];

describe('summarize', () => {
  it('quantiles interpolate as numpy.percentile does', () => {
    // numpy.percentile([1, 2, 3, 4], [10, 50, 90]) → [1.3, 2.5, 3.7]
    expect(quantile([4, 1, 3, 2], 0.1)).toBeCloseTo(1.3, 12);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('gives per-step means of calls and bytes, medians of time, and the most frequent shapes', () => {
    const s = summarize(records, true);
    expect(s.kernels).toEqual([
      // per-step times: A [4, 2, 0] → 2 and B [2, 6, 1] → 2 (a tie, by name); C [0, 0, 0.5] → 0
      { name: 'A', phase: 'forward', calls: 1, ms: 2, bytes: 8, shapes: '[1] (+1 other)', dispatches: 0 },
      { name: 'B', phase: 'backward', calls: 1, ms: 2, bytes: 8, shapes: '[2]', dispatches: 0 },
      { name: 'C', phase: 'update', calls: 1 / 3, ms: 0, bytes: 8 / 3, shapes: '[2]', dispatches: 1 },
    ]);
    expect(s.customOps).toEqual([{ name: 'x__op', phase: 'forward', calls: 1 / 3, ms: 0, bytes: 100 / 3, shapes: '[2]', dispatches: 0 }]);
  });

  it('leaves custom ops out of the phases and the kernel time', () => {
    const s = summarize(records, false);
    expect(s.phases.forward).toEqual({ ms: 2, calls: 1, bytes: 8 }); // A: [4, 2, 0] ms, 3 calls in 3 steps
    expect(s.phases.backward).toEqual({ ms: 2, calls: 1, bytes: 8 });
    expect(s.phases.update).toEqual({ ms: 0, calls: 1 / 3, bytes: 8 / 3 });
    expect(s.kernelMs).toBe(6); // step totals [6, 8, 1.5]
    expect(s.profiledStepMs).toBe(20);
    expect(s.kernels.every((k) => k.dispatches === undefined)).toBe(true);
  });
});
