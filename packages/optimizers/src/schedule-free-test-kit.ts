// Test helpers of scheduleFreeAdamW and scheduleFreeSgd (test code only: index.ts never imports this
// file): a float64 transcription of the reference's step, and the tests of the train/eval switch
// through the Optimizer runner and the functional evalParams/trainParams.
import { applyUpdates, evalParams, type GradientTransformation, Optimizer, StateError, type StateTree, trainParams, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { at, type Flat, gradOf, lossFor, type Params, type Problem, read, tensorsOf, variablesOf } from './test-kit.js';

/** The options both references read (AdamW's and SGD's, the latter with `momentum` as β and no second moment). */
export interface ReferenceOptions {
  readonly learningRate?: number | ((t: number) => number);
  readonly beta1?: number;
  readonly beta2?: number | ((t: number) => number);
  readonly epsilon?: number | ((t: number) => number);
  readonly weightDecay?: number | ((t: number) => number);
  readonly warmupSteps?: number;
  readonly r?: number | ((t: number) => number);
  readonly weightLrPower?: number | ((t: number) => number);
}

/** What a reference run ends with, per leaf: y (the parameters while training), z, and x = (y − (1−β)z)/β. */
export interface ReferenceRun {
  readonly y: Flat;
  readonly z: Flat;
  readonly x: Flat;
}

/**
 * Independent reference: facebookresearch/schedule_free at commit
 * 70785b53e778d0e872c0bbb75ff4ee54ee10c291, the non-foreach branch of `step` in
 * `schedulefree/adamw_schedulefree.py` (`AdamWScheduleFree`, inner_momentum 0; `adam: true`) or
 * `schedulefree/sgd_schedulefree.py` (`SGDScheduleFree`; `adam: false`, β = momentum), transcribed
 * in float64 per element on `problem` (f = Σ a·θ² + b·θ). Per group: sched = (k+1)/warmup_steps
 * while k < warmup_steps; lr = group lr·sched; lr_max = max(lr, lr_max) from −1; weight =
 * (k+1)^r·lr_max^weight_lr_power; weight_sum += weight; ckp1 = weight/weight_sum (0 on
 * ZeroDivisionError). Per element (AdamW): exp_avg_sq = β₂·exp_avg_sq + (1−β₂)g²; denom =
 * √(exp_avg_sq/(1−β₂^{k+1})) + eps; gn = g/denom + decay·y; (SGD: gn = g + decay·y); y = lerp(y, z, ckp1)
 * + lr(β(1−ckp1) − 1)·gn; z = z − lr·gn. Schedules are the group's lr (β₂, eps …) set before step k.
 * x = lerp(y, z, 1 − 1/β) is the repo's `eval()`. Checked once against the repo's two files run
 * under PyTorch 1.13 in float64 (foreach=False; warmup, r, weight decay, β, weight_lr_power 0 on MAIN,
 * 8 steps): y and x agree to 4e-16.
 */
export function referenceRun(problem: Problem, o: ReferenceOptions, steps: number, adam: boolean): ReferenceRun {
  const beta = o.beta1 ?? 0.9;
  const y: Flat = {};
  const z: Flat = {};
  const x: Flat = {};
  for (const [key, leaf] of Object.entries(problem)) {
    const ys = [...leaf.theta0];
    const zs = [...leaf.theta0];
    const v = ys.map(() => 0);
    let lrMax = -1;
    let weightSum = 0;
    for (let k = 0; k < steps; k++) {
      const warmup = o.warmupSteps ?? 0;
      const sched = k < warmup ? (k + 1) / warmup : 1;
      const lr = at(o.learningRate, k, adam ? 0.0025 : 1) * sched;
      const [beta2, eps, decay, r, power] = [at(o.beta2, k, 0.999), at(o.epsilon, k, 1e-8), at(o.weightDecay, k, 0), at(o.r, k, 0), at(o.weightLrPower, k, 2)];
      lrMax = Math.max(lr, lrMax);
      const weight = (k + 1) ** r * lrMax ** power;
      weightSum += weight;
      const ckp1 = weightSum === 0 ? 0 : weight / weightSum;
      const bc2 = 1 - beta2 ** (k + 1);
      for (let i = 0; i < ys.length; i++) {
        const yi = ys[i] as number;
        const g = gradOf(leaf, i, yi);
        let gn = g;
        if (adam) {
          v[i] = beta2 * (v[i] as number) + (1 - beta2) * g * g;
          gn = g / (Math.sqrt((v[i] as number) / bc2) + eps);
        }
        gn += decay * yi;
        const zi = zs[i] as number;
        ys[i] = yi + ckp1 * (zi - yi) + lr * (beta * (1 - ckp1) - 1) * gn;
        zs[i] = zi - lr * gn;
      }
    }
    y[key] = ys;
    z[key] = zs;
    x[key] = ys.map((yi, i) => yi + (1 - 1 / beta) * ((zs[i] as number) - yi));
  }
  return { y, z, x };
}

/**
 * A scalar θ₀ stepped `steps` times with the constant gradient g by an Optimizer: y after each step,
 * then the parameter after `eval()` (x) and after `train()` (y again).
 */
export async function constantGradientEval(tx: GradientTransformation, theta0: number, g: number, steps: number): Promise<number[]> {
  const params = { w: tf.tidy(() => tf.variable(tf.scalar(theta0))) };
  const opt = new Optimizer(params, tx);
  const grads = { w: tf.scalar(g) };
  const seen: number[] = [];
  const look = async () => seen.push((await params.w.data())[0] as number);
  for (let i = 0; i < steps; i++) {
    opt.step(grads);
    await look();
  }
  opt.eval();
  await look();
  opt.train();
  await look();
  opt.dispose();
  tf.dispose([params.w, grads.w]);
  return seen;
}

/**
 * Registers the train/eval tests of a schedule-free transformation after `steps` steps on `problem`:
 * `Optimizer.eval()` puts the reference's x in the parameters and `train()` gives y back (to float32
 * rounding); stepping in eval mode is a StateError naming `mode` that changes nothing; state saved in
 * eval mode loads into a fresh optimizer in eval mode and continues exactly; the functional
 * `evalParams`/`trainParams` agree; switching 200 times leaks nothing.
 */
export function evalModeTests(makeTx: () => GradientTransformation, expected: ReferenceRun, steps: number, problem: Problem): void {
  const loss = lossFor(problem);
  const trained = async (n: number) => {
    const params = variablesOf(problem);
    const opt = new Optimizer(params, makeTx());
    for (let t = 0; t < n; t++) await opt.minimize(loss);
    const done = () => {
      opt.dispose();
      tf.dispose(params as unknown as tf.TensorContainer);
    };
    return { params, opt, done };
  };

  it('Optimizer.eval() puts x = lerp(y, z, 1 − 1/β) of the reference in the parameters; train() gives y back to float32 rounding', async () => {
    const { params, opt, done } = await trained(steps);
    expect(opt.mode).toBe('train');
    const y = await read(params);
    for (const [k, values] of Object.entries(y)) await expectClose(values, expected.y[k] as number[], { what: `y, ${k}` });
    opt.eval();
    expect(opt.mode).toBe('eval');
    for (const [k, values] of Object.entries(await read(params))) await expectClose(values, expected.x[k] as number[], { what: `x, ${k}` });
    opt.eval(); // a second eval() changes nothing
    for (const [k, values] of Object.entries(await read(params))) await expectClose(values, expected.x[k] as number[], { what: `x after eval() twice, ${k}` });
    opt.train();
    expect(opt.mode).toBe('train');
    // Two lerps in float32: a few ulps of the largest of |y|, |z|.
    for (const [k, values] of Object.entries(await read(params)))
      await expectClose(values, y[k] as number[], { rtol: 1e-6, atol: 1e-6, what: `y after the round trip, ${k}` });
    done();
  });

  it('a step in eval mode is a StateError naming mode, and changes neither the parameters nor the state', async () => {
    const { params, opt, done } = await trained(2);
    opt.eval();
    const before = JSON.stringify({ params: await read(params), state: await opt.saveState() });
    const grads = tf.tidy(() => valueAndGrad(loss)(params).grads) as Params;
    let caught: unknown;
    try {
      opt.step(grads);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StateError);
    expect((caught as StateError).path).toBe('mode');
    await expect(opt.minimize(loss)).rejects.toBeInstanceOf(StateError);
    expect(JSON.stringify({ params: await read(params), state: await opt.saveState() })).toBe(before);
    expect(opt.stepCount).toBe(2);
    tf.dispose(grads as unknown as tf.TensorContainer);
    done();
  });

  it('state saved in eval mode (with the weights x) loads into a fresh optimizer in eval mode and continues bit-identically', async () => {
    const half = Math.max(1, Math.floor(steps / 2));
    const a = await trained(half);
    const b = await trained(half);
    a.opt.eval();
    a.opt.train();
    for (let t = half; t < steps; t++) await a.opt.minimize(loss);
    b.opt.eval();
    const weights = await read(b.params); // the checkpoint: x, and the state in eval mode
    const saved = JSON.parse(JSON.stringify(await b.opt.saveState()));
    expect(saved.mode).toBe('eval');
    const restored = tf.tidy(() =>
      Object.fromEntries(Object.entries(problem).map(([k, l]) => [k, tf.variable(tf.tensor(weights[k] as number[], l.shape as number[]))])),
    );
    const c = new Optimizer(restored, makeTx());
    c.loadState(saved);
    expect(c.mode).toBe('eval');
    expect(c.stepCount).toBe(half);
    c.train();
    for (let t = half; t < steps; t++) await c.minimize(loss);
    expect(await read(restored)).toEqual(await read(a.params));
    for (const [k, values] of Object.entries(await read(restored))) await expectClose(values, expected.y[k] as number[], { what: `y after resuming, ${k}` });
    c.dispose();
    tf.dispose(restored as unknown as tf.TensorContainer);
    a.done();
    b.done();
  });

  it('evalParams / trainParams (functional) give the reference x and y back, without leaks', async () => {
    const tx = makeTx();
    let params = tensorsOf(problem);
    let state: StateTree = tx.init(params);
    for (let t = 0; t < steps; t++) {
      const next = tf.tidy(() => {
        const r = tx.update(valueAndGrad(loss)(params).grads, state, params);
        return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
      }) as unknown as { params: Params; state: StateTree };
      tf.dispose([params, state] as unknown as tf.TensorContainer);
      ({ params, state } = next);
    }
    await expectNoLeaks(
      async () => {
        const x = tf.tidy(() => evalParams(tx, params, state).params as Params);
        for (const [k, values] of Object.entries(await read(x))) await expectClose(values, expected.x[k] as number[], { what: `evalParams, ${k}` });
        const y = tf.tidy(() => trainParams(tx, x, state).params as Params);
        for (const [k, values] of Object.entries(await read(y))) await expectClose(values, expected.y[k] as number[], { what: `trainParams, ${k}` });
        tf.dispose([x, y] as unknown as tf.TensorContainer);
      },
      { what: 'evalParams and trainParams' },
    );
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });

  it('switching eval() / train() 200 times leaks no tensors', async () => {
    const { opt, done } = await trained(1);
    await expectNoLeaks(
      () => {
        for (let i = 0; i < 200; i++) {
          opt.eval();
          opt.train();
        }
      },
      { what: '200 eval()/train() round trips' },
    );
    done();
  });
}
