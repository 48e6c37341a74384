import { chain, Optimizer, ValueError } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ReduceOnPlateauState, reduceOnPlateau } from './reduce-on-plateau.js';
import { expectError, torchReduceLROnPlateau } from './test-utils.js';

// reduceOnPlateau({ on: 'metric' }): the validation metric reported once per epoch, as PyTorch's
//   for epoch …: for batch …: optimizer.step();  scheduler.step(val_loss)
// Reports reach the first step of the next epoch (Optimizer.reportMetric → extras.metric).

const STEPS_PER_EPOCH = 3;
/** Validation losses after epochs 0 … 6 (far from every threshold, so float32 and float64 decide alike). */
const VAL = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76];
/**
 * Worked by hand with PyTorch's ReduceLROnPlateau(mode='min', factor=0.5, patience=1, threshold=1e-4,
 * threshold_mode='rel'), lr 1:
 *   step(1.0)  best ∞ → 1.0, bad 0            lr 1
 *   step(0.8)  0.8 < 1.0·0.9999: best 0.8, bad 0  lr 1
 *   step(0.85) not better: bad 1 (≤ patience)  lr 1
 *   step(0.9)  bad 2 > 1: reduce, bad 0        lr 0.5
 *   step(0.7)  best 0.7, bad 0                 lr 0.5
 *   step(0.75) bad 1                           lr 0.5
 *   step(0.76) bad 2 > 1: reduce               lr 0.25
 * So the epochs train at 1 (epoch 0, no report yet), 1, 1, 1, 0.5, 0.5, 0.5, 0.25 (epoch 7).
 */
const EPOCH_LRS = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25];
const OPTIONS = { on: 'metric', factor: 0.5, patience: 1 } as const;

type Result = { u: tf.Tensor; s: ReduceOnPlateauState };
const disposeState = (s: ReduceOnPlateauState) => tf.dispose([s.best, s.numBadSteps, s.cooldownCounter, s.scale]);

describe("reduceOnPlateau({ on: 'metric' }) (PyTorch: scheduler.step(val_loss) once per epoch)", () => {
  it('the hand-worked lrs are what the PyTorch transcription gives', () => {
    expect([1, ...torchReduceLROnPlateau({ factor: 0.5, patience: 1 }, VAL)]).toEqual(EPOCH_LRS);
  });

  it('functional: every step of an epoch gets that epoch’s lr; the training loss (rising every step) is ignored; counters move only on reports', async () => {
    const tx = reduceOnPlateau(OPTIONS);
    const g = { w: tf.tensor1d([1, -2]) };
    let state = tx.init(g);
    const applied: number[] = [];
    const badAfter: number[] = [];
    for (let epoch = 0; epoch < EPOCH_LRS.length; epoch++) {
      for (let k = 0; k < STEPS_PER_EPOCH; k++) {
        const loss = tf.scalar(10 + epoch * STEPS_PER_EPOCH + k); // would reduce at once with on: 'loss'
        const metric = k === 0 && epoch > 0 ? tf.scalar(VAL[epoch - 1] as number) : undefined;
        const s = state;
        const r = tf.tidy(() => {
          const out = tx.update(g, s, g, { loss, ...(metric ? { metric } : {}) });
          return { u: (out.updates as { w: tf.Tensor }).w, s: out.state } as unknown as tf.TensorContainerObject;
        }) as unknown as Result;
        applied.push((await r.u.data())[1] as number);
        badAfter.push((await r.s.numBadSteps.data())[0] as number);
        if (metric === undefined)
          expect(r.s.numBadSteps).toBe(state.numBadSteps); // untouched, not even copied
        else disposeState(state);
        tf.dispose([loss, metric, r.u] as tf.Tensor[]);
        state = r.s;
      }
    }
    const expected = EPOCH_LRS.flatMap((lr) => Array(STEPS_PER_EPOCH).fill(-2 * lr) as number[]);
    await expectClose(applied, expected, { rtol: 0, atol: 0, what: 'updates of w[1] (gradient −2) at each step' });
    // bad values counted per report: after the reports 1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76
    expect(badAfter.filter((_, i) => i % STEPS_PER_EPOCH === 0).slice(1)).toEqual([0, 0, 1, 0, 0, 1, 0]);
    expect(badAfter.slice(10, 12)).toEqual([1, 1]); // the steps after the 0.85 report keep its count
    expect(state.count).toBe(EPOCH_LRS.length * STEPS_PER_EPOCH);
    expect((await state.best.data())[0]).toBeCloseTo(0.7, 6);
    tf.dispose(g.w);
    disposeState(state);
  });

  it('through the Optimizer: reportMetric after each epoch gives θ of SGD at PyTorch’s lr per epoch, with step() and no loss', async () => {
    const LR = 0.1;
    const C = [1, -2, 0.5];
    const params = { w: tf.tidy(() => tf.variable(tf.tensor1d([10, -10, 20]))) };
    const g = { w: tf.tensor1d(C) };
    const opt = new Optimizer(params, chain(sgd({ learningRate: LR }), reduceOnPlateau(OPTIONS)));
    const theta = [10, -10, 20];
    for (const [epoch, lr] of EPOCH_LRS.entries()) {
      for (let k = 0; k < STEPS_PER_EPOCH; k++) {
        opt.step(g);
        for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) - LR * lr * (C[i] as number);
      }
      await expectClose(params.w, theta, { what: `θ after epoch ${epoch}` });
      if (epoch < VAL.length) opt.reportMetric(VAL[epoch] as number);
    }
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('mode max with cooldown follows the PyTorch transcription report for report', async () => {
    const options = { mode: 'max', factor: 0.3, patience: 0, cooldown: 1, threshold: 0.01 } as const;
    const accuracies = [0.5, 0.6, 0.6, 0.6, 0.6, 0.9, 0.9, 0.9].map(Math.fround);
    const lrs = torchReduceLROnPlateau(options, accuracies);
    expect(new Set(lrs).size, 'the scenario reduces at least twice').toBeGreaterThan(2);
    const tx = reduceOnPlateau({ ...options, on: 'metric' });
    const g = { w: tf.scalar(1) };
    let state = tx.init(g);
    const scales: number[] = [];
    for (const a of accuracies) {
      const metric = tf.scalar(a);
      const s = state;
      const r = tf.tidy(() => {
        const out = tx.update(g, s, g, { metric });
        return { u: (out.updates as { w: tf.Tensor }).w, s: out.state } as unknown as tf.TensorContainerObject;
      }) as unknown as Result;
      scales.push((await r.u.data())[0] as number); // the step carrying the report applies its decision
      tf.dispose([metric, r.u]);
      disposeState(state);
      state = r.s;
    }
    await expectClose(scales, lrs, { rtol: 1e-6, atol: 0 });
    tf.dispose(g.w);
    disposeState(state);
  });

  it('a checkpoint taken before the first report (best still +∞) loads and continues exactly', async () => {
    const make = () => chain(sgd({ learningRate: 0.1 }), reduceOnPlateau(OPTIONS));
    const g = { w: tf.tensor1d([1, -2]) };
    const a = { w: tf.tidy(() => tf.variable(tf.tensor1d([1, 2]))) };
    const first = new Optimizer(a, make());
    first.step(g);
    const saved = JSON.parse(JSON.stringify(await first.saveState()));
    const b = { w: tf.tidy(() => tf.variable(tf.add(a.w, 0))) }; // a copy of the parameters as they were saved
    const second = new Optimizer(b, make());
    second.loadState(saved);
    for (const opt of [first, second]) {
      opt.reportMetric(1);
      opt.step(g);
      opt.reportMetric(2);
      opt.step(g);
      opt.reportMetric(3); // third bad-or-equal report: patience 1 → the scale halves
      opt.step(g);
    }
    expect(Array.from(await b.w.data())).toEqual(Array.from(await a.w.data()));
    await expectClose(a.w, [1 - 0.1 * (1 + 1 + 1 + 0.5), 2 + 0.2 * (1 + 1 + 1 + 0.5)]);
    first.dispose();
    second.dispose();
    tf.dispose([a.w, b.w, g.w]);
  });

  it('leaks nothing over 100 steps with a report every 10', async () => {
    const params = { w: tf.tidy(() => tf.variable(tf.tensor1d([1, 2]))) };
    const g = { w: tf.tensor1d([0.1, 0.2]) };
    await expectNoLeaks(async () => {
      const opt = new Optimizer(params, chain(sgd({ learningRate: 0.01 }), reduceOnPlateau({ ...OPTIONS, patience: 0 })));
      for (let t = 0; t < 100; t++) {
        if (t % 10 === 9) opt.reportMetric(1 + t);
        opt.step(g);
      }
      await params.w.data();
      opt.dispose();
    });
    tf.dispose([params.w, g.w]);
  });

  describe('mistakes', () => {
    it("a metric reported to one that follows the loss (on: 'loss') → ValueError naming on, not silently ignored", () => {
      const tx = reduceOnPlateau();
      const g = { w: tf.scalar(1) };
      const [loss, metric] = [tf.scalar(1), tf.scalar(0.5)];
      const state = tx.init(g);
      expectError(() => tx.update(g, state, g, { loss, metric }), ValueError, 'on', /on: 'metric'/);
      tf.dispose([g.w, loss, metric, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
    });

    it('a metric that is not a live scalar tensor → ValueError naming metric', () => {
      const tx = reduceOnPlateau(OPTIONS);
      const g = { w: tf.scalar(1) };
      const vector = tf.tensor1d([1, 2]);
      const state = tx.init(g);
      expectError(() => tx.update(g, state, g, { metric: vector as never }), ValueError, 'metric', /live scalar tensor/);
      expectError(() => tx.update(g, state, g, { metric: 0.5 as never }), ValueError, 'metric', /reportMetric/);
      tf.dispose([g.w, vector, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
    });
  });
});
