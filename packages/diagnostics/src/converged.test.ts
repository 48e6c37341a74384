// A fit batch is not vanishing gradients, and a norm climbing back from (about) zero is not exploding
// (issue 16: the lab's transformer trained by Muon reached a float32 loss of 0 at step 180, gradients
// 2.6e-9, then 5.4e-9 → 0.83 over 15 steps; both reports were false alarms).

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GradientMonitor, type GradientReport } from './index.js';
import { diagnose } from './rules.js';
import { weightReport } from './test-support.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

const weight = weightReport;
const tiny = [weight('1.kernel', 1e-9), weight('7.kernel', 2.6e-9)];
const base = { globalNorm: 2.8e-9, thresholds: DEFAULT_THRESHOLDS, backend: 'cpu', activations: [] };

describe('a fit batch and the recovery from it', () => {
  it('every gradient below vanishingNorm at a loss of (about) 0 is healthy; with a loss to learn, or none known, vanishing', () => {
    expect(diagnose({ ...base, layers: tiny, loss: 0 }).verdict).toBe('healthy');
    expect(diagnose({ ...base, layers: tiny, loss: 5e-7 }).verdict).toBe('healthy');
    expect(diagnose({ ...base, layers: tiny, loss: 2.3 }).verdict).toBe('vanishing');
    expect(diagnose({ ...base, layers: tiny }).verdict).toBe('vanishing');
  });

  it('a norm growing 2× per step from below vanishingNorm is no growingNorm; from above it, it is', async () => {
    const run = async (start: number) => {
      const monitor = new GradientMonitor();
      const reports: GradientReport[] = [];
      for (let k = 0; k < 4; k++) {
        const g = { layers: [{ kernel: tf.fill([4, 4], start * 3 ** k) }, { kernel: tf.fill([4, 4], start * 3 ** k) }] };
        reports.push(await monitor.observe({ grads: g }));
        tf.dispose(g as unknown as tf.TensorContainer);
      }
      return reports.at(-1)?.findings.map((f) => f.kind) ?? [];
    };
    expect(await run(1e-9)).not.toContain('growingNorm'); // 5.7e-9 → 1.5e-7: from below vanishingNorm = 1e-7
    expect(await run(1e-3)).toContain('growingNorm');
  });
});
