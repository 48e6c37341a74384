// Test helpers of the wrappers (cautious, lookahead, emaParams; test code only): float64 inner
// optimizers for the references, per leaf of a test-kit problem, and the eval()/train() round trip.
import { type GradientTransformation, Optimizer, StateError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { type Flat, lossFor, MAIN, type Problem, read, variablesOf } from './test-kit.js';

/** A float64 inner optimizer on one leaf: `step(g, t)` returns the update u (carrying −lr) of every element at step t (1-based). */
export type Inner64 = () => { step(g: readonly number[], t: number): number[] };

/** PyTorch SGD (lr, momentum μ, no dampening): b ← μb + g (b = g at the first step); u = −lr·b. */
export const sgd64 =
  (lr: number, momentum = 0): Inner64 =>
  () => {
    let b: number[] | undefined;
    return {
      step: (g) => {
        b = b === undefined ? [...g] : b.map((x, i) => momentum * x + (g[i] as number));
        return b.map((x) => -lr * x);
      },
    };
  };

/** PyTorch Adam (torch/optim/adam.py, single tensor): m, v EMAs; u = −lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε). */
export const adam64 =
  (lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): Inner64 =>
  () => {
    let m: number[] | undefined;
    let v: number[] | undefined;
    return {
      step: (g, t) => {
        m = g.map((x, i) => beta1 * (m?.[i] ?? 0) + (1 - beta1) * x);
        v = g.map((x, i) => beta2 * (v?.[i] ?? 0) + (1 - beta2) * x * x);
        const [mm, vv] = [m, v];
        return mm.map((x, i) => (-lr * (x / (1 - beta1 ** t))) / (Math.sqrt((vv[i] as number) / (1 - beta2 ** t)) + eps));
      },
    };
  };

/** `tf.tidy` over a function returning a transformation's result or state (tf.tidy's type only knows tensor containers). */
export const tidied = <R>(f: () => R): R => tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as R;

/** ∇ of a problem's leaf at θ, in float64. */
export const leafGrad = (problem: Problem, k: string, theta: readonly number[]): number[] => {
  const l = problem[k] as Problem[string];
  return theta.map((p, i) => 2 * (l.a[i] as number) * p + (l.b[i] as number));
};

/**
 * Registers the eval()/train() round trip of a wrapper with an evaluation point: after `steps` steps
 * on MAIN, `eval()` puts `evalPoint` (the reference's, e.g. the average or the slow weights) in the
 * parameters; stepping in eval mode is a StateError naming `mode`; state saved in eval mode loads in
 * eval mode and `train()` there gives the trained parameters back; `train()` gives them back bit for
 * bit; neither switch leaks.
 */
export function evalRoundTripTest(makeTx: () => GradientTransformation, steps: number, evalPoint: Flat, tolerance = {}): void {
  it(`eval() puts the evaluation point in the parameters after ${steps} steps, train() restores them bit for bit, stepping in eval mode throws`, async () => {
    const loss = lossFor(MAIN);
    const params = variablesOf(MAIN);
    const opt = new Optimizer(params, makeTx());
    for (let t = 0; t < steps; t++) await opt.minimize(loss);
    const trained = await read(params);
    await expectNoLeaks(() => opt.eval(), { what: 'eval()' });
    expect(opt.mode).toBe('eval');
    const evaluated = await read(params);
    for (const [k, v] of Object.entries(evalPoint)) await expectClose(evaluated[k] as number[], v, { ...tolerance, what: `eval point, ${k}` });
    expect(evaluated).not.toEqual(trained);
    const zeros = { w: tf.zerosLike(params.w as tf.Tensor), b: tf.zerosLike(params.b as tf.Tensor) };
    expect(() => opt.step(zeros)).toThrow(StateError);
    tf.dispose([zeros.w, zeros.b]);
    try {
      await opt.minimize(loss);
      expect.unreachable('minimize in eval mode must throw');
    } catch (e) {
      expect(e).toBeInstanceOf(StateError);
      expect((e as StateError).path).toBe('mode');
    }
    expect(await read(params)).toEqual(evaluated);
    // A checkpoint taken in eval mode loads in eval mode; train() there gives the trained values back.
    const saved = JSON.parse(JSON.stringify(await opt.saveState()));
    const copy = variablesOf(MAIN);
    for (const [k, v] of Object.entries(params)) (copy[k] as tf.Variable).assign(v);
    const other = new Optimizer(copy, makeTx());
    other.loadState(saved);
    expect(other.mode).toBe('eval');
    other.train();
    expect(await read(copy)).toEqual(trained);
    await expectNoLeaks(() => opt.train(), { what: 'train()' });
    expect(opt.mode).toBe('train');
    expect(await read(params)).toEqual(trained);
    // Training goes on exactly as if eval() had not been called.
    await opt.minimize(loss);
    await other.minimize(loss);
    expect(await read(copy)).toEqual(await read(params));
    for (const o of [opt, other]) o.dispose();
    tf.dispose([params, copy] as unknown as tf.TensorContainer);
  });
}
