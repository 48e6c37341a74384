import { applyUpdates, evalParams, type HyperParam, Optimizer, type StateTree, trainParams, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, emaParams, lookahead, sgd } from './index.js';
import {
  at,
  badHyperTests,
  badOptions,
  constantGradientSteps,
  type Flat,
  leakTest,
  lossFor,
  MAIN,
  needsParamsTest,
  type Params,
  perLeaf,
  read,
  roundTripTest,
  tensorsOf,
  trajectoryTests,
  variablesOf,
} from './test-kit.js';
import { adam64, evalRoundTripTest, type Inner64, leafGrad, tidied } from './wrappers-test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: 'PyTorch' };

/**
 * Independent references, float64 per leaf, the inner optimizer as a float64 transcription:
 * - PyTorch `AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))` + `update_parameters`
 *   after each step (pytorch/pytorch `torch/optim/swa_utils.py` at 3348c74c01b3448d82baba8379eb8a63017ba064):
 *   the average starts as a deep copy; `n_averaged == 0` → copy; else `_foreach_lerp_(ema, θ, 1 − decay)`.
 * - `debias`: optax's bias-corrected EMA (`optax/_src/transform.py` `ema(decay, debias=True)`, applied
 *   to the parameters): m ← d·m + (1 − d)·θ from m = 0, average = m/(1 − dᵗ).
 * A scheduled decay is taken at the step index t (0-based).
 */
function averaged(inner: Inner64, decay: HyperParam, debias: boolean, steps: number): { theta: Flat; ema: Flat } {
  const ema: Flat = {};
  const theta = perLeaf(MAIN, (leaf) => {
    const key = Object.keys(MAIN).find((name) => MAIN[name] === leaf) as string;
    const th = [...leaf.theta0];
    let avg = [...leaf.theta0];
    let m = th.map(() => 0);
    const opt = inner();
    for (let t = 0; t < steps; t++) {
      const u = opt.step(leafGrad(MAIN, key, th), t + 1);
      for (let i = 0; i < th.length; i++) th[i] = (th[i] as number) + (u[i] as number);
      const d = at(decay, t, 0.999);
      if (debias) {
        m = m.map((x, i) => d * x + (1 - d) * (th[i] as number));
        avg = m.map((x) => x / (1 - d ** (t + 1)));
      } else avg = t === 0 ? [...th] : avg.map((x, i) => x + (1 - d) * ((th[i] as number) - x));
    }
    ema[key] = avg;
    return th;
  });
  return { theta, ema };
}

/** `steps` functional updates (init/update/applyUpdates), then evalParams: the average, and the parameters after trainParams. */
async function functionalAverage(makeTx: () => ReturnType<typeof emaParams>, steps: number): Promise<{ ema: Flat; back: Flat; theta: Flat }> {
  const tx = makeTx();
  let params = tensorsOf(MAIN);
  let state: StateTree = tx.init(params);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const { grads } = valueAndGrad(lossFor(MAIN))(params);
      const r = tx.update(grads, state as never, params);
      return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { params: Params; state: StateTree };
    tf.dispose([params, state] as unknown as tf.TensorContainer);
    [params, state] = [next.params, next.state];
  }
  const ev = evalParams(tx, params, state);
  const back = trainParams(tx, ev.params, ev.state);
  const out = { ema: await read(ev.params as Params), back: await read(back.params as Params), theta: await read(params) };
  tf.dispose([params, state, ev, back] as unknown as tf.TensorContainer);
  return out;
}

const STEPS = 6;
const CONFIGS: [string, () => ReturnType<typeof emaParams>, Inner64, HyperParam, boolean][] = [
  ['adam, decay 0.9 (PyTorch AveragedModel)', () => emaParams(adam({ learningRate: 0.1 }), { decay: 0.9 }), adam64(0.1), 0.9, false],
  ['adam, decay 0.9, debias (optax ema debias)', () => emaParams(adam({ learningRate: 0.1 }), { decay: 0.9, debias: true }), adam64(0.1), 0.9, true],
  ['adam, scheduled decay', () => emaParams(adam({ learningRate: 0.1 }), { decay: (t) => 0.5 + 0.05 * t }), adam64(0.1), (t: number) => 0.5 + 0.05 * t, false],
  ['adam, the default decay 0.999', () => emaParams(adam({ learningRate: 0.1 })), adam64(0.1), 0.999, false],
];

describe('emaParams (Polyak / EMA of the weights, torch.optim.swa_utils.AveragedModel)', () => {
  it('averages the parameters after each step, by hand: θ₀ = 1, g = 1, sgd(0.1), decay 0.5', async () => {
    // θ: 0.9, 0.8, 0.7; average: 0.9 (a copy at the first step), 0.85, 0.775. The parameters follow sgd.
    const seen = await constantGradientSteps(emaParams(sgd({ learningRate: 0.1 }), { decay: 0.5 }), 1, 1, 3);
    await expectClose(seen, [0.9, 0.8, 0.7], { rtol: 1e-6 });
    const tx = emaParams(sgd({ learningRate: 0.1 }), { decay: 0.5 });
    const params = { w: tf.scalar(1) };
    let state = tx.init(params);
    let p: tf.Tensor = params.w;
    for (let t = 0; t < 3; t++) {
      const r = tidied(() => tx.update({ w: tf.scalar(1) }, state, { w: p }));
      const next = tf.tidy(() => tf.add(p, (r.updates as { w: tf.Tensor }).w));
      tf.dispose([p, r.updates as tf.TensorContainer, state.ema as tf.TensorContainer]);
      [p, state] = [next, r.state];
    }
    await expectClose((state.ema as { w: tf.Tensor }).w, 0.775, { rtol: 1e-6 });
    tf.dispose([p, state.ema as tf.TensorContainer]);
  });

  it('has its name, inner, resolved options, hyperParams and state { count, ema, inner }', () => {
    const inner = adam();
    const tx = emaParams(inner, { decay: 0.99 });
    expect(tx.name).toBe('emaParams');
    expect(tx.inner).toBe(inner);
    expect(tx.options).toMatchObject({ decay: 0.99, debias: false, inner });
    expect(tx.hyperParams?.(3)).toEqual({ decay: 0.99 });
    expect(emaParams(inner).options).toMatchObject({ decay: 0.999, debias: false });
    const params = tensorsOf(MAIN);
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'ema', 'inner']);
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });

  for (const [what, make, inner, decay, debias] of CONFIGS) {
    const ref = averaged(inner, decay, debias, STEPS);
    // The parameters follow the inner optimizer; the average is what eval() shows.
    trajectoryTests(what, make, ref.theta, STEPS, BENCH);
    it(`${what}: the functional average (evalParams) follows the reference, trainParams gives the parameters back exactly`, async () => {
      const r = await functionalAverage(make, STEPS);
      for (const [k, v] of Object.entries(ref.ema)) await expectClose(r.ema[k] as number[], v, { what: `average, ${k}` });
      expect(r.back).toEqual(r.theta);
    });
    evalRoundTripTest(make, STEPS, ref.ema);
  }

  it('nested wrappers (emaParams(lookahead(adam()))): eval() then train() restores the parameters bit for bit', async () => {
    const params = variablesOf(MAIN);
    const opt = new Optimizer(params, emaParams(lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 2 }), { decay: 0.5 }));
    for (let t = 0; t < 5; t++) await opt.minimize(lossFor(MAIN));
    const trained = await read(params);
    opt.eval();
    expect(await read(params)).not.toEqual(trained);
    opt.train();
    expect(await read(params)).toEqual(trained);
    opt.dispose();
    tf.dispose(params as unknown as tf.TensorContainer);
  });

  roundTripTest(() => emaParams(adam({ learningRate: 0.1 }), { decay: 0.9 }), BENCH);
  leakTest([() => emaParams(adam(), { decay: 0.9, debias: true })], BENCH);
  needsParamsTest(() => emaParams(sgd({ learningRate: 0.1 })), /emaParams needs the parameters/, BENCH);

  it('evalParams and trainParams leak nothing in tf.tidy', async () => {
    const tx = emaParams(adam());
    const params = tensorsOf(MAIN);
    const state = tx.init(params);
    await expectNoLeaks(() => tf.tidy(() => void trainParams(tx, evalParams(tx, params, state).params, state)), { what: 'evalParams → trainParams' });
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });

  const make = (o: object) => emaParams(sgd({ learningRate: 0.1 }), o as never);
  badHyperTests([
    ...badOptions(make, [
      [{ decay: -0.1 }, 'decay', /decay must be in \[0, 1\]/],
      [{ decay: 1.5 }, 'decay', /got 1\.5/],
      [{ decay: Number.NaN }, 'decay', /finite number/],
      [{ decay: null }, 'decay', /null/],
      [{ decay: () => 2 }, 'decay', /schedule value at step 0/],
      [{ debias: 'yes' }, 'debias', /true or false/],
      [{ debias: null }, 'debias', /null/],
    ]),
    ['inner: the factory adam', () => emaParams(adam as never), 'inner', /factory/],
    ['inner: a number', () => emaParams(0.999 as never), 'inner', /number/],
    ['options: a number', () => emaParams(adam(), 0.999 as never), 'options', /options object/],
  ]);
});
