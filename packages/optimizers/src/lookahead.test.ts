import { evalParams, type HyperParam, trainParams } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, lookahead, sgd } from './index.js';
import {
  at,
  badHyperTests,
  badOptions,
  constantGradientSteps,
  type Flat,
  leakTest,
  MAIN,
  needsParamsTest,
  perLeaf,
  read,
  roundTripTest,
  tensorsOf,
  trajectoryTests,
} from './test-kit.js';
import { adam64, evalRoundTripTest, type Inner64, leafGrad, sgd64, tidied } from './wrappers-test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "optax's" };

/**
 * Independent reference: optax `lookahead(fast_optimizer, sync_period, slow_step_size)` with
 * `reset_state=False` (google-deepmind/optax `optax/_src/lookahead.py` at
 * 006cebd2adddd064757543329c83eaed0890ed82): `sync_next = steps_since_sync == sync_period − 1`;
 * `last_difference = fast + updates − slow`; `slow += slow_step_size·sync_next·diff`;
 * `fast += updates − sync_next·(1 − slow_step_size)·diff`; `steps_since_sync = (steps_since_sync + 1) % sync_period`.
 * Float64, per leaf, the fast optimizer given as a float64 transcription; a scheduled α is taken at
 * the step index t (0-based), as gradkit evaluates schedules at `count`.
 */
function optaxLookahead(inner: Inner64, k: number, alpha: HyperParam, steps: number): { fast: Flat; slow: Flat } {
  const slow: Flat = {};
  const fast = perLeaf(MAIN, (leaf) => {
    const key = Object.keys(MAIN).find((name) => MAIN[name] === leaf) as string;
    const f = [...leaf.theta0];
    const s = [...leaf.theta0];
    const opt = inner();
    let sinceSync = 0;
    for (let t = 0; t < steps; t++) {
      const u = opt.step(leafGrad(MAIN, key, f), t + 1);
      const a = at(alpha, t, 0.5);
      const sync = sinceSync === k - 1 ? 1 : 0;
      for (let i = 0; i < f.length; i++) {
        const diff = (f[i] as number) + (u[i] as number) - (s[i] as number);
        s[i] = (s[i] as number) + a * sync * diff;
        f[i] = (f[i] as number) + (u[i] as number) - sync * (1 - a) * diff;
      }
      sinceSync = (sinceSync + 1) % k;
    }
    slow[key] = s;
    return f;
  });
  return { fast, slow };
}

const STEPS = 7;
const CONFIGS: [string, () => ReturnType<typeof lookahead>, Inner64, number, HyperParam][] = [
  ['sgd with momentum, syncPeriod 3, α = 0.5', () => lookahead(sgd({ learningRate: 0.1, momentum: 0.9 }), { syncPeriod: 3 }), sgd64(0.1, 0.9), 3, 0.5],
  [
    'adam, syncPeriod 2, scheduled α',
    () => lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 2, slowStepSize: (t) => 0.3 + 0.05 * t }),
    adam64(0.1),
    2,
    (t: number) => 0.3 + 0.05 * t,
  ],
  ['adam, syncPeriod 1 (every step), α = 0.8', () => lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 1, slowStepSize: 0.8 }), adam64(0.1), 1, 0.8],
  ['the defaults (syncPeriod 6, α = 0.5) around adam', () => lookahead(adam({ learningRate: 0.1 })), adam64(0.1), 6, 0.5],
];

describe('lookahead (Zhang et al. 2019, optax.lookahead)', () => {
  it('synchronises on exactly every syncPeriod-th step: θ₀ = 1, g = 1, sgd(0.1), k = 3, α = 0.5, by hand', async () => {
    // fast: 0.9, 0.8, then 0.7 → slow = 1 + 0.5·(0.7 − 1) = 0.85; 0.75, 0.65, then 0.55 → 0.85 + 0.5·(0.55 − 0.85) = 0.7; 0.6
    const seen = await constantGradientSteps(lookahead(sgd({ learningRate: 0.1 }), { syncPeriod: 3 }), 1, 1, 7);
    await expectClose(seen, [0.9, 0.8, 0.85, 0.75, 0.65, 0.7, 0.6], { rtol: 1e-6 });
  });

  it('has its name, inner, resolved options, hyperParams and state { count, slow, inner }', () => {
    const inner = adam();
    const tx = lookahead(inner, { syncPeriod: 4, slowStepSize: (t) => 0.5 / (1 + t) });
    expect(tx.name).toBe('lookahead');
    expect(tx.inner).toBe(inner);
    expect(tx.options).toMatchObject({ syncPeriod: 4, inner });
    expect(tx.hyperParams?.(1)).toEqual({ syncPeriod: 4, slowStepSize: 0.25 });
    expect(lookahead(inner).options).toMatchObject({ syncPeriod: 6, slowStepSize: 0.5 });
    const params = tensorsOf(MAIN);
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'slow', 'inner']);
    expect(Object.keys(state.slow)).toEqual(['w', 'b']);
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });

  for (const [what, make, inner, k, alpha] of CONFIGS) trajectoryTests(what, make, optaxLookahead(inner, k, alpha, STEPS).fast, STEPS, BENCH);

  it('evalParams gives the slow weights, trainParams the fast ones back exactly (functional)', async () => {
    const tx = lookahead(sgd({ learningRate: 0.1 }), { syncPeriod: 2 });
    const params = { w: tf.tensor1d([1, 2]) };
    const grads = { w: tf.tensor1d([1, -1]) };
    const r = tidied(() => tx.update(grads, tx.init(params), params));
    const fast = tf.tidy(() => tf.add(params.w, (r.updates as { w: tf.Tensor }).w));
    const ev = evalParams(tx, { w: fast }, r.state);
    expect(await read(ev.params as { w: tf.Tensor })).toEqual({ w: [1, 2] }); // slow = θ₀ before the first sync
    const back = trainParams(tx, ev.params, ev.state);
    expect(await read(back.params as { w: tf.Tensor })).toEqual(await read({ w: fast }));
    tf.dispose([params, grads, r, fast, ev, back] as unknown as tf.TensorContainer);
  });

  const evalRef = optaxLookahead(adam64(0.1), 4, 0.5, 6);
  evalRoundTripTest(() => lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 4 }), 6, evalRef.slow);
  roundTripTest(() => lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 2 }), BENCH);
  leakTest([() => lookahead(adam(), { syncPeriod: 2 })], BENCH);
  needsParamsTest(() => lookahead(sgd({ learningRate: 0.1 })), /lookahead needs the parameters/, BENCH);

  const make = (o: object) => lookahead(sgd({ learningRate: 0.1 }), o as never);
  badHyperTests([
    ...badOptions(make, [
      [{ syncPeriod: 0 }, 'syncPeriod', /syncPeriod must be an integer ≥ 1/],
      [{ syncPeriod: -2 }, 'syncPeriod', /got -2/],
      [{ syncPeriod: 1.5 }, 'syncPeriod', /got 1\.5/],
      [{ syncPeriod: Number.NaN }, 'syncPeriod', /got NaN/],
      [{ syncPeriod: '6' }, 'syncPeriod', /integer ≥ 1/],
      [{ syncPeriod: () => 6 }, 'syncPeriod', /not a schedule/],
      [{ syncPeriod: null }, 'syncPeriod', /null/],
      [{ slowStepSize: 0 }, 'slowStepSize', /slowStepSize must be in \(0, 1\]/],
      [{ slowStepSize: 1.5 }, 'slowStepSize', /got 1\.5/],
      [{ slowStepSize: -0.5 }, 'slowStepSize', /slowStepSize/],
      [{ slowStepSize: Number.NaN }, 'slowStepSize', /finite number/],
      [{ slowStepSize: () => 2 }, 'slowStepSize', /schedule value at step 0/],
    ]),
    ['inner: the factory adam', () => lookahead(adam as never), 'inner', /factory/],
    ['inner: null', () => lookahead(null as never), 'inner', /null/],
    ['options: a number', () => lookahead(adam(), 6 as never), 'options', /options object/],
  ]);
});
