import { flatten, Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { currentBackend, expectClose, expectNoLeaks, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { asTarget, classification, mlp, tinyModule } from './doctor-test-support.js';
import type { DoctorProgress, DoctorSettings, GradkitModelTarget } from './doctor-types.js';
import { copyLayersModel } from './layers-model.js';
import { probeFit } from './probe-fit.js';
import { batchOrder, gatherBatch } from './probe-fit-data.js';
import { fitVerdict, spikeStats } from './probe-fit-verdict.js';
import type { Finding, FindingKind, GradientReport, Verdict } from './report.js';
import { normals, seeded } from './test-support.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

const finding = (kind: FindingKind, what: string = kind): Finding => ({
  kind,
  severity: ['vanishing', 'exploding', 'nonfinite'].includes(kind) ? 'error' : 'warning',
  what,
  where: 'x',
  why: 'y',
  toTry: [],
});
const report = (step: number, verdict: Verdict, findings: Finding[] = []): GradientReport => ({
  format: 'gradkit-gradient-report',
  version: 1,
  step,
  verdict,
  globalNorm: 1,
  layers: [],
  activations: [],
  findings,
  thresholds: DEFAULT_THRESHOLDS,
  backend: 'cpu',
});

describe('fitVerdict (the verdict over a probe fit)', () => {
  it('takes the majority verdict of the later half, its own findings, warnings seen in half of it, and any spike', () => {
    const reports = [
      report(0, 'vanishing', [finding('vanishing'), finding('lossSpike', 'early spike')]),
      report(1, 'vanishing', [finding('vanishing')]),
      report(2, 'vanishing', [finding('vanishing'), finding('deadUnits')]),
      report(3, 'healthy', [finding('smallUpdates', 'first')]),
      report(4, 'healthy', [finding('smallUpdates', 'latest'), finding('deadUnits')]),
      report(5, 'vanishing', [finding('vanishing')]),
    ];
    // later half: steps 3–5 = healthy, healthy, vanishing → healthy (the vanishing of the early steps does not count)
    const { verdict, findings } = fitVerdict(reports, [1, 1, 1, 1, 1, 1]);
    expect(verdict).toBe('healthy');
    expect(findings.map((f) => [f.kind, f.what])).toEqual([
      ['smallUpdates', 'latest'], // 2 of 3 later reports; deadUnits: 1 of 3
      ['lossSpike', 'early spike'],
    ]);
  });

  it('breaks a tie towards the more severe verdict and keeps the latest finding of that verdict', () => {
    const reports = [report(0, 'healthy'), report(1, 'healthy'), report(2, 'vanishing', [finding('vanishing', 'v2')]), report(3, 'healthy')];
    const { verdict, findings } = fitVerdict(reports, [1, 1, 1, 1]);
    expect(verdict).toBe('vanishing');
    expect(findings.map((f) => f.what)).toEqual(['v2']);
  });

  it('is nonfinite when a step loss or a report is', () => {
    const healthy = [report(0, 'healthy'), report(1, 'healthy')];
    const byLoss = fitVerdict(healthy, [1, 0.9, Number.NaN]);
    expect(byLoss.verdict).toBe('nonfinite');
    expect(byLoss.findings[0]?.what).toContain('step 2');
    const byReport = fitVerdict([...healthy, report(2, 'nonfinite', [finding('nonfinite', 'nan in layer 3')])], [1, 1, 1]);
    expect(byReport).toEqual({ verdict: 'nonfinite', findings: [finding('nonfinite', 'nan in layer 3')] });
    expect(fitVerdict([], [1])).toEqual({ verdict: 'healthy', findings: [] });
  });
});

describe('spikeStats', () => {
  it('z-scores each step loss against the previous window (worked by hand)', () => {
    // window 3 before the 5: mean 1, population std √(0.02/3); z = 4/√(0.02/3) ≈ 48.99
    const s = spikeStats([1, 1.1, 0.9, 5, Number.NaN, 1], { spikeWindow: 3, spikeZ: 6 });
    expect(s.count).toBe(1);
    expect(s.maxZ).toBeCloseTo(4 / Math.sqrt(0.02 / 3), 6);
    expect(s.nonFiniteSteps).toBe(1);
    // a flat loss: the deviation floor (1% of the mean) keeps z finite
    expect(spikeStats([2, 2, 2, 2.1], { spikeWindow: 3, spikeZ: 6 }).maxZ).toBeCloseTo(0.1 / 0.02, 6);
  });
});

describe('batchOrder', () => {
  it('visits every sample once per epoch, in a seeded order', () => {
    const order = batchOrder(10, 4, 5, 7); // 20 indices: two epochs
    expect(order.map((b) => b.length)).toEqual([4, 4, 4, 4, 4]);
    const flat = order.flatMap((b) => Array.from(b));
    expect([...flat.slice(0, 10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...flat.slice(10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(flat.slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchOrder(10, 4, 5, 7)).toEqual(order);
    expect(batchOrder(10, 4, 5, 8)).not.toEqual(order);
  });
});

const settings = (over: Partial<DoctorSettings> = {}): DoctorSettings => ({
  loss: { value: 'categoricalCrossentropy', source: 'option' },
  optimizer: { value: 'sgd', learningRate: 0.1, source: 'option' },
  budget: 12,
  batchSize: 16,
  every: 4,
  seed: 3,
  ...over,
});

describe('probeFit (tfjs-layers)', () => {
  smallOutputMatMul();
  it("gives the losses of trainOnBatch on the seeded batches, and tfjs's evaluate as the final loss", async () => {
    const data = classification(5, 48, 6, 3);
    const model = mlp('relu', 2, 8, 6, 3);
    const [copy, reference] = [copyLayersModel(asTarget(model)), copyLayersModel(asTarget(model))];
    const [optimizer, refOptimizer] = [tf.train.sgd(0.1), tf.train.sgd(0.1)];
    const progress: DoctorProgress[] = [];
    const budget = currentBackend() === 'webgpu' ? 5 : 12; // SwiftShader: fewer steps and reports
    const fit = await expectNoLeaks(() =>
      probeFit({ target: copy, optimizer, settings: settings({ budget }), data, phase: 'baseline', onProgress: (p) => progress.push(p) }),
    );
    reference.compile({ optimizer: refOptimizer, loss: 'categoricalCrossentropy' });
    const expected: number[] = [];
    for (const indices of batchOrder(48, 16, budget, 3)) {
      const b = gatherBatch(data, indices);
      expected.push((await reference.trainOnBatch(b.x, b.y)) as number);
      tf.dispose([b.x, b.y]);
    }
    await expectClose(fit.losses as number[], expected, { what: 'step losses' });
    const evaluated = (reference as unknown as { evaluate(x: tf.Tensor, y: tf.Tensor): tf.Scalar }).evaluate(data.x, data.y);
    await expectClose(fit.finalLoss, (await evaluated.data())[0] as number, { what: 'final loss' });
    evaluated.dispose();
    expect(fit.reports.map((r) => r.step)).toEqual([0, 4, 8].filter((s) => s < budget));
    expect(fit.reports[0]?.activations.length).toBeGreaterThan(0); // the probe batch's layer outputs
    expect(progress.map((p) => [p.phase, p.step, p.total])).toEqual(Array.from({ length: budget }, (_, i) => ['baseline', i + 1, budget]));
    expect(progress.map((p) => p.loss)).toEqual(fit.losses);
    for (const m of [model, copy, reference]) m.dispose();
    tf.dispose([optimizer, refOptimizer, data.x, data.y] as never);
  });
});

describe('probeFit (gradkit module)', () => {
  smallOutputMatMul();
  it("trains with core's Optimizer on the seeded batches and puts the module's variables back", async () => {
    const rng = seeded(12);
    const data = { x: tf.tensor2d(normals(rng, 40 * 4), [40, 4]), y: tf.tensor2d(normals(rng, 40 * 2), [40, 2]) };
    const module = tinyModule();
    const target: GradkitModelTarget = { module, loss: (p, y) => tf.losses.meanSquaredError(y, p) };
    const initial = await Promise.all(flatten(module.params).map(async (e) => Array.from(await (e.value as tf.Tensor).data())));
    const s = settings({ loss: { value: 'mse', source: 'option' }, budget: 8, batchSize: 10, every: 2 });
    const fit = await expectNoLeaks(() => probeFit({ target, optimizer: sgd({ learningRate: 0.1 }), settings: s, data, phase: 'baseline' }));
    const after = await Promise.all(flatten(module.params).map(async (e) => Array.from(await (e.value as tf.Tensor).data())));
    expect(after).toEqual(initial);
    // the reference: the same steps by hand
    const opt = new Optimizer(module.params, sgd({ learningRate: 0.1 }));
    const expected: number[] = [];
    for (const indices of batchOrder(40, 10, 8, 3)) {
      const b = gatherBatch(data, indices);
      expected.push(await opt.minimize(() => tf.losses.meanSquaredError(b.y, module.apply(b.x)) as tf.Scalar));
      tf.dispose([b.x, b.y]);
    }
    opt.dispose();
    await expectClose(fit.losses as number[], expected, { what: 'step losses' });
    const final = tf.tidy(() => tf.losses.meanSquaredError(data.y, module.apply(data.x)));
    await expectClose(fit.finalLoss, (await final.data())[0] as number, { what: 'final loss' });
    expect(fit.reports.map((r) => r.step)).toEqual([0, 2, 4, 6]);
    expect(fit.reports[0]?.layers.map((l) => l.name)).toEqual(['w1', 'w2']);
    expect(fit.reports[0]?.layers[0]?.updateRatio).toBeGreaterThan(0);
    tf.dispose([final, data.x, data.y, module.params.w1, module.params.w2]);
  });
});
