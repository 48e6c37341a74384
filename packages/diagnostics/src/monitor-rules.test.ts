// The monitor's rules over time (issue 15, "Precision, measured"): the growth trend is per optimizer
// step, so the verdict does not depend on how often reports are taken; a schedule's own decay is not
// a small-updates finding; a loss or gradient-norm spike is a warning, once, where it happens.
import { chain, Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GradientMonitor, type GradientReport, monitorGradients } from './index.js';
import { learningRateOf } from './monitor-gradients.js';

/** Two equal 4×4 weight layers filled with `v`: the global norm is 4√2·v. */
const gradsOf = (v: number) => ({ layers: [{ kernel: tf.fill([4, 4], v) }, { kernel: tf.fill([4, 4], v) }] });

/** Observes the run `norm(step)`, `loss(step)` at the steps 0, every, 2·every … below `steps`; returns the reports. */
async function observeRun(
  monitor: GradientMonitor,
  steps: number,
  every: number,
  norm: (s: number) => number,
  loss?: (s: number) => number,
): Promise<GradientReport[]> {
  const out: Promise<GradientReport>[] = [];
  for (let step = 0; step < steps; step += every) {
    const grads = gradsOf(norm(step) / (4 * Math.SQRT2));
    out.push(monitor.observe({ grads, step, ...(loss ? { loss: loss(step) } : {}) }));
    tf.dispose(grads as unknown as tf.TensorContainer);
  }
  return Promise.all(out);
}
const verdicts = (rs: readonly GradientReport[]) => [...new Set(rs.map((r) => r.verdict))];

describe('the growth trend is per optimizer step: the same verdict at every 1 and every 5', () => {
  // A healthy start: the gradient norm grows 1.2× per step for 30 steps while the loss falls (a net
  // leaving its flat initial region). Per report at every: 5 that is 1.2⁵ = 2.49× ≥ trendFactor: the
  // old per-report rule called it exploding from step 15 on at every: 5, never at every: 1.
  const healthy = (s: number) => 0.01 * 1.2 ** s;
  it('a healthy run whose norm grows 1.2× per step is healthy at every 1 and at every 5', async () => {
    expect(verdicts(await observeRun(new GradientMonitor(), 30, 1, healthy))).toEqual(['healthy']);
    expect(verdicts(await observeRun(new GradientMonitor(), 30, 5, healthy))).toEqual(['healthy']);
  });

  it('a truly exploding run (2.5× per step) is caught at both, by the step that spans trendReports steps', async () => {
    const exploding = (s: number) => 0.001 * 2.5 ** s;
    const one = await observeRun(new GradientMonitor(), 20, 1, exploding);
    const five = await observeRun(new GradientMonitor(), 20, 5, exploding);
    expect(one.find((r) => r.verdict === 'exploding')?.step).toBe(3);
    expect(five.find((r) => r.verdict === 'exploding')?.step).toBe(5);
    expect(five.find((r) => r.verdict === 'exploding')?.findings[0]?.what).toMatch(/2× per step over the last 5 steps \(1\.00e-3 → 0\.0977, steps 0–5\)/);
  });

  it('a norm that grows while the loss falls is not exploding (when the loss is known)', async () => {
    const doubling = (s: number) => 0.001 * 2 ** s;
    const falling = await observeRun(new GradientMonitor(), 8, 1, doubling, (s) => 2.3 - 0.1 * s);
    expect(verdicts(falling)).toEqual(['healthy']);
    const rising = await observeRun(new GradientMonitor(), 8, 1, doubling, (s) => 2.3 + 0.1 * s);
    expect(rising.find((r) => r.verdict === 'exploding')?.step).toBe(3);
  });
});

describe('loss spikes', () => {
  // A smoothly decreasing loss 2.3·e^(−s/40) with a norm wobbling ±5%; at step 30 the loss triples and the norm grows 10×.
  const loss = (s: number) => (s === 30 ? 3 * 2.3 * Math.exp(-s / 40) : 2.3 * Math.exp(-s / 40));
  const norm = (s: number) => (s === 30 ? 10 : 1) * (1 + 0.05 * Math.sin(s));

  it('one spike in 50 steps: exactly one lossSpike warning, at that step, with both z-scores; the verdict does not change', async () => {
    const reports = await observeRun(new GradientMonitor(), 50, 1, norm, loss);
    const spikes = reports.filter((r) => r.findings.some((f) => f.kind === 'lossSpike'));
    expect(spikes.map((r) => r.step)).toEqual([30]);
    const f = spikes[0]?.findings.find((g) => g.kind === 'lossSpike');
    expect(f?.severity).toBe('warning');
    // z of the loss against steps 10–29: mean 1.14, std 0.21 by hand → z ≈ (1.06·3 − 1.14)/0.21 ≈ 9.8; the norm's log jumps by ln 10 against a std floor of 0.1 → z ≈ 23
    expect(f?.what).toMatch(
      /a loss spike at step 30: the loss is 3\.\d+ \(z = \d+(\.\d+)?\), the global gradient norm \d+(\.\d+)? \(z = \d+(\.\d+)? on a log scale\), against the mean and deviation of the previous 20 reports/,
    );
    expect(f?.where).toBe('step 30');
    expect(verdicts(reports)).toEqual(['healthy']);
    expect(f?.toTry[0]).toMatch(/^clip the gradients/);
  });

  it('a smoothly decreasing loss gives none; nothing before spikeWindow reports', async () => {
    const smooth = await observeRun(
      new GradientMonitor(),
      50,
      1,
      (s) => 1 + 0.05 * Math.sin(s),
      (s) => 2.3 * Math.exp(-s / 40),
    );
    expect(smooth.flatMap((r) => r.findings)).toEqual([]);
    const early = await observeRun(new GradientMonitor({ spikeWindow: 40 }), 35, 1, norm, loss);
    expect(early.flatMap((r) => r.findings)).toEqual([]);
    expect(early[3]?.loss).toBeCloseTo(2.3 * Math.exp(-3 / 40), 6);
  });

  it('a loss given as a promise is recorded once it resolves; a rejected one leaves the report without a loss', async () => {
    const monitor = new GradientMonitor();
    const g = gradsOf(0.1);
    const a = monitor.observe({ grads: g, loss: Promise.resolve(1.5) });
    const b = monitor.observe({ grads: g, loss: Promise.reject(new Error('lost')) });
    tf.dispose(g as unknown as tf.TensorContainer);
    expect((await a).loss).toBe(1.5);
    expect((await b).loss).toBeUndefined();
  });
});

describe("a schedule's own decay is not a finding", () => {
  /** One observation whose update is 1e-9 of the weights (‖u‖/‖θ‖ < minUpdateRatio = 1e-7), at this learning rate. */
  async function smallStep(monitor: GradientMonitor, learningRate: number): Promise<GradientReport> {
    const params = { a: tf.ones([4, 4]) };
    const grads = { a: tf.fill([4, 4], 0.1) };
    const updates = { a: tf.fill([4, 4], 1e-9) };
    const r = monitor.observe({ grads, params, updates, learningRate });
    tf.dispose([params, grads, updates] as unknown as tf.TensorContainer);
    return r;
  }

  it('small updates at the peak rate are a finding; at the end of a one-cycle schedule (rate far below its peak) they are not', async () => {
    const monitor = new GradientMonitor();
    const atPeak = await smallStep(monitor, 0.1);
    expect(atPeak.findings.map((f) => f.kind)).toEqual(['smallUpdates']);
    expect(atPeak.findings[0]?.toTry[0]).toMatch(/^a higher learning rate/);
    const decayed = await smallStep(monitor, 0.1 / 25e4); // oneCycle's final rate: maxValue / (divFactor · finalDivFactor)
    expect(decayed.findings).toEqual([]);
    monitor.clear(); // forgets the peak too
    expect((await smallStep(monitor, 0.1 / 25e4)).findings.map((f) => f.kind)).toEqual(['smallUpdates']);
  });

  it("monitorGradients reads the rate of the chain it sits in (a schedule's value at the step)", async () => {
    const schedule = (step: number) => 0.1 / (1 + step);
    const tx = chain(sgd({ learningRate: schedule }));
    expect(learningRateOf(tx, 0)).toBeCloseTo(0.1, 9);
    expect(learningRateOf(tx, 9)).toBeCloseTo(0.01, 9);
    const seen: (number | undefined)[] = [];
    const mon = monitorGradients({ onReport: () => undefined });
    const spy = mon.monitor.observeWith.bind(mon.monitor);
    mon.monitor.observeWith = (input, extras) => {
      seen.push(input.learningRate);
      return spy(input, extras);
    };
    const p = { w: tf.variable(tf.ones([2, 2])) };
    const opt = new Optimizer(p, chain(mon, sgd({ learningRate: schedule })));
    for (let i = 0; i < 3; i++) opt.step({ w: tf.fill([2, 2], 0.1) });
    await mon.flush();
    expect(seen.map((v) => v?.toFixed(4))).toEqual(['0.1000', '0.0500', '0.0333']);
    opt.dispose();
    p.w.dispose();
  });
});

describe('the monitor keeps what the first diagnosis saw', () => {
  it('an observation with a loss and a learning rate keeps the attention statistics (entropy included) of the same one without', async () => {
    const observeAttention = async (extra: object) => {
      const probs = tf.tensor3d([
        [
          [0.5, 0.5],
          [0.9, 0.1],
        ],
      ]); // [batch 1, 2 queries, 2 keys]: rows sum to 1
      const logits = tf.tensor3d([
        [
          [0, 0],
          [2.2, 0],
        ],
      ]);
      const grads = gradsOf(0.1);
      const r = new GradientMonitor().observe({ grads, taps: { 'attn.probs': probs, 'attn.logits': logits }, ...extra });
      tf.dispose([probs, logits, grads as unknown as tf.TensorContainer]);
      return r;
    };
    const plain = await observeAttention({});
    const withLoss = await observeAttention({ loss: 1.2, learningRate: 0.1 });
    expect(plain.attention?.[0]?.entropy).toBeCloseTo((Math.LN2 - (0.9 * Math.log(0.9) + 0.1 * Math.log(0.1))) / 2, 4);
    expect(withLoss.attention).toEqual(plain.attention);
    expect(withLoss.findings).toEqual(plain.findings);
    expect(withLoss.loss).toBe(1.2);
  });
});

describe('a rate too high is the cause of what follows it', () => {
  /** Two 4×4 weight layers of ones (‖θ‖ = 4 each); gradients filled with `g`, updates with `u` (‖u‖/‖θ‖ = |u|). */
  async function observeStep(monitor: GradientMonitor, step: number, g: number, u: number): Promise<GradientReport> {
    const params = { layers: [{ kernel: tf.ones([4, 4]) }, { kernel: tf.ones([4, 4]) }] };
    const grads = gradsOf(g);
    const updates = gradsOf(u);
    const report = monitor.observe({ grads, params, updates, step });
    tf.dispose([params, grads, updates] as unknown as tf.TensorContainer);
    return report;
  }
  const clips = (r: GradientReport) => r.findings.some((f) => f.toTry.some((t) => /clipByGlobalNorm/.test(t)));

  it('large updates from healthy gradients, then exploding gradients: the lower rate first, no clipping (gradient-lab large-lr-clip)', async () => {
    const monitor = new GradientMonitor();
    const first = await observeStep(monitor, 0, 0.1, 0.5); // ‖u‖/‖θ‖ = 0.5 > maxUpdateRatio, gradients healthy
    expect(first.verdict).toBe('healthy');
    expect(first.findings.map((f) => f.kind)).toEqual(['largeUpdates']);
    const next = await observeStep(monitor, 1, 1e4, 1e-3); // ‖g‖ of each layer 4e4 > explodingNorm
    expect(next.verdict).toBe('exploding');
    const exploding = next.findings.find((f) => f.kind === 'exploding');
    expect(exploding?.toTry[0]).toMatch(/lower learning rate/);
    expect(exploding?.why).toMatch(/too large at step 0/);
    expect(clips(next)).toBe(false);
  });

  it('a large first step followed by normal ones (an adaptive optimizer starting) is no cause of a later explosion', async () => {
    const monitor = new GradientMonitor();
    await observeStep(monitor, 0, 0.1, 0.5);
    await observeStep(monitor, 1, 0.1, 1e-3); // healthy, ‖u‖/‖θ‖ = 1e-3
    const later = await observeStep(monitor, 2, 1e4, 1e-3);
    expect(later.verdict).toBe('exploding');
    expect(later.findings.find((f) => f.kind === 'exploding')?.toTry[0]).toMatch(/clipByGlobalNorm/);
  });

  it('exploding gradients from the start (large updates with them): clipping stays (gradient-lab exploding-clip; exploding-lr refutes a lower rate)', async () => {
    const monitor = new GradientMonitor();
    const first = await observeStep(monitor, 0, 1e4, 0.5);
    expect(first.verdict).toBe('exploding');
    const next = await observeStep(monitor, 1, 1e4, 1e-3);
    expect(next.findings.find((f) => f.kind === 'exploding')?.toTry[0]).toMatch(/clipByGlobalNorm/);
  });
});
