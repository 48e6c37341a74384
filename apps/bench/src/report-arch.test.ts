// The architecture benchmark's tables, targets and README section, on made-up results.
import { describe, expect, it } from 'vitest';
import type { ArchResult } from './arch.js';
import { ARCH_SIZES, type ArchModel, type ArchVariant, archLabel } from './arch-names.js';
import { madeUpResult } from './made-up-result.js';
import { readme } from './report.js';
import { archChecks, archLossTable, archMemoryTable, archTable, mib } from './report-arch.js';

const s = (median: number) => ({ median, p10: median * 0.9, p90: median * 1.1, samples: 5 });

/** A made-up result: ms/step per variant (absent: unavailable with that reason). */
function arch(model: ArchModel, ms: Partial<Record<ArchVariant, number>>, unavailable: Partial<Record<ArchVariant, string>> = {}): ArchResult {
  const ran = Object.keys(ms) as ArchVariant[];
  const r = (a: ArchVariant, b: ArchVariant) => (ms[a] === undefined || ms[b] === undefined ? null : (ms[a] as number) / (ms[b] as number));
  const compared = ran.filter((v) => !(model === 'gru' && v === 'gradkit'));
  return {
    model,
    label: archLabel(model, ARCH_SIZES[model]),
    config: {
      sizes: ARCH_SIZES[model],
      params: 56_714,
      batches: 4,
      stepsPerSample: 1,
      seed: 1,
      adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    },
    variants: Object.fromEntries(ran.map((v) => [v, s(ms[v] as number)])),
    unavailable,
    memory: Object.fromEntries(ran.map((v) => [v, { peakBytes: 3 * 2 ** 20, newTensors: 0 }])),
    gradkitPath: 'fused:GradkitAdam',
    ratios: {
      gradkitOverLayers: r('tfjs-layers', 'gradkit'),
      gradkitOverLayersWithGradkit: r('tfjs-layers + gradkit', 'gradkit'),
      layersFastPaths: r('tfjs-layers', 'tfjs-layers + gradkit'),
    },
    lossCheck: {
      steps: [1, 2],
      losses: Object.fromEntries(compared.map((v) => [v, [2.3, 2.2]])),
      all: Object.fromEntries(ran.map((v) => [v, [2.3, v === 'gradkit' && model === 'gru' ? 2.4 : 2.2]])),
      compared,
      spread: [1e-7, 3e-7],
      tolerance: 1e-4,
      pass: true,
      ...(model === 'gru' ? { note: 'different equations' } : {}),
    },
  };
}

const backend = (name: string, results: ArchResult[] | undefined) => madeUpResult(name, results ? { arch: results } : {});

describe('architecture tables', () => {
  const conv = arch('conv', { gradkit: 40, 'tfjs-layers + gradkit': 60 }, { 'tfjs-layers': "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" });
  const lstm = arch('lstm', { gradkit: 30, 'tfjs-layers': 45, 'tfjs-layers + gradkit': 40 });
  const gru = arch('gru', { gradkit: 50, 'tfjs-layers': 40, 'tfjs-layers + gradkit': 40 });

  it('one row per backend and net, with ratios, unavailable variants and the loss check', () => {
    const rows = archTable([backend('wasm', [conv, lstm, gru])]).split('\n');
    expect(rows).toHaveLength(5);
    expect(rows[2]).toContain('| wasm | conv net 28×28×1, conv 3×3 16-32-32, dense 64, batch 64 (56.7k) | 40.0 (36.0–44.0) | n/a: Kernel ');
    expect(rows[2]).toContain('| **–** | 1.50× | – |');
    // LSTM: 45 ÷ 30 = 1.50× over tfjs-layers alone, 40 ÷ 30 = 1.33× over it with gradkit's kernels, 45 ÷ 40 = 1.13×.
    expect(rows[3]).toContain('| **1.50×** | 1.33× | 1.13× | yes: ≤ 3.0e-7 (steps 1, 2; gradkit, tfjs-layers, tfjs-layers + gradkit) | 5 × 1 |');
    expect(rows[4]).toContain('gradkit not compared: different GRU equations');
    expect(archMemoryTable([backend('cpu', [lstm])]).split('\n')[2]).toBe('| cpu | lstm | 3.00 MiB (0) | 3.00 MiB (0) | 3.00 MiB (0) |');
    expect(archLossTable([backend('cpu', [gru])]).split('\n')[3]).toBe('| cpu | gru | 2 | 2.4000000 | 2.2000000 | 2.2000000 | 3.0e-7 |');
    expect(mib(1536 * 2 ** 20)).toBe('1536 MiB');
  });

  it('issue 14 target: gradkit at least as fast as tfjs-layers alone, else as tfjs-layers with gradkit where alone it cannot train', () => {
    const checks = archChecks('wasm', [conv, lstm, gru]);
    expect(checks.map((c) => c.pass)).toEqual([true, true, false]);
    expect(checks[0]?.measured).toMatch(
      /^tfjs-layers alone cannot train it \(Kernel 'Conv2DBackpropFilter' .*\); with gradkit's kernels 1.50× \(40.0 vs 60.0 ms\/step\)$/,
    );
    expect(checks[2]?.measured).toBe('0.80× (50.0 vs 40.0 ms/step)');
    expect(archChecks('cpu', undefined)).toEqual([]);
    expect(archChecks('cpu', [arch('lstm', {}, { gradkit: 'boom' })])[0]).toMatchObject({ pass: null, measured: 'gradkit did not run: boom' });
  });

  it('the README has the section only when a result file has architecture rows', () => {
    const text = readme([backend('wasm', [conv, lstm])]);
    expect(text).toContain('## Architectures: conv net, LSTM, GRU, transformer, gradkit vs tfjs-layers (issue 14)');
    expect(text).toContain('custom `tf.layers.Layer`');
    expect(text).toContain("arch, lstm: gradkit's training step at least as fast as tfjs-layers'");
    // A result file written before issue 14 has no `arch`: no section, no target rows.
    const old = readme([backend('wasm', undefined)]);
    expect(old).not.toContain('## Architectures');
    expect(old).not.toContain('arch, ');
  });
});
