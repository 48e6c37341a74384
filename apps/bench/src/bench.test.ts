// Smoke tests of the benchmarks: every benchmark function runs on the test's backend with tiny sizes
// and one or two samples (fast), and the timing helpers and tables are checked on hand-worked data.
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { machineInfo } from './machine.js';
import { benchOptimizerStep, OPTIMIZERS } from './optimizer-step.js';
import { benchMonitoringOverhead } from './overhead.js';
import { quickPlan } from './plan.js';
import { type BackendResult, FORMAT, OVERHEAD_TARGET, overheadTable, readme } from './report.js';
import { interleave, pairedOverhead, quantile, summarize } from './timing.js';

const positive = (v: number) => Number.isFinite(v) && v > 0;

describe('timing helpers', () => {
  it('quantiles interpolate linearly, as numpy.percentile', () => {
    const s = summarize([10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // numpy.percentile(range(1, 11), [10, 50, 90]) → [1.9, 5.5, 9.1]
    expect(s.median).toBeCloseTo(5.5, 12);
    expect(s.p10).toBeCloseTo(1.9, 12);
    expect(s.p90).toBeCloseTo(9.1, 12);
    expect(s.samples).toBe(10);
    expect(quantile([4], 0.9)).toBe(4);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  it('interleave rotates the order every round and pairs samples by round', async () => {
    const order: string[] = [];
    const variant = (name: string, value: number) => ({
      name,
      run: async () => {
        order.push(name);
        return value;
      },
    });
    const samples = await interleave([variant('a', 1), variant('b', 2), variant('c', 3)], { maxRounds: 3, minRounds: 3, budgetMs: 0 });
    expect(order.join('')).toBe('abcbcacab');
    expect(samples).toEqual({ a: [1, 1, 1], b: [2, 2, 2], c: [3, 3, 3] });
    // Rounds after minRounds stop once the budget is spent.
    const few = await interleave([variant('a', 1)], { maxRounds: 100, minRounds: 2, budgetMs: -1 });
    expect(few.a).toHaveLength(2);
    expect(pairedOverhead([2.2, 3.3, 11], [2, 3, 10])).toBeCloseTo(0.1, 12);
  });
});

describe(`benchmarks on ${currentBackend()}`, () => {
  it('benchMonitoringOverhead times plain and monitored steps, every step observed', async () => {
    const r = await expectNoLeaks(() =>
      benchMonitoringOverhead({ depth: 2, width: 8, batch: 4, warmup: 1, rounds: { maxRounds: 2, minRounds: 1, budgetMs: 0 }, profileSamples: 1 }),
    );
    expect(r.config).toMatchObject({ depth: 2, width: 8, batch: 4, optimizer: 'sgd', tensors: 6, params: 784 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10 });
    const plain = r.variants.plain;
    expect(plain && positive(plain.median)).toBe(true);
    for (const name of ['monitorGradients', 'observe+taps']) {
      expect(positive(r.variants[name]?.median ?? Number.NaN), name).toBe(true);
      expect(Number.isFinite(r.overhead[name]?.ofMedians), name).toBe(true);
    }
    expect(r.variants.monitorGradients?.path).toMatch(/^(reference|fused:\w+)$/);
    // A fused plain step gets its reference-path twin in the profile, and only then.
    expect(r.variants.reference !== undefined).toBe(plain?.path !== 'reference');
    expect(r.profile.referencePath !== undefined).toBe(plain?.path !== 'reference');
    expect(r.reportsPerStep).toBe(1);
    expect(['healthy', 'vanishing', 'exploding', 'nonfinite']).toContain(r.lastVerdict);
    expect(positive(r.profile.stats.total.median)).toBe(true);
  });

  it('benchMonitoringOverhead with adam and without the taps variant', async () => {
    const r = await benchMonitoringOverhead({
      depth: 1,
      width: 4,
      batch: 2,
      inputs: 6,
      classes: 3,
      optimizer: 'adam',
      taps: false,
      warmup: 1,
      rounds: { maxRounds: 1, minRounds: 1, budgetMs: 0 },
      profileSamples: 1,
    });
    expect(Object.keys(r.variants).sort()).toEqual(r.variants.reference ? ['monitorGradients', 'plain', 'reference'] : ['monitorGradients', 'plain']);
    expect(r.config.learningRate).toBe(1e-3);
  });

  it('benchOptimizerStep compares every optimizer with tfjs and a copy floor of the same bytes', async () => {
    const layouts = [
      { label: '10', shapes: [[10]] },
      { label: '3 small', shapes: [[3], [2, 2], [1]] },
    ];
    const seen: string[] = [];
    const result = await expectNoLeaks(() =>
      benchOptimizerStep({ layouts, warmup: 1, minSamples: 1, maxSamples: 2, maxStepsPerSample: 2, caseBudgetMs: 0 }, (row) => seen.push(row.optimizer)),
    );
    expect(result.rows).toHaveLength(8);
    expect(seen).toEqual(['adam', 'momentum', 'rmsprop', 'sgd', 'adam', 'momentum', 'rmsprop', 'sgd']);
    for (const row of result.rows) {
      const what = `${row.optimizer} ${row.layout}`;
      expect(row.params, what).toBe(row.layout === '10' ? 10 : 8);
      expect(row.bytesPerStep, what).toBe(OPTIMIZERS[row.optimizer].bytesPerParam * row.params);
      expect(row.floor.elements, what).toBe(Math.round(row.bytesPerStep / 8));
      for (const v of [row.gradkit.median, row.tfjs.median, row.floor.tfCopy.median, row.speedup, row.gradkit.gbs, row.tfjs.gbs])
        expect(positive(v), what).toBe(true);
      expect(row.gradkit.perSample, what).toBeGreaterThanOrEqual(1);
      expect(row.gradkit.perSample, what).toBeLessThanOrEqual(2);
      expect(row.gradkit.path, what).toMatch(/^(reference|fused:\w+)$/);
      expect(row.leakedTensors, what).toBe(0);
      expect(row.floor.ms, what).toBe(Math.min(row.floor.tfCopy.median, row.floor.jsCopy?.median ?? Number.POSITIVE_INFINITY));
    }
  });

  it('the tables and README name every backend and the ≤ 5% verdict', async () => {
    const plan = quickPlan();
    const overhead = await benchMonitoringOverhead({ ...plan.overhead[0], depth: 1, width: 4, batch: 2, inputs: 6, classes: 3, taps: false });
    const optimizerStep = await benchOptimizerStep({ ...plan.optimizerStep, layouts: [{ label: '4', shapes: [[4]] }], optimizers: ['sgd'] });
    const machine = machineInfo();
    const result = (backend: string): BackendResult => ({
      format: FORMAT,
      backend,
      backendInfo: { name: 'cpu', simd: false, threads: false, fallbacks: [], described: `${backend} described` },
      machine,
      command: 'test',
      source: { commit: '0123456789abcdef', changed: ['packages/core'] },
      startedAt: new Date(0).toISOString(),
      seconds: 1,
      loadAverageAtEnd: 0,
      overhead: [overhead],
      optimizerStep,
      notes: [`a note for ${backend}`],
    });
    const results = [result('cpu'), result('webgpu')];
    const verdict = (overhead.overhead.monitorGradients?.ofMedians ?? Number.NaN) <= OVERHEAD_TARGET ? 'met' : 'NOT met';
    const rows = overheadTable(results).split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(new RegExp(`^\\| cpu \\| sgd .* \\| ${verdict} \\| \\d+ \\|$`));
    expect(rows[3]).toMatch(/^\| webgpu \| .* \| n\/a \| \d+ \|$/);
    const text = readme(results, ['wasm: the run failed']);
    for (const s of [
      '### cpu described',
      '### webgpu described',
      '- a note for webgpu',
      '- wasm: the run failed',
      machine.cpu,
      'commit 0123456789ab plus uncommitted changes in packages/core',
      '| sgd | 4 (1) |',
    ])
      expect(text).toContain(s);
  });
});
