import { HyperParameterError, StateError, TreeMismatchError, UnknownOptionError } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, GradientMonitor, type GradientReport, reportTrends } from './index.js';

/** Two equal 4×4 weight layers filled with `v`: ‖g‖ = 4v each, global ‖g‖ = 4√2·v, depth ratio 1 (healthy on its own). */
const gradsOf = (v: number) => ({ layers: [{ kernel: tf.fill([4, 4], v) }, { kernel: tf.fill([4, 4], v) }] });

async function observeSeries(monitor: GradientMonitor, values: number[]): Promise<GradientReport[]> {
  const pending = values.map((v) => {
    const g = gradsOf(v);
    const p = monitor.observe({ grads: g }); // not awaited: several in flight at once
    tf.dispose(g as unknown as tf.TensorContainer); // allowed as soon as observe returns
    return p;
  });
  return Promise.all(pending);
}

describe('GradientMonitor', () => {
  it('records reports in order, numbering steps from 0, and calls onReport with each', async () => {
    const seen: number[] = [];
    const monitor = new GradientMonitor({ onReport: (r) => seen.push(r.step as number) });
    const reports = await observeSeries(monitor, [0.1, 0.2, 0.1, 0.3]);
    expect(reports.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(monitor.history.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(monitor.latest?.step).toBe(3);
    expect(monitor.pending).toBe(0);
    expect(reports.map((r) => r.globalNorm)).toEqual([0.1, 0.2, 0.1, 0.3].map((v) => expect.closeTo(4 * Math.SQRT2 * v, 5)));
  });

  it('a norm growing ≥ 2× per step for 3 steps is exploding while still finite and small', async () => {
    const monitor = new GradientMonitor();
    // ×2.5 per step: 0.1 → 0.25 → 0.625 → 1.5625, far below explodingNorm (1000)
    const reports = await observeSeries(monitor, [0.1, 0.25, 0.625, 1.5625]);
    expect(reports.map((r) => r.verdict)).toEqual(['healthy', 'healthy', 'healthy', 'exploding']);
    const f = reports[3]?.findings[0];
    expect(f?.kind).toBe('growingNorm');
    expect(f?.what).toMatch(/grew at least 2× per step over the last 3 steps \(0\.566 → 1\.41 → 3\.54 → 8\.84, steps 0–3\)/);
    expect(f?.toTry.join('\n')).toMatch(/clipByGlobalNorm\(1\)/);
    expect(monitor.history[3]?.verdict).toBe('exploding');
  });

  it('does not call a growth that pauses, or grows more slowly, exploding; the factor and length are configurable', async () => {
    expect((await observeSeries(new GradientMonitor(), [0.1, 0.25, 0.2, 0.5, 1.25])).map((r) => r.verdict)).not.toContain('exploding');
    expect((await observeSeries(new GradientMonitor(), [0.1, 0.15, 0.225, 0.3375, 0.5])).map((r) => r.verdict)).not.toContain('exploding');
    const custom = await observeSeries(new GradientMonitor({ trendFactor: 1.4, trendReports: 2 }), [0.1, 0.15, 0.225]);
    expect(custom.map((r) => r.verdict)).toEqual(['healthy', 'healthy', 'exploding']);
  });

  it('follows dead-unit and saturation fractions from taps over time', async () => {
    const monitor = new GradientMonitor({ activationKinds: { act: 'relu', gate: 'sigmoid' } });
    for (let step = 0; step < 3; step++) {
      // relu: the first `step + 1` of 4 columns are never active; sigmoid: `step` of 4 outputs saturated
      const act = tf.tensor2d([0, 1, 2].map(() => [0, 1, 2, 3].map((j) => (j <= step ? 0 : 1 + j))));
      const gate = tf.tensor2d([[0.5, 0.5, 0.5, 0.5].map((v, j) => (j < step ? 0.999 : v))]);
      const [g, dAct] = [gradsOf(0.1), tf.onesLike(act)];
      await monitor.observe({ grads: g, taps: { act: { activation: act, grad: dAct }, gate }, step: 10 * step });
      tf.dispose([act, dAct, gate, g] as unknown as tf.TensorContainer);
    }
    const t = monitor.trends();
    expect(t.steps).toEqual([0, 10, 20]);
    expect(t.deadFraction.act).toEqual([0.25, 0.5, 0.75]);
    expect(t.saturationFraction.gate).toEqual([0, 0.25, 0.5]);
    expect(t.tapGradNorm.act).toEqual([0, 1, 2].map(() => expect.closeTo(Math.sqrt(12), 5))); // ‖ones(3×4)‖ = √12
    expect(t.tapGradNorm.gate).toBeUndefined(); // a bare activation has no gradient
  });

  it('keeps at most historyLimit reports and can forget them', async () => {
    const monitor = new GradientMonitor({ historyLimit: 2 });
    await observeSeries(monitor, [0.1, 0.2, 0.3]);
    expect(monitor.history.map((r) => r.step)).toEqual([1, 2]);
    monitor.clear();
    expect(monitor.history).toEqual([]);
    expect(() => new GradientMonitor({ historyLimit: 0 })).toThrow(HyperParameterError);
  });

  it('throws at once on inputs that do not fit, and keeps working afterwards', async () => {
    const monitor = new GradientMonitor();
    const g = gradsOf(0.1);
    const p = { layers: [{ kernel: tf.zeros([4, 4]) }] };
    expect(() => monitor.observe({ grads: g, params: p })).toThrow(TreeMismatchError);
    expect((await monitor.observe({ grads: g })).verdict).toBe('healthy');
    tf.dispose([g, p] as unknown as tf.TensorContainer);
  });

  it('leaks nothing once the reports have resolved, with observations in flight while the caller disposes', async () => {
    const monitor = new GradientMonitor();
    await observeSeries(monitor, [0.1]); // warm-up
    await expectNoLeaks(async () => {
      const params = { layers: [{ kernel: tf.ones([4, 4]) }, { kernel: tf.ones([4, 4]) }] };
      const h = tf.ones([2, 3]);
      for (let i = 0; i < 20; i++) {
        const g = gradsOf(0.01 * (i + 1));
        void monitor.observe({ grads: g, params, taps: { h } }).catch(() => undefined);
        tf.dispose(g as unknown as tf.TensorContainer);
      }
      tf.dispose([params, h] as unknown as tf.TensorContainer);
      await monitor.flush();
    });
    expect(monitor.history.length).toBe(21);
  });

  it('numbers steps the same whether or not a failed step has been read back: a failed step keeps its number', async () => {
    // An explicit step 5 that fails, then an implicit observation: always step 6, one more than the
    // previous observation's. (Before, the number went back to 5 once the failure was read back, so
    // an observation made before that took 6 and one made after took 5.)
    const numbering = async (awaitBetween: boolean) => {
      const monitor = new GradientMonitor();
      const g = gradsOf(0.1);
      const failed = monitor.observe({ grads: g, step: 5, committed: Promise.resolve(false) });
      if (awaitBetween) expect(await failed).toBeUndefined();
      const next = monitor.observe({ grads: g });
      await monitor.flush();
      tf.dispose(g as unknown as tf.TensorContainer);
      expect(await failed).toBeUndefined();
      return [(await next).step, monitor.history.map((r) => r.step)];
    };
    expect(await numbering(false)).toEqual([6, [6]]);
    expect(await numbering(true)).toEqual([6, [6]]);
  });

  it('the un-awaited retry of a failed step is recorded under its number, once, in order', async () => {
    const monitor = new GradientMonitor();
    const g = gradsOf(0.1);
    let fail: (ok: boolean) => void = () => undefined;
    const first = monitor.observe({ grads: g, step: 0 });
    // the step fails after the retry was observed: nothing was awaited in between
    const failed = monitor.observe({ grads: g, step: 1, committed: new Promise<boolean>((resolve) => (fail = resolve)) });
    const retry = monitor.observe({ grads: gradsOf(0.2), step: 1, committed: Promise.resolve(true) });
    const after = monitor.observe({ grads: g });
    fail(false);
    await monitor.flush();
    expect(await failed).toBeUndefined();
    expect([(await first).step, (await retry)?.step, (await after).step]).toEqual([0, 1, 2]);
    expect(monitor.history.map((r) => [r.step, r.globalNorm])).toEqual([
      [0, expect.closeTo(4 * Math.SQRT2 * 0.1, 5)],
      [1, expect.closeTo(4 * Math.SQRT2 * 0.2, 5)], // the retry's gradients, not the failed step's
      [2, expect.closeTo(4 * Math.SQRT2 * 0.1, 5)],
    ]);
    tf.dispose(g as unknown as tf.TensorContainer);
  });

  it('with committed, the step must be given', () => {
    const monitor = new GradientMonitor();
    const g = gradsOf(0.1);
    expect(() => monitor.observe({ grads: g, committed: Promise.resolve(true) })).toThrow(
      expect.objectContaining({ name: 'HyperParameterError', field: 'step' }),
    );
    expect(monitor.pending).toBe(0);
    tf.dispose(g as unknown as tf.TensorContainer);
  });

  it('a committed promise that never settles holds flush() for commitTimeout ms at most: its report is dropped with a StateError', async () => {
    const monitor = new GradientMonitor({ commitTimeout: 50 });
    const g = gradsOf(0.1);
    const hung = monitor.observe({ grads: g, step: 0, committed: new Promise<boolean>(() => undefined) });
    const next = monitor.observe({ grads: g, step: 1, committed: Promise.resolve(true) });
    const started = performance.now();
    await monitor.flush();
    expect(performance.now() - started).toBeLessThan(5000);
    const error = await hung.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).path).toBe('committed');
    expect((error as Error).message).toMatch(/step 0 did not settle within 50 ms \(commitTimeout\)/);
    expect((await next)?.step).toBe(1); // the next one is recorded, in order
    expect(monitor.history.map((r) => r.step)).toEqual([1]);
    expect(monitor.commitTimeout).toBe(50);
    expect(new GradientMonitor().commitTimeout).toBe(10_000);
    for (const bad of [0, 1.5, 2 ** 31, -1]) expect(() => new GradientMonitor({ commitTimeout: bad })).toThrow(HyperParameterError);
    tf.dispose(g as unknown as tf.TensorContainer);
  });

  it('activationKinds by name: a varying set of taps never throws, a misspelt tap name does once its tap is observed', async () => {
    const g = gradsOf(0.1);
    const [a, b, c] = [tf.tensor2d([[1, 0]]), tf.tensor2d([[0.5, -0.5]]), tf.tensor2d([[2, 3]])];
    const monitor = new GradientMonitor({ activationKinds: { a: 'relu', b: 'tanh' } });
    // b appears late, then disappears again; c has no kind (inferred)
    const sets: Record<string, tf.Tensor>[] = [{ a }, { a, b }, { a }, { a, c }, { c }];
    for (const taps of sets) await monitor.observe({ grads: g, taps });
    expect(monitor.history.map((r) => r.activations.map((t) => `${t.name}:${t.kind}`).join(' '))).toEqual([
      'a:relu',
      'a:relu b:tanh',
      'a:relu',
      'a:relu c:linear',
      'c:linear',
    ]);
    // a misspelt name goes unnoticed while every tap has a kind, and throws once its tap is observed
    const typo = new GradientMonitor({ activationKinds: { a: 'relu', bb: 'tanh' } });
    await typo.observe({ grads: g, taps: { a } });
    let error: unknown;
    try {
      typo.observe({ grads: g, taps: { a, b } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toMatchObject({ field: 'bb', suggestion: 'b' });
    expect(typo.history).toHaveLength(1);
    tf.dispose([a, b, c, g] as unknown as tf.TensorContainer);
  });

  it('reportTrends fills NaN where a layer is missing from a report', () => {
    const base = { format: 'gradkit-gradient-report', version: 1, activations: [], verdict: 'healthy', findings: [], thresholds: DEFAULT_THRESHOLDS };
    const a = { ...base, layers: [{ name: 'x', shape: [1], gradNorm: 1 }], globalNorm: 1, step: 0 } as unknown as GradientReport;
    const b = { ...base, layers: [{ name: 'y', shape: [1], gradNorm: 2 }], globalNorm: 2 } as unknown as GradientReport;
    const t = reportTrends([a, b]);
    expect(t.steps).toEqual([0, 1]);
    expect(t.gradNorm).toEqual({ x: [1, Number.NaN], y: [Number.NaN, 2] });
  });
});
