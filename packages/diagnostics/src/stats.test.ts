import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type GradientReport, inspectGradients } from './index.js';
import { normals, seeded } from './test-support.js';

// Independent reference: every statistic recomputed in float64 on the host from the very float32
// numbers the device saw (read back in the test), with the definitions of the docs:
// ‖x‖ = √Σx², mean = Σx/n, std = √(Σx²/n − mean²), zero fraction, non-finite count; per tap, a unit is a
// column of the activation reshaped to [rows, units]: dead when its max over the rows is ≤ 0;
// saturated outputs: sigmoid a < m or a > 1 − m, tanh |a| > 1 − m (m = 0.01, as float32 on the device).

const rng = seeded(2024);
const sample = (shape: number[], opts: { zeros?: number; scale?: number } = {}): tf.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = normals(rng, n).map((z) => z * (opts.scale ?? 1));
  for (let i = 0; i < (opts.zeros ?? 0); i++) v[(i * 7) % Math.max(1, n)] = 0;
  return tf.tensor(v, shape);
};

// Leaves of several sizes, two of the same size (35) so that they are stacked into one group, a
// scalar, a rank-3 leaf and an empty one.
const grads = {
  a: { kernel: sample([5, 7], { zeros: 4 }), bias: sample([7], { scale: 1e-3 }) },
  b: [sample([7, 5], { zeros: 1, scale: 10 }), sample([])],
  c: tf.zeros([3, 0]),
  d: sample([2, 3, 4], { zeros: 24 }),
};
const params = {
  a: { kernel: sample([5, 7]), bias: sample([7]) },
  b: [sample([7, 5]), sample([])],
  c: tf.zeros([3, 0]),
  d: sample([2, 3, 4]),
};
const updates = {
  a: { kernel: sample([5, 7], { scale: 1e-3 }), bias: sample([7], { scale: 1e-3 }) },
  b: [sample([7, 5], { scale: 1e-3 }), sample([], { scale: 1e-3 })],
  c: tf.zeros([3, 0]),
  d: sample([2, 3, 4], { scale: 1e-3 }),
};
const PATHS = ['a.kernel', 'a.bias', 'b.0', 'b.1', 'c', 'd'];
const leaves = (t: typeof grads) => [t.a.kernel, t.a.bias, t.b[0] as tf.Tensor, t.b[1] as tf.Tensor, t.c, t.d];

// Taps: [16, 6] relu with two columns never active, a rank-3 [4, 4, 5] sigmoid and a [16, 5] tanh
// (the same [rows, units] layout, so they are stacked together), and a linear [16, 6].
const pre = normals(rng, 16 * 6);
for (let r = 0; r < 16; r++) {
  pre[r * 6 + 1] = -Math.abs(pre[r * 6 + 1] as number);
  pre[r * 6 + 4] = -Math.abs(pre[r * 6 + 4] as number) - 0.1;
}
const taps = {
  hidden0: { activation: tf.relu(tf.tensor2d(pre, [16, 6])), grad: sample([16, 6]) },
  gate: { activation: tf.sigmoid(tf.mul(sample([4, 4, 5]), 4)), grad: sample([4, 4, 5], { scale: 0.1 }) },
  squash: { activation: tf.tanh(tf.mul(sample([16, 5]), 3)) },
  logits: { activation: tf.mul(sample([16, 6]), 3) },
};

const f64 = async (t: tf.Tensor) => Array.from(await t.data());
function moments(v: number[]) {
  const n = v.length;
  const sumSq = v.reduce((s, x) => s + x * x, 0);
  const mean = n === 0 ? 0 : v.reduce((s, x) => s + x, 0) / n;
  const std = n === 0 ? 0 : Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  return { norm: Math.sqrt(sumSq), mean, std, sumAbs: v.reduce((s, x) => s + Math.abs(x), 0) };
}

describe('statistics (one pass on the device) against float64 references', () => {
  let report: GradientReport;

  it('reads everything back with a single data() call and no synchronous read', async () => {
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    try {
      report = await inspectGradients(grads, { params, updates, activations: taps, activationKinds: { gate: 'sigmoid', squash: 'auto' } });
      expect(data).toHaveBeenCalledTimes(1);
      expect(dataSync).not.toHaveBeenCalled();
    } finally {
      data.mockRestore();
      dataSync.mockRestore();
    }
  });

  it('per-layer gradient statistics, ‖θ‖, ‖g‖/‖θ‖ and ‖u‖/‖θ‖ match float64', async () => {
    expect(report.layers.map((l) => l.name)).toEqual(PATHS);
    const [g, p, u] = [leaves(grads), leaves(params), leaves(updates)];
    let globalSq = 0;
    for (const [i, layer] of report.layers.entries()) {
      const gv = await f64(g[i] as tf.Tensor);
      const m = moments(gv);
      globalSq += m.norm ** 2;
      const pn = moments(await f64(p[i] as tf.Tensor)).norm;
      const un = moments(await f64(u[i] as tf.Tensor)).norm;
      const tol = backendTolerance({
        cpu: { atol: 1e-7 * m.sumAbs + 1e-30 },
        wasm: { atol: 1e-7 * m.sumAbs + 1e-30 },
        webgpu: { atol: 1e-6 * m.sumAbs + 1e-30 },
      });
      const what = `${layer.name}`;
      expect(layer.shape).toEqual((g[i] as tf.Tensor).shape);
      expect(layer.size).toBe(gv.length);
      expect(layer.isWeight).toBe((g[i] as tf.Tensor).rank >= 2);
      await expectClose(layer.gradNorm, m.norm, { ...tol, what: `${what} gradNorm` });
      await expectClose(layer.gradMean, m.mean, { ...tol, atol: tol.atol / Math.max(1, gv.length), what: `${what} gradMean` });
      await expectClose(layer.gradStd, m.std, { ...tol, what: `${what} gradStd` });
      expect(layer.gradMaxAbs).toBe(gv.length === 0 ? 0 : Math.max(...gv.map(Math.abs)));
      expect(layer.gradZeroFraction).toBe(gv.length === 0 ? 0 : gv.filter((x) => x === 0).length / gv.length);
      expect(layer.nonFinite).toBe(0);
      await expectClose(layer.paramNorm as number, pn, { ...backendTolerance(), what: `${what} paramNorm` });
      await expectClose(layer.updateNorm as number, un, { ...backendTolerance(), what: `${what} updateNorm` });
      if (pn === 0) {
        expect(layer.gradToParam).toBeUndefined();
        expect(layer.updateRatio).toBeUndefined();
      } else {
        await expectClose(layer.gradToParam as number, m.norm / pn, { ...tol, what: `${what} gradToParam` });
        await expectClose(layer.updateRatio as number, un / pn, { ...backendTolerance(), what: `${what} updateRatio` });
      }
    }
    await expectClose(report.globalNorm, Math.sqrt(globalSq), backendTolerance());
    // hand-checked: the empty leaf has nothing, and `d` (24 elements, all set to 0) is all zeros.
    expect(report.layers[4]).toMatchObject({ gradNorm: 0, gradZeroFraction: 0, size: 0 });
    expect(report.layers[5]?.gradZeroFraction).toBe(1);
  });

  it('activation statistics: dead units, saturation, range, moments and ‖∂L/∂h‖ match float64', async () => {
    expect(report.activations.map((a) => [a.name, a.kind])).toEqual([
      ['hidden0', 'relu'], // from the values: ≥ 0 with exact zeros
      ['gate', 'sigmoid'], // given
      ['squash', 'tanh'], // from the values: in [−1, 1] with negatives
      ['logits', 'linear'],
    ]);
    const m = Math.fround(0.01);
    const hi = Math.fround(1 - 0.01);
    for (const a of report.activations) {
      const rec = taps[a.name as keyof typeof taps] as { activation: tf.Tensor; grad?: tf.Tensor };
      const v = await f64(rec.activation);
      const units = rec.activation.shape[rec.activation.rank - 1] as number;
      const rows = v.length / units;
      expect(a.units).toBe(units);
      let dead = 0;
      for (let j = 0; j < units; j++) if (Array.from({ length: rows }, (_, r) => v[r * units + j] as number).every((x) => x <= 0)) dead++;
      const sat = a.kind === 'sigmoid' ? v.filter((x) => x < m || x > hi).length : a.kind === 'tanh' ? v.filter((x) => Math.abs(x) > hi).length : 0;
      expect(a.deadFraction, `${a.name} dead`).toBe(a.kind === 'relu' ? dead / units : 0);
      expect(a.saturationFraction, `${a.name} saturation`).toBe(sat / v.length);
      expect(a.min).toBe(Math.min(...v));
      expect(a.max).toBe(Math.max(...v));
      const mm = moments(v);
      await expectClose(a.mean, mm.mean, { ...backendTolerance(), atol: 1e-6 * (mm.sumAbs / v.length), what: `${a.name} mean` });
      await expectClose(a.std, mm.std, { ...backendTolerance(), what: `${a.name} std` });
      if (rec.grad) await expectClose(a.gradNorm as number, moments(await f64(rec.grad)).norm, { ...backendTolerance(), what: `${a.name} gradNorm` });
      else expect(a.gradNorm).toBeUndefined();
    }
    // hand-checked: columns 1 and 4 of hidden0 were made negative, so 2 of 6 units are dead.
    expect(report.activations[0]?.deadFraction).toBe(2 / 6);
    expect(report.activations[1]?.saturationFraction).toBeGreaterThan(0);
  });

  it('counts non-finite values exactly (on the tf-ops path, in a second readback made only when the sums are not finite)', async () => {
    const g = tf.tensor2d([
      [1, Number.NaN, 0],
      [Number.POSITIVE_INFINITY, -2, Number.NEGATIVE_INFINITY],
    ]);
    const b = tf.tensor1d([1, 0, 3]);
    const h = tf.tensor2d([[Number.NaN, 1, 0]]);
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const r = await inspectGradients({ w: g, b }, { activations: { h } });
    // the statistics kernel (cpu, wasm and webgpu) counts them in its one pass: one readback
    expect(data).toHaveBeenCalledTimes(1);
    data.mockRestore();
    expect(r.layers[0]).toMatchObject({ nonFinite: 3, gradZeroFraction: 1 / 6, gradMaxAbs: 2 }); // max |x| over the finite elements
    expect(r.layers[0]?.gradNorm).not.toBeLessThan(Number.POSITIVE_INFINITY); // NaN or Infinity: not a number to trust
    expect(r.layers[1]).toMatchObject({ nonFinite: 0, gradZeroFraction: 1 / 3, gradMaxAbs: 3 });
    expect(r.activations[0]).toMatchObject({ nonFinite: 1, kind: 'linear' });
    expect(r.verdict).toBe('nonfinite');
    tf.dispose([g, b, h]);
  });

  it('leaks nothing and leaves its inputs alone', async () => {
    await inspectGradients(grads, { params, activations: taps }); // warm-up
    await expectNoLeaks(async () => {
      await inspectGradients(grads, { params, updates, activations: taps });
    });
    expect(leaves(grads).every((t) => !t.isDisposed)).toBe(true);
  });

  it('reads the tensors when called, so they may be disposed before the promise resolves', async () => {
    const g = { w: tf.tensor2d([[3, 4]]) };
    const pending = inspectGradients(g);
    g.w.dispose();
    expect((await pending).layers[0]?.gradNorm).toBe(5);
  });

  afterAll(() => {
    tf.dispose([grads, params, updates, taps] as unknown as tf.TensorContainer);
  });
});
