// Independent float64 references of Muon for muon.test.ts and newton-schulz.test.ts (test code only:
// index.ts never imports this file). Literal transcriptions of torch/optim/_muon.py and
// torch/optim/adam.py, pytorch/pytorch at commit 098e03f91de9384cc3afdf5c8b9a6bbc442bd66a, on
// plain arrays of rows, in PyTorch's layouts (a weight is [out, in], a conv weight [out, in, h, w]).
import { at, gradOf, type Leaf } from './test-kit.js';

/** A matrix as rows of float64 numbers. */
export type Matrix = number[][];

export const transpose = (m: Matrix): Matrix => (m[0] ?? []).map((_, j) => m.map((row) => row[j] as number));
export const matmul = (x: Matrix, y: Matrix): Matrix =>
  x.map((row) => (y[0] ?? []).map((_, j) => row.reduce((s, v, k) => s + v * ((y[k] as number[])[j] as number), 0)));
const combine = (x: Matrix, y: Matrix, a: number, b: number): Matrix => x.map((row, i) => row.map((v, j) => a * v + b * ((y[i] as number[])[j] as number)));
/** Row-major values as a [rows, cols] matrix. */
export const rowsOf = (values: readonly number[], cols: number): Matrix =>
  Array.from({ length: values.length / cols }, (_, i) => values.slice(i * cols, (i + 1) * cols));

/**
 * torch/optim/_muon.py `_zeropower_via_newtonschulz` (use_addmm=False), in float64 instead of
 * bfloat16; coefficients (3.4445, -4.7750, 2.0315) as `DEFAULT_A/B/C` there.
 */
export function zeropowerViaNewtonSchulz(grad: Matrix, nsSteps: number, eps: number): Matrix {
  const [a, b, c] = [3.4445, -4.775, 2.0315];
  let ortho = grad.map((row) => [...row]); // grad.bfloat16()
  const tall = grad.length > (grad[0] as number[]).length; // grad.size(0) > grad.size(1)
  if (tall) ortho = transpose(ortho);
  const norm = Math.sqrt(ortho.flat().reduce((s, v) => s + v * v, 0)); // ortho_grad.norm()
  ortho = ortho.map((row) => row.map((v) => v / Math.max(norm, eps))); // div_(norm.clamp(min=eps))
  for (let k = 0; k < nsSteps; k++) {
    const gram = matmul(ortho, transpose(ortho)); // gram_matrix = ortho_grad @ ortho_grad.T
    const gramUpdate = combine(gram, matmul(gram, gram), b, c); // b * gram_matrix + c * gram_matrix @ gram_matrix
    ortho = combine(ortho, matmul(gramUpdate, ortho), a, 1); // a * ortho_grad + gram_update @ ortho_grad
  }
  return tall ? transpose(ortho) : ortho;
}

/** The hyper-parameters of `torchMuon` (numbers or schedules, read at the 0-based step as a scheduler would set them). */
export interface MuonReferenceOptions {
  readonly learningRate?: number | ((t: number) => number);
  readonly weightDecay?: number;
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly nsSteps?: number;
  readonly epsilon?: number;
  readonly adjustLr?: 'original' | 'matchRmsAdamw';
}

/**
 * torch.optim.Muon on one parameter given in torch's layout as a matrix [A, B] (rows = out): `steps`
 * steps of `_single_tensor_muon` with `_adjust_lr` ('original' → `adjust_lr_fn=None`,
 * 'matchRmsAdamw' → 'match_rms_adamw'), the gradient computed by `grad(theta)` on that layout.
 */
export function torchMuon(theta0: Matrix, grad: (theta: Matrix) => Matrix, o: MuonReferenceOptions, steps: number): Matrix {
  let param = theta0.map((row) => [...row]);
  let buf = param.map((row) => row.map(() => 0)); // torch.zeros_like(p.grad)
  const [A, B] = [param.length, (param[0] as number[]).length]; // A, B = param_shape[:2]
  for (let t = 0; t < steps; t++) {
    const lr = at(o.learningRate, t, 1e-3);
    const [wd, momentum, nesterov] = [o.weightDecay ?? 0.1, o.momentum ?? 0.95, o.nesterov ?? true];
    const g = grad(param);
    buf = buf.map((row, i) => row.map((v, j) => v + (1 - momentum) * ((g[i]?.[j] as number) - v))); // buf.lerp_(grad, 1 - momentum)
    const update = nesterov ? g.map((row, i) => row.map((v, j) => v + momentum * ((buf[i]?.[j] as number) - v))) : buf; // grad.lerp(buf, momentum)
    const ortho = zeropowerViaNewtonSchulz(update, o.nsSteps ?? 5, o.epsilon ?? 1e-7);
    const ratio = (o.adjustLr ?? 'original') === 'original' ? Math.sqrt(Math.max(1, A / B)) : 0.2 * Math.sqrt(Math.max(A, B));
    const adjustedLr = lr * ratio;
    param = param.map((row) => row.map((v) => v * (1 - lr * wd))); // param.mul_(1 - lr * weight_decay)
    param = combine(param, ortho, 1, -adjustedLr); // param.add_(update, alpha=-adjusted_lr)
  }
  return param;
}

/** torch.optim.AdamW (torch/optim/adam.py `_single_tensor_adam`, decoupled_weight_decay=True), defaults but the learning rate, on one leaf of a test-kit problem. */
export function torchAdamwLeaf(leaf: Leaf, lr: number, steps: number): number[] {
  const [beta1, beta2, eps, wd] = [0.9, 0.999, 1e-8, 1e-2];
  const theta = [...leaf.theta0];
  const expAvg = theta.map(() => 0);
  const expAvgSq = theta.map(() => 0);
  for (let step = 1; step <= steps; step++) {
    for (let i = 0; i < theta.length; i++) {
      const grad = gradOf(leaf, i, theta[i] as number);
      const param = (theta[i] as number) * (1 - lr * wd); // param.mul_(1 - lr * weight_decay)
      expAvg[i] = (expAvg[i] as number) + (grad - (expAvg[i] as number)) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
      expAvgSq[i] = (expAvgSq[i] as number) * beta2 + (1 - beta2) * grad * grad; // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      const denom = Math.sqrt(expAvgSq[i] as number) / Math.sqrt(1 - beta2 ** step) + eps;
      theta[i] = param - ((lr / (1 - beta1 ** step)) * (expAvg[i] as number)) / denom; // param.addcdiv_(exp_avg, denom, value=-step_size)
    }
  }
  return theta;
}
