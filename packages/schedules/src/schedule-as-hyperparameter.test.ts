// Any numeric hyper-parameter of an optimizer accepts a schedule: the Optimizer evaluates it at each
// step (on the reference path and in fused kernels alike) and the parameters follow its trajectory.
import { applyUpdates, Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { cosineDecay } from './cosine-decay.js';
import { linearWarmup } from './linear-warmup.js';
import { stepDecay } from './step-decay.js';
import { torchLrs } from './test-utils.js';

const A = [0.5, 1.5, 0.25];
const B = [0.1, -0.3, 0.2];
const THETA0 = [1, -2, 0.5];
const lossOf = (p: { w: tf.Tensor }) => tf.sum(tf.add(tf.mul(tf.tensor1d(A), tf.square(p.w)), tf.mul(tf.tensor1d(B), p.w))) as tf.Scalar;

/**
 * torch.optim.SGD (torch/optim/sgd.py, `_single_tensor_sgd`) on f(θ) = Σ aᵢθᵢ² + bᵢθᵢ in float64,
 * with the lr and momentum of step t given per step (as an LR scheduler sets them).
 */
function torchSgd(lrs: number[], momenta: number[]): number[][] {
  const theta = [...THETA0];
  const buf: (number | null)[] = theta.map(() => null);
  const trajectory: number[][] = [];
  lrs.forEach((lr, t) => {
    const momentum = momenta[t] as number;
    for (let i = 0; i < theta.length; i++) {
      let dp = 2 * (A[i] as number) * (theta[i] as number) + (B[i] as number);
      if (momentum !== 0) {
        const prev = buf[i];
        buf[i] = prev == null ? dp : momentum * prev + dp;
        dp = buf[i] as number;
      }
      theta[i] = (theta[i] as number) - lr * dp;
    }
    trajectory.push([...theta]);
  });
  return trajectory;
}

const STEPS = 8;
// torch/optim/lr_scheduler.py, CosineAnnealingLR.get_lr (chainable form) for T_max 8, eta_min 0.01, base lr 0.1.
const COSINE_LRS = torchLrs(
  0.1,
  ({ lastEpoch, lr, isInitial }) =>
    isInitial ? lr : ((1 + Math.cos((Math.PI * lastEpoch) / 8)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / 8))) * (lr - 0.01) + 0.01,
  STEPS,
);

describe('a schedule as an optimizer hyper-parameter', () => {
  for (const fused of [true, false]) {
    it(`sgd({ learningRate: cosineDecay(...) }) through the Optimizer follows CosineAnnealingLR + SGD (${fused ? 'fused kernel' : 'reference path'})`, async () => {
      const params = { w: tf.tidy(() => tf.variable(tf.tensor1d(THETA0))) };
      const opt = new Optimizer(params, sgd({ learningRate: cosineDecay({ initial: 0.1, decaySteps: 8, final: 0.01 }) }), { fused });
      const expected = torchSgd(
        COSINE_LRS,
        COSINE_LRS.map(() => 0),
      );
      for (let t = 0; t < STEPS; t++) {
        await opt.minimize(lossOf);
        await expectClose(params.w, expected[t] as number[], { what: `θ after step ${t}` });
      }
      if (fused) expect(opt.lastStepPath).toMatch(/^fused:/);
      else expect(opt.lastStepPath).toBe('reference');
      opt.dispose();
      params.w.dispose();
    });
  }

  it('learning rate and momentum both scheduled (stepDecay, linearWarmup): the functional path follows PyTorch', async () => {
    const lr = stepDecay({ initial: 0.1, stepSize: 3, gamma: 0.5 });
    const momentum = linearWarmup({ initial: 0.5, peak: 0.9, warmupSteps: 5 });
    const tx = sgd({ learningRate: lr, momentum });
    // Closed forms, independent of the package: StepLR and LinearLR.
    const lrs = Array.from({ length: STEPS }, (_, t) => 0.1 * 0.5 ** Math.floor(t / 3));
    const momenta = Array.from({ length: STEPS }, (_, t) => 0.5 + (0.4 * Math.min(t, 5)) / 5);
    for (let t = 0; t < STEPS; t++) {
      expect(tx.hyperParams?.(t).learningRate).toBeCloseTo(lrs[t] as number, 15);
      expect(tx.hyperParams?.(t).momentum).toBeCloseTo(momenta[t] as number, 15);
    }
    const expected = torchSgd(lrs, momenta);
    let params: { w: tf.Tensor } = { w: tf.tensor1d(THETA0) };
    let state = tx.init(params);
    for (let t = 0; t < STEPS; t++) {
      const next = tf.tidy(() => {
        const g = tf.grad((w: tf.Tensor) => lossOf({ w }))(params.w);
        const r = tx.update({ w: g }, state, params);
        return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
      }) as unknown as { params: { w: tf.Tensor }; state: typeof state };
      tf.dispose([params.w, state as unknown as tf.TensorContainer]);
      params = next.params;
      state = next.state;
      await expectClose(params.w, expected[t] as number[], { what: `θ after step ${t}` });
    }
    tf.dispose([params.w, state as unknown as tf.TensorContainer]);
  });
});
