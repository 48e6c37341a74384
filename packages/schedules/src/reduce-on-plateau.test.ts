import { chain, GradkitError, type GradTree, Optimizer, type SavedOptimizerState, ValueError } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ReduceOnPlateauOptions, type ReduceOnPlateauState, reduceOnPlateau } from './reduce-on-plateau.js';
import { expectHyperError, torchReduceLROnPlateau } from './test-utils.js';

/** A float32 variable (the temporary tensor it was made from is released). */
const variable1d = (xs: number[]) => tf.tidy(() => tf.variable(tf.tensor1d(xs)));

const f32 = (xs: number[]) => xs.map((x) => Math.fround(x));

/** Scripted loss sequences (values far from every threshold, so float32 and float64 decide alike). */
const SCENARIOS: [string, ReduceOnPlateauOptions, number[]][] = [
  [
    'min, rel, patience 2',
    { factor: 0.5, patience: 2 },
    [1, 0.9, 0.95, 0.92, 0.91, 0.9, 0.85, 0.86, 0.86, 0.86, 0.86, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76],
  ],
  [
    'min, abs, patience 0, cooldown 2, minScale 0.2',
    { factor: 0.5, patience: 0, cooldown: 2, thresholdMode: 'abs', threshold: 0.05, minScale: 0.2 },
    [1, 0.97, 0.96, 0.99, 1.2, 1.2, 1.2, 1.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.3],
  ],
  ['max, rel, patience 1', { mode: 'max', factor: 0.1, patience: 1, threshold: 0.01 }, [0.5, 0.6, 0.605, 0.604, 0.7, 0.69, 0.71, 0.7, 0.7, 0.7, 0.8, 0.8]],
  [
    'max, abs, patience 1, cooldown 1',
    { mode: 'max', factor: 0.3, patience: 1, cooldown: 1, thresholdMode: 'abs', threshold: 0.1 },
    [-3, -2.95, -2.5, -2.45, -2.45, -2.45, -2.45, -1, -1, -1, -1, -1],
  ],
  ['NaN and ∞ losses are never improvements', { factor: 0.5, patience: 1 }, [Number.NaN, Number.NaN, 1, Number.POSITIVE_INFINITY, Number.NaN, 0.5, 0.5, 0.4]],
];

const grads = () => ({ w: tf.tensor1d([1, -2]), b: [tf.scalar(0.5)] });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('reduceOnPlateau (PyTorch ReduceLROnPlateau as a transformation)', () => {
  it('the reference itself: PyTorch’s docstring on patience 0 (the second bad epoch reduces)', () => {
    expect(torchReduceLROnPlateau({ patience: 0, factor: 0.5 }, [1, 2, 2, 0.5, 0.5])).toEqual([1, 0.5, 0.25, 0.25, 0.125]);
  });

  for (const [what, options, script] of SCENARIOS) {
    const losses = f32(script);
    const expected = torchReduceLROnPlateau(options, losses);

    it(`${what}: the functional path's scale after each step follows PyTorch's lr, and scales the updates one step later`, async () => {
      expect(new Set(expected).size, 'the scenario reduces at least once').toBeGreaterThan(1);
      const tx = reduceOnPlateau(options);
      const g = grads();
      let state = tx.init(g);
      const scales: number[] = [];
      const applied: number[] = [];
      for (const l of losses) {
        const loss = tf.scalar(l);
        const r = tf.tidy(() => {
          const out = tx.update(g, state, g, { loss });
          return { u: (out.updates as { w: tf.Tensor }).w, s: out.state } as unknown as tf.TensorContainerObject;
        }) as unknown as { u: tf.Tensor; s: ReduceOnPlateauState };
        expect(loss.isDisposed || g.w.isDisposed).toBe(false);
        applied.push((await r.u.data())[1] as number);
        scales.push((await r.s.scale.data())[0] as number);
        tf.dispose([loss, r.u, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
        state = r.s;
      }
      await expectClose(scales, expected, { rtol: 1e-6, atol: 0, what: 'scale after each step' });
      await expectClose(
        applied,
        [1, ...expected.slice(0, -1)].map((s) => -2 * s),
        { rtol: 1e-6, atol: 0, what: 'updates of w[1] (gradient −2)' },
      );
      expect(state.count).toBe(losses.length);
      tf.dispose([g.w, g.b, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
    });
  }

  it('hand-worked: patience 1, factor 0.5 → losses 3, 3, 3, 2 give scales 1, 1, 0.5, 0.5 and best 2', async () => {
    const tx = reduceOnPlateau({ patience: 1, factor: 0.5 });
    const g = { w: tf.scalar(1) };
    let state = tx.init(g);
    const seen: number[] = [];
    for (const l of [3, 3, 3, 2]) {
      const loss = tf.scalar(l);
      const next = tf.tidy(() => tx.update(g, state, g, { loss }).state as unknown as tf.TensorContainerObject) as unknown as ReduceOnPlateauState;
      tf.dispose([loss, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
      state = next;
      seen.push((await state.scale.data())[0] as number);
    }
    expect(seen).toEqual([1, 1, 0.5, 0.5]);
    expect((await state.best.data())[0]).toBe(2);
    expect((await state.numBadSteps.data())[0]).toBe(0);
    tf.dispose([g.w, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
  });

  it('decides on the device: update reads nothing back', () => {
    const proto = tf.Tensor.prototype as unknown as Record<string, () => unknown>;
    const reads = ['data', 'dataSync', 'array', 'arraySync', 'buffer', 'bufferSync', 'bytes'].filter((m) => typeof proto[m] === 'function');
    const spies = reads.map((m) => vi.spyOn(proto, m as never));
    const tx = reduceOnPlateau({ patience: 0 });
    const g = { w: tf.tensor1d([1, 2]) };
    const loss = tf.scalar(1);
    const state0 = tx.init(g);
    tf.tidy(() => {
      let s = state0;
      for (let i = 0; i < 3; i++) s = tx.update(g, s, g, { loss }).state;
    });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    tf.dispose([g.w, loss, state0.best, state0.numBadSteps, state0.cooldownCounter, state0.scale]);
  });

  describe('through the Optimizer: chain(sgd({ learningRate: 0.1 }), reduceOnPlateau(...)) with minimize', () => {
    const C = [1, -2, 0.5];
    const THETA0 = [10, -10, 20];
    const LR = 0.1;
    /**
     * A loss whose gradient is C and whose value at the current parameters is `target`:
     * Σ cᵢθᵢ + (target − Σ cᵢθᵢ(now)), the offset computed on the host from the parameters read back.
     */
    async function scripted(w: tf.Variable, target: number) {
      const theta = [...(await w.data())];
      const offset = target - theta.reduce((s, x, i) => s + x * (C[i] as number), 0);
      return (p: { w: tf.Tensor }) => tf.add(tf.sum(tf.mul(p.w, tf.tensor1d(C))), offset) as tf.Scalar;
    }
    const [, options, script] = SCENARIOS[0] as [string, ReduceOnPlateauOptions, number[]];
    const losses = f32(script);
    const scalesAfter = torchReduceLROnPlateau(options, losses);

    for (const fused of [true, false]) {
      it(`follows PyTorch (SGD, then scheduler.step(loss)) step for step (${fused ? 'default' : '{ fused: false }'})`, async () => {
        const params = { w: variable1d(THETA0) };
        const opt = new Optimizer(params, chain(sgd({ learningRate: LR }), reduceOnPlateau(options)), { fused });
        const theta = [...THETA0];
        for (const [t, target] of losses.entries()) {
          const value = await opt.minimize(await scripted(params.w, target));
          expect(value).toBeCloseTo(target, 4);
          const scale = t === 0 ? 1 : (scalesAfter[t - 1] as number); // PyTorch: optimizer.step() with the lr before scheduler.step(loss)
          for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) - LR * scale * (C[i] as number);
          await expectClose(params.w, theta, { what: `θ after step ${t}` });
        }
        expect(opt.lastStepPath).toBe('reference');
        const saved = await opt.saveState();
        expect(decodeScalar(saved, '1.scale')).toBeCloseTo(scalesAfter.at(-1) as number, 6);
        expect(decodeScalar(saved, '1.best')).toBeCloseTo(Math.min(...losses), 4);
        expect(saved.state['1.count']).toBe(losses.length);
        opt.dispose();
        params.w.dispose();
      });
    }

    it('Optimizer.step(grads, { loss }) works too; without a loss it throws a GradkitError that says what to do, and changes nothing', async () => {
      const params = { w: variable1d([1, 2, 3]) };
      const opt = new Optimizer(params, chain(sgd({ learningRate: LR }), reduceOnPlateau()));
      const g = { w: tf.tensor1d(C) };
      const loss = tf.scalar(1);
      opt.step(g, { loss });
      await expectClose(params.w, [0.9, 2.2, 2.95]);
      let error: unknown;
      try {
        opt.step(g);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GradkitError);
      expect(error).toBeInstanceOf(ValueError);
      expect((error as Error).message).toMatch(/call Optimizer\.minimize\(lossFn\), or pass \{ loss \} to Optimizer\.step/);
      expect(opt.stepCount).toBe(1);
      await expectClose(params.w, [0.9, 2.2, 2.95]);
      opt.dispose();
      tf.dispose([params.w, g.w, loss]);
    });

    it('saveState → JSON → loadState continues exactly', async () => {
      const run = async (opt: Optimizer<{ w: tf.Variable }>, w: tf.Variable, from: number, to: number) => {
        for (let t = from; t < to; t++) await opt.minimize(await scripted(w, losses[t] as number));
      };
      const straight = { w: variable1d(THETA0) };
      const a = new Optimizer(straight, chain(sgd({ learningRate: LR }), reduceOnPlateau(options)));
      await run(a, straight.w, 0, 14);
      const half = { w: variable1d(THETA0) };
      const b = new Optimizer(half, chain(sgd({ learningRate: LR }), reduceOnPlateau(options)));
      await run(b, half.w, 0, 7);
      const saved = JSON.parse(JSON.stringify(await b.saveState())) as SavedOptimizerState;
      const c = new Optimizer(half, chain(sgd({ learningRate: LR }), reduceOnPlateau(options)));
      c.loadState(saved);
      await run(c, half.w, 7, 14);
      expect([...(await half.w.data())]).toEqual([...(await straight.w.data())]);
      expect(await c.saveState()).toEqual(await a.saveState());
      for (const o of [a, b, c]) o.dispose();
      tf.dispose([straight.w, half.w]);
    });

    it('leaks no tensors over 200 steps (Optimizer.minimize and the functional path)', async () => {
      const params = { w: variable1d([1, -1, 0.5]) };
      const target = tf.tensor1d([0.2, 0.1, -0.3]);
      const lossFn = (p: { w: tf.Tensor }) => tf.sum(tf.square(tf.sub(p.w, target))) as tf.Scalar;
      await expectNoLeaks(
        async () => {
          const opt = new Optimizer(params, chain(sgd({ learningRate: 0.05 }), reduceOnPlateau({ patience: 3, factor: 0.5, cooldown: 1 })));
          for (let t = 0; t < 200; t++) await opt.minimize(lossFn);
          opt.dispose();
        },
        { what: '200 minimize steps' },
      );
      await expectNoLeaks(
        () => {
          const tx = reduceOnPlateau({ patience: 2 });
          let state = tx.init(params);
          for (let t = 0; t < 200; t++) {
            const next = tf.tidy(() => {
              const loss = lossFn(params);
              const r = tx.update(params as GradTree, state, params, { loss });
              return r.state as unknown as tf.TensorContainerObject;
            }) as unknown as ReduceOnPlateauState;
            tf.dispose([state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
            state = next;
          }
          tf.dispose([state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
        },
        { what: '200 functional updates' },
      );
      tf.dispose([params.w, target]);
    });
  });

  it('a loss that is not a live scalar tensor → ValueError naming loss', () => {
    const tx = reduceOnPlateau();
    const g = { w: tf.tensor1d([1, 2]) };
    const state = tx.init(g);
    const vector = tf.tensor1d([1, 2]);
    for (const extras of [{}, undefined, { loss: vector as unknown as tf.Scalar }, { loss: 3 as unknown as tf.Scalar }]) {
      let error: unknown;
      try {
        tf.tidy(() => {
          tx.update(g, state, g, extras);
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValueError);
      expect((error as ValueError).what).toBe('loss');
    }
    tf.dispose([g.w, vector, state.best, state.numBadSteps, state.cooldownCounter, state.scale]);
  });

  it('resolves the PyTorch defaults and is named reduceOnPlateau', () => {
    const tx = reduceOnPlateau();
    expect(tx.name).toBe('reduceOnPlateau');
    expect(tx.options).toEqual({ factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minScale: 0, mode: 'min', on: 'loss' });
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => reduceOnPlateau({ factor: 1 }), 'factor', /factor must be in \(0, 1\), got 1/);
    expectHyperError(() => reduceOnPlateau({ factor: 0 }), 'factor');
    expectHyperError(() => reduceOnPlateau({ factor: Number.NaN }), 'factor', /finite/);
    expectHyperError(() => reduceOnPlateau({ patience: -1 }), 'patience', /integer ≥ 0/);
    expectHyperError(() => reduceOnPlateau({ patience: 1.5 }), 'patience');
    expectHyperError(() => reduceOnPlateau({ patience: 1e8 }), 'patience', /at most 10,000,000/);
    expectHyperError(() => reduceOnPlateau({ cooldown: -2 }), 'cooldown');
    expectHyperError(() => reduceOnPlateau({ threshold: -1e-4 }), 'threshold');
    expectHyperError(() => reduceOnPlateau({ threshold: 1 }), 'threshold', /threshold must be in \[0, 1\)/);
    expect(reduceOnPlateau({ threshold: 1, thresholdMode: 'abs' }).options.threshold).toBe(1);
    expectHyperError(() => reduceOnPlateau({ thresholdMode: 'relative' as never }), 'thresholdMode', /'rel' or 'abs'/);
    expectHyperError(() => reduceOnPlateau({ mode: 'avg' as never }), 'mode', /'min' or 'max'/);
    expectHyperError(() => reduceOnPlateau({ minScale: 1.5 }), 'minScale', /minScale must be in \[0, 1\]/);
    expectHyperError(() => reduceOnPlateau({ minScale: -0.1 }), 'minScale');
    expectHyperError(() => reduceOnPlateau(null as never), 'options');
    expectHyperError(() => reduceOnPlateau({ on: 'val_loss' as never }), 'on', /'loss' .* or 'metric'/);
    expectHyperError(() => reduceOnPlateau({ min_lr: 1e-5 } as never), 'min_lr', /did you mean minScale/);
  });
});

/** A float32 scalar of saved optimizer state, decoded from its base64 bytes. */
function decodeScalar(saved: SavedOptimizerState, path: string): number {
  const leaf = saved.state[path] as { data: string };
  const bytes = Uint8Array.from(atob(leaf.data), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer)[0] as number;
}
