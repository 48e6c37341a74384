// Smoke tests of the benchmarks: every benchmark function runs on the test's backend with tiny sizes
// and one or two samples (fast), and the timing helpers and tables are checked on hand-worked data.
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseOnly } from './args.js';
import { benchEndToEnd, E2E_VARIANTS, type EndToEndResult } from './e2e.js';
import { machineInfo } from './machine.js';
import { countSubmits, nativeCopy, webgpuBackend } from './native.js';
import { benchOptimizerStep, OPTIMIZERS, type OptimizerRow, STEP_OPTIMIZERS } from './optimizer-step.js';
import { benchMonitoringOverhead } from './overhead.js';
import { quickPlan } from './plan.js';
import { type BackendResult, FORMAT, gpuErrorNotes, OVERHEAD_TARGET, overheadTable, readme, targetChecks } from './report.js';
import { interleave, pairedOverhead, quantile, type Summary, summarize } from './timing.js';

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
      benchOptimizerStep({ layouts, warmup: 1, minSamples: 1, maxSamples: 2, maxStepsPerSample: 2, caseBudgetMs: 0, tfCopy: true }, (row) =>
        seen.push(row.optimizer),
      ),
    );
    expect(result.rows).toHaveLength(2 * STEP_OPTIMIZERS.length);
    expect(seen).toEqual([...STEP_OPTIMIZERS, ...STEP_OPTIMIZERS]);
    for (const row of result.rows) {
      const what = `${row.optimizer} ${row.layout}`;
      expect(row.params, what).toBe(row.layout === '10' ? 10 : 8);
      expect(row.bytesPerStep, what).toBe(OPTIMIZERS[row.optimizer].bytesPerParam * row.params);
      expect(row.floor.elements, what).toBe(Math.round(row.bytesPerStep / 8));
      for (const v of [
        row.gradkit.median,
        row.tfjs.median,
        row.floor.copy.median,
        row.floor.tfCopy?.median ?? Number.NaN,
        row.speedup,
        row.gradkit.gbs,
        row.tfjs.gbs,
      ])
        expect(positive(v), what).toBe(true);
      expect(row.gradkit.perSample, what).toBeGreaterThanOrEqual(1);
      expect(row.gradkit.perSample, what).toBeLessThanOrEqual(2);
      expect(row.gradkit.path, what).toMatch(/^(reference|fused:\w+)$/);
      expect(row.leakedTensors, what).toBe(0);
      expect(row.floor.ms, what).toBe(row.floor.copy.median);
      expect(row.floor.kind, what).toEqual(
        { cpu: 'Float32Array.set', wasm: expect.stringContaining('wasm heap'), webgpu: expect.stringContaining('copyBufferToBuffer') }[currentBackend()],
      );
      // Submits are counted on WebGPU only; any step submits at least once.
      if (currentBackend() === 'webgpu') {
        expect(row.submits?.gradkit, what).toBeGreaterThanOrEqual(1);
        expect(row.submits?.tfjs, what).toBeGreaterThanOrEqual(1);
      } else expect(row.submits, what).toBeUndefined();
    }
  });

  it("a layout's own sampling overrides the plan's (10M: one step per sample)", async () => {
    const r = await benchOptimizerStep({
      layouts: [{ label: 'one', shapes: [[5]], sampling: { warmup: 1, minSamples: 3, maxSamples: 3, maxStepsPerSample: 1 } }],
      optimizers: ['adam'],
      warmup: 2,
      minSamples: 1,
      maxSamples: 1,
      caseBudgetMs: 0,
      countSubmits: false,
    });
    expect(r.rows[0]?.gradkit.samples).toBe(3);
    expect(r.rows[0]?.gradkit.perSample).toBe(1);
    expect(r.rows[0]?.submits).toBeUndefined();
  });

  it("nativeCopy copies in the backend's memory; countSubmits counts submits on WebGPU only", async () => {
    const copy = nativeCopy(1000);
    copy.run();
    await copy.wait();
    copy.dispose();
    // Large enough that WebGPU does not hand the op to the CPU (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD).
    const a = tf.ones([4096]);
    try {
      const none = await countSubmits(() => {});
      // One op left recorded for tfjs to submit later counts as one submit; a readback inside submits too.
      const one = await countSubmits(() => tf.dispose(tf.add(a, a)));
      // What WebGPU rejects meanwhile is reported (a buffer without usage is a validation error).
      const rejected = await countSubmits(() => webgpuBackend()?.device.createBuffer({ size: 4, usage: 0 }).destroy());
      if (currentBackend() === 'webgpu') {
        expect(none).toEqual({ submits: 0 });
        expect(one).toEqual({ submits: 1 });
        expect(rejected?.submits).toBe(0);
        expect(rejected?.error).toEqual(expect.any(String));
      } else {
        expect(none).toBeNull();
        expect(one).toBeNull();
        expect(rejected).toBeNull();
      }
    } finally {
      a.dispose();
    }
  });

  it('benchEndToEnd trains the same MLP with gradkit and tfjs-layers', async () => {
    const r = await benchEndToEnd({
      depth: 1,
      width: 4,
      batch: 2,
      inputs: 6,
      classes: 3,
      batchesPerSample: 2,
      warmup: 1,
      rounds: { maxRounds: 1, minRounds: 1, budgetMs: 0 },
    });
    expect(r.config).toMatchObject({ depth: 1, width: 4, batch: 2, batchesPerSample: 2, params: 6 * 4 + 4 + 4 * 3 + 3, tensors: 4 });
    expect(Object.keys(r.variants).sort()).toEqual([...E2E_VARIANTS].sort());
    for (const name of E2E_VARIANTS) {
      expect(positive(r.variants[name].median), name).toBe(true);
      expect(r.variants[name].samplesPerSecond, name).toBeCloseTo(2000 / r.variants[name].median, 6);
    }
    expect(r.speedupOverFit).toBeCloseTo(r.variants['model.fit'].median / r.variants['gradkit step'].median, 12);
    expect(r.path).toMatch(/^(reference|fused:\w+)$/);
  });

  it('the tables and README name every backend and the ≤ 5% verdict', async () => {
    const plan = quickPlan();
    const overhead = await benchMonitoringOverhead({ ...plan.overhead[0], depth: 1, width: 4, batch: 2, inputs: 6, classes: 3, taps: false });
    const optimizerStep = await benchOptimizerStep({ ...plan.optimizerStep, layouts: [{ label: '4', shapes: [[4]] }], optimizers: ['sgd', 'clip-adam'] });
    const endToEnd = await benchEndToEnd({
      depth: 1,
      width: 4,
      batch: 2,
      inputs: 6,
      classes: 3,
      batchesPerSample: 1,
      warmup: 0,
      rounds: { maxRounds: 1, minRounds: 1, budgetMs: 0 },
    });
    const machine = machineInfo();
    const result = (backend: string): BackendResult => ({
      format: FORMAT,
      backend,
      backendInfo: { name: 'cpu', simd: false, threads: false, threadCount: 1, fallbacks: [], described: `${backend} described` },
      machine,
      command: 'test',
      source: { commit: '0123456789abcdef', changed: ['packages/core'] },
      startedAt: new Date(0).toISOString(),
      seconds: 1,
      loadAverageAtEnd: 0,
      overhead: [overhead],
      optimizerStep,
      endToEnd,
      peer: [],
      profiles: [],
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
      '| clipByGlobalNorm → adam | 4 (1) |',
      '## Targets (issues 6, 13 and 14)',
      '| cpu | adam ≥ 30× faster than tf.train.adam (≥ 1M parameters) | not run | not measured |',
      '## End to end: a training step, gradkit vs tfjs-layers',
      '| webgpu | exactly one queue submit per gradkit step, on a fused path',
    ])
      expect(text).toContain(s);
  });
});

/** A made-up optimizer row: only what the targets read. */
function row(
  optimizer: OptimizerRow['optimizer'],
  params: number,
  speedup: number,
  overFloor: number,
  submits?: number,
  path: OptimizerRow['gradkit']['path'] = 'fused:GradkitAdam',
): OptimizerRow {
  const s = (median: number): Summary & { perSample: number } => ({ median, p10: median, p90: median, samples: 5, perSample: 1 });
  return {
    optimizer,
    layout: params >= 1e7 ? '10M' : params >= 1e6 ? '1M' : '100k',
    params,
    tensors: 1,
    bytesPerStep: 28 * params,
    gradkit: { ...s(10), gbs: 1, path },
    tfjs: { ...s(10 * speedup), gbs: 1 },
    speedup,
    floor: { elements: 1, kind: 'copy', copy: s(10 / overFloor), ms: 10 / overFloor, gbs: 1 },
    gradkitOverFloor: overFloor,
    leakedTensors: 0,
    ...(submits === undefined ? {} : { submits: { gradkit: submits, tfjs: 9 } }),
  };
}

describe('targets', () => {
  const e2e = (speedupOverFit: number) =>
    ({
      speedupOverFit,
      path: 'reference',
      variants: { 'gradkit step': { samplesPerSecond: 2 }, 'model.fit': { samplesPerSecond: 1 } },
    }) as unknown as EndToEndResult;
  const result = (backend: string, rows: OptimizerRow[], endToEnd: EndToEndResult | null) =>
    ({ backend, optimizerStep: { rows }, endToEnd, overhead: [], peer: [] }) as unknown as BackendResult;

  it('checks every size ≥ 1M of adam, the floor, the submits and end to end, per backend', () => {
    const checks = targetChecks([
      // cpu: 1M meets 30× and 2.5×, 10M misses 30× by a hair; small sizes and other optimizers do not count.
      result('cpu', [row('adam', 1e5, 1, 100), row('adam', 1e6, 31, 2.4), row('adam', 1e7, 29.9, 2.5), row('momentum', 1e6, 1, 100)], e2e(1.29)),
      result('wasm', [row('adam', 1e6, 3, 2.5)], e2e(1)),
      result('webgpu', [row('adam', 1e6, 3.5, 9, 1), row('momentum', 1e5, 1, 9, 2), row('sgd', 1e5, 1, 9, 1, 'reference')], null),
    ]);
    const verdicts = checks.map((c) => `${c.backend}: ${c.target.split(' (')[0]} → ${c.pass}`);
    expect(verdicts).toEqual([
      'cpu: adam ≥ 30× faster than tf.train.adam → false',
      'cpu: adam within 2.5× of the copy floor → true',
      'cpu: end to end: gradkit ≥ 1.3× as fast as tfjs-layers model.fit → false',
      'wasm: adam ≥ 3× faster than tf.train.adam → true',
      'wasm: adam within 2.5× of the copy floor → true',
      'wasm: end to end: gradkit at least as fast as tfjs-layers model.fit → true',
      "wasm: peer, MLP: gradkit's training step at least as fast as jax-js's jitted step → null",
      'wasm: peer, MLP: gradkit ≥ 4× faster than tfjs-layers without gradkit → null',
      "wasm: peer, MLP: tfjs-layers trainOnBatch ≥ 3× faster with gradkit's fast paths than without → null",
      'webgpu: adam ≥ 3× faster than tf.train.adam → true',
      'webgpu: exactly one queue submit per gradkit step, on a fused path → false',
      'webgpu: end to end: gradkit at least as fast as tfjs-layers model.fit → null',
    ]);
    expect(checks[0]?.measured).toBe('1M: 31× (10.0 vs 310 ms, fused:GradkitAdam); 10M: 30× (10.0 vs 299 ms, fused:GradkitAdam)');
    expect(checks[10]?.measured).toBe('1 of 3 cases; others: momentum 100k: 2 (fused:GradkitAdam), sgd 100k: 1 (reference)');
  });

  it('a step WebGPU rejected fails its targets and gets a note', () => {
    const bad = { ...row('adam', 1e6, 5, 1, 1), submits: { gradkit: 1, tfjs: 2, errors: { gradkit: 'too many storage buffers' } } };
    const checks = targetChecks([result('webgpu', [bad], null)]);
    expect(checks.map((c) => c.pass)).toEqual([false, false, null]);
    expect(checks[0]?.measured).toContain('⚠ WebGPU rejected the step');
    expect(gpuErrorNotes([bad])).toEqual([
      `⚠ adam at 1M: WebGPU rejected work of gradkit's step ("too many storage buffers"); the rejected command buffers were dropped, so that side's timing does not count.`,
    ]);
  });

  it('says "not run" where a benchmark did not run', () => {
    const checks = targetChecks([result('wasm', [row('adam', 1e5, 5, 1)], null)]);
    expect(checks.map((c) => [c.measured, c.pass])).toEqual([
      ['not run', null],
      ['not run', null],
      ['not run', null],
      ['not run', null],
      ['not run', null],
      ['not run', null],
    ]);
  });
});

describe('command line', () => {
  it('--only takes a comma-separated list of benchmarks', () => {
    expect(parseOnly('optimizer')).toEqual(['optimizer']);
    expect(parseOnly('optimizer, e2e')).toEqual(['optimizer', 'e2e']);
    expect(parseOnly('peer,profiles')).toEqual(['peer', 'profiles']);
    expect(parseOnly('arch')).toEqual(['arch']);
    expect(() => parseOnly('archs')).toThrow(/\(did you mean arch\?\)/);
    expect(() => parseOnly('optimizer,bogus')).toThrow(/optimizer, e2e, overhead, peer, profiles, arch/);
  });
});
