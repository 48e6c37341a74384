// Independent float64 references shared by several test files (test code only: index.ts never imports
// this file). Each is a literal transcription of the cited source, for scalars, on the problem of
// test-kit.ts.
import type { Schedule } from '@gradkit/core';
import { at, gradAt, THETA0 } from './test-kit.js';

/** The hyper-parameters of the references: plain numbers or schedules, as the options objects. */
export interface AdamReferenceOptions {
  readonly learningRate?: number | Schedule;
  readonly beta1?: number | Schedule;
  readonly beta2?: number | Schedule;
  readonly epsilon?: number | Schedule;
  readonly weightDecay?: number | Schedule;
  readonly amsgrad?: boolean;
}

/**
 * torch.optim.Adam and torch.optim.AdamW: torch/optim/adam.py, `_single_tensor_adam` (AdamW is the
 * same function with `decoupled_weight_decay=True`; before PyTorch 2.6 torch/optim/adamw.py,
 * `_single_tensor_adamw`, had the same lines). Hyper-parameters are read at the 0-based step, as
 * the param_group values a scheduler would have set before `step()`.
 */
export function torchAdam(o: AdamReferenceOptions, steps: number, decoupled: boolean): number[] {
  const theta = [...THETA0];
  const expAvg = theta.map(() => 0);
  const expAvgSq = theta.map(() => 0);
  const maxExpAvgSq = theta.map(() => 0);
  for (let s = 0; s < steps; s++) {
    const lr = at(o.learningRate, s, 1e-3);
    const beta1 = at(o.beta1, s, 0.9);
    const beta2 = at(o.beta2, s, 0.999);
    const eps = at(o.epsilon, s, 1e-8);
    const weightDecay = at(o.weightDecay, s, decoupled ? 1e-2 : 0);
    const grads = gradAt(theta);
    const step = s + 1; // step_t += 1
    for (let i = 0; i < theta.length; i++) {
      let param = theta[i] as number;
      let grad = grads[i] as number;
      if (weightDecay !== 0) {
        if (decoupled)
          param = param * (1 - lr * weightDecay); // param.mul_(1 - lr * weight_decay)
        else grad = grad + weightDecay * param; // grad = grad.add(param, alpha=weight_decay)
      }
      expAvg[i] = (expAvg[i] as number) + (grad - (expAvg[i] as number)) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
      expAvgSq[i] = (expAvgSq[i] as number) * beta2 + (1 - beta2) * grad * grad; // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const stepSize = lr / biasCorrection1;
      const biasCorrection2Sqrt = biasCorrection2 ** 0.5;
      let denom: number;
      if (o.amsgrad) {
        maxExpAvgSq[i] = Math.max(maxExpAvgSq[i] as number, expAvgSq[i] as number); // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=...)
        denom = Math.sqrt(maxExpAvgSq[i] as number) / biasCorrection2Sqrt + eps;
      } else {
        denom = Math.sqrt(expAvgSq[i] as number) / biasCorrection2Sqrt + eps;
      }
      theta[i] = param - (stepSize * (expAvg[i] as number)) / denom; // param.addcdiv_(exp_avg, denom, value=-step_size)
    }
  }
  return theta;
}
