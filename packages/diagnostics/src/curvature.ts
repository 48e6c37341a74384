// The top Hessian eigenvalue of a loss, for the edge-of-stability finding: power iteration on
// Hessian-vector products taken as central finite differences of gradients (tfjs has no second
// derivative of most kernels), after PyHessian's `hessian.eigenvalues` (amirgholami/PyHessian,
// pyhessian/hessian.py at 2a28ccd4eccd57825e72771bf48d4d1f2c0dec45: maxIter 100, tol 1e-3).
import { checkHyper, checkOptions, describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { wholeNumber } from './checks.js';

/** Options of `hessianTopEigenvalue`. @example `{ iterations: 20, tolerance: 1e-3, seed: 0 }` */
export interface HessianEigenOptions {
  /** Most power iterations (each takes two gradients). Default 100 (PyHessian's `maxIter`). */
  readonly iterations?: number;
  /** Stop when |λₖ − λₖ₋₁| / (|λₖ₋₁| + 1e-6) is below it. Default 1e-3 (PyHessian's `tol`). */
  readonly tolerance?: number;
  /** Seed of the random start vector. Default 0. */
  readonly seed?: number;
  /**
   * Finite-difference step, relative to max(‖θ‖, 1): the weights move by ±epsilon·max(‖θ‖, 1) along a
   * unit direction. Default 3e-4, suited to float32: on the MLP of the tests (‖θ‖ ≈ 5) the error of
   * λmax is 5e-4 at 1e-3 (truncation, O(ε²)), 4e-5 at 3e-4, and grows again below 3e-5 (rounding).
   */
  readonly epsilon?: number;
}

/** What `hessianTopEigenvalue` found. @example `r.lambdaMax` */
export interface HessianEigenResult {
  /** The eigenvalue of largest magnitude (its sign kept), as the Rayleigh quotient of the last direction. */
  readonly lambdaMax: number;
  /** Power iterations made. */
  readonly iterations: number;
  /** Whether the relative change fell below `tolerance` within `iterations`. */
  readonly converged: boolean;
}

const OPTIONS = ['iterations', 'tolerance', 'seed', 'epsilon'];
const EXAMPLE = 'hessianTopEigenvalue(() => loss(), [w], { iterations: 100, tolerance: 1e-3 })';

function checkNumber(field: string, value: unknown, fallback: number, range: { min: number; max: number }): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number') throw new HyperParameterError(field, `${field} must be a number, got ${describeValue(value)}`);
  return checkHyper(field, v, { ...range, minExclusive: true, maxExclusive: true });
}

/** The variables, checked: a non-empty array of distinct, live, trainable float32 tf.Variables. */
function checkVariables(variables: unknown): tf.Variable[] {
  if (!Array.isArray(variables) || variables.length === 0)
    throw new ValueError('variables', `variables must be a non-empty array of tf.Variable (the weights to differentiate by), got ${describeValue(variables)}`);
  variables.forEach((v, i) => {
    const name = `variables.${i}`;
    if (!(v instanceof tf.Variable)) throw new ValueError(name, `${name} must be a tf.Variable, got ${describeValue(v)}`);
    if (v.isDisposed) throw new ValueError(name, `${name} (${v.name}) is disposed`);
    if (v.dtype !== 'float32') throw new ValueError(name, `${name} (${v.name}) must be float32, got ${v.dtype}`);
    if (!v.trainable) throw new ValueError(name, `${name} (${v.name}) is not trainable: tf.variableGrads gives it no gradient`);
    if (variables.indexOf(v) !== i) throw new ValueError(name, `${name} (${v.name}) is listed twice`);
  });
  return variables as tf.Variable[];
}

/** `loss` wrapped for tf.variableGrads: its result must be a tensor of one element, given as a scalar. */
function scalarLoss(loss: () => tf.Scalar): () => tf.Scalar {
  return () => {
    const y = loss() as unknown;
    if (!(y instanceof tf.Tensor) || y.size !== 1 || y.dtype !== 'float32')
      throw new ValueError(
        'loss',
        `loss must return a float32 scalar tensor, got ${y instanceof tf.Tensor ? `shape [${y.shape}] ${y.dtype}` : describeValue(y)}`,
      );
    return tf.reshape(y, []);
  };
}

/** ∇L at the current values, one tensor per variable (zeros where the loss does not reach one). */
function gradients(loss: () => tf.Scalar, variables: readonly tf.Variable[]): { value: tf.Scalar; grads: tf.Tensor[] } {
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(loss, variables as tf.Variable[]);
  } catch (e) {
    if (e instanceof ValueError) throw e;
    if (e instanceof Error && /Cannot compute gradient|Cannot find a connection/.test(e.message))
      throw new ValueError('variables', 'the loss does not depend on any of the variables: pass the weights the loss is computed from');
    throw e;
  }
  return { value: result.value, grads: variables.map((v) => result.grads[v.name] ?? tf.zerosLike(v)) };
}

/** Sets each variable to the tensor of the same index. */
function assignAll(variables: readonly tf.Variable[], values: readonly tf.Tensor[]): void {
  variables.forEach((x, i) => {
    x.assign(values[i] as tf.Tensor);
  });
}

/** Σ over the parts of ⟨a, b⟩, as a scalar tensor. */
const dot = (a: readonly tf.Tensor[], b: readonly tf.Tensor[]) => tf.addN(a.map((x, i) => tf.sum(tf.mul(x, b[i] as tf.Tensor))));

/**
 * One Hessian-vector product along the unit direction `v`: the weights are set to θ₊ = θ + ε·v and
 * θ₋ = θ − ε·v (float32), and d = θ₊ − θ₋ is the step they actually took, so that
 * Hd ≈ ∇L(θ₊) − ∇L(θ₋) (the error is O(ε²·L‴)) and λ = ⟨d, Hd⟩/⟨d, d⟩ is d's Rayleigh quotient.
 * Returns [⟨d, Hd⟩, ⟨d, d⟩, ‖Hd‖, L(θ₊) + L(θ₋)] and the next unit direction Hd/‖Hd‖ (kept; the caller disposes it).
 */
function hvpStep(loss: () => tf.Scalar, variables: readonly tf.Variable[], theta: readonly tf.Tensor[], v: readonly tf.Tensor[], eps: number) {
  return tf.tidy(() => {
    const plus = theta.map((t, i) => tf.add(t, tf.mul(v[i] as tf.Tensor, eps)));
    const minus = theta.map((t, i) => tf.sub(t, tf.mul(v[i] as tf.Tensor, eps)));
    assignAll(variables, plus);
    const atPlus = gradients(loss, variables);
    assignAll(variables, minus);
    const atMinus = gradients(loss, variables);
    const d = plus.map((p, i) => tf.sub(p, minus[i] as tf.Tensor));
    const hd = atPlus.grads.map((g, i) => tf.sub(g, atMinus.grads[i] as tf.Tensor));
    const norm = tf.sqrt(dot(hd, hd));
    const next = hd.map((h) => tf.div(h, tf.maximum(norm, Number.MIN_VALUE)));
    return { numbers: tf.stack([dot(d, hd), dot(d, d), norm, tf.add(atPlus.value, atMinus.value)]), next };
  });
}

/**
 * The top Hessian eigenvalue of `loss` at the current values of `variables`: power iteration on
 * Hessian-vector products by central finite differences of gradients.
 *
 * With ε = `epsilon`·max(‖θ‖, 1), each iteration sets the weights to θ ± ε·v (v a unit direction over all the
 * variables together), takes the gradients with `tf.variableGrads`, and uses
 * Hv ≈ (∇L(θ + εv) − ∇L(θ − εv)) / (2ε) (exact for a quadratic; O(ε²) otherwise). The estimate is the
 * Rayleigh quotient λ = vᵀHv (of the step the float32 weights actually took), the next direction
 * Hv/‖Hv‖, and it stops when |λₖ − λₖ₋₁| / (|λₖ₋₁| + 1e-6) < `tolerance` (PyHessian's rule and
 * defaults: `hessian(model, criterion, data).eigenvalues(maxIter=100, tol=1e-3)`, which uses exact
 * Hessian-vector products; in PyTorch `torch.autograd.functional.hvp`). The start vector is
 * normal(0, 1) from `seed`, the same on every backend.
 *
 * Power iteration finds the eigenvalue of largest magnitude: at a point with stronger negative
 * curvature than positive, `lambdaMax` is that negative eigenvalue. The variables get their own
 * values back (bit for bit) when it returns, and when it throws.
 *
 * @param loss - the loss at the variables' current values (a float32 scalar tensor; it is called
 *   2 × iterations times, under `tf.variableGrads`).
 * @param variables - the trainable float32 `tf.Variable`s to take the Hessian over (e.g.
 *   `model.trainableWeights.map((w) => w.read())` for a tfjs-layers model).
 * @throws UnknownOptionError for an option it does not take; HyperParameterError naming
 *   `iterations`, `tolerance`, `seed` or `epsilon` out of range; ValueError naming `loss` when it is not
 *   a function, does not return a float32 scalar, or is not finite at θ; ValueError naming
 *   `variables` (or `variables.<i>`) for an empty list, something not a live trainable float32
 *   variable, a duplicate, or a loss that depends on none of them.
 * @example
 * ```ts
 * const w = tf.variable(tf.tensor1d([1, -2]));
 * const A = tf.tensor2d([[3, 1], [1, 2]]);
 * const loss = () => tf.mul(0.5, tf.sum(tf.mul(w, tf.matMul(A, w.reshape([2, 1])).reshape([2])))) as tf.Scalar;
 * const { lambdaMax } = await hessianTopEigenvalue(loss, [w]); // ≈ 3.618, the top eigenvalue of A
 * ```
 */
export async function hessianTopEigenvalue(
  loss: () => tf.Scalar,
  variables: readonly tf.Variable[],
  options: HessianEigenOptions = {},
): Promise<HessianEigenResult> {
  const o = checkOptions('hessianTopEigenvalue', options, OPTIONS, { example: EXAMPLE });
  const iterations = wholeNumber('iterations', o.iterations, 100, 1, 'power iterations', 100_000);
  const tolerance = checkNumber('tolerance', o.tolerance, 1e-3, { min: 0, max: 1 });
  const seed = wholeNumber('seed', o.seed, 0, 0, 'the start vector');
  const epsilon = checkNumber('epsilon', o.epsilon, 3e-4, { min: 0, max: 1 });
  if (typeof loss !== 'function') throw new ValueError('loss', `loss must be a function () => scalar tensor, got ${describeValue(loss)}`);
  const vars = checkVariables(variables);
  const f = scalarLoss(loss);
  // The original values: tf.clone shares each variable's buffer, so restoring is exact.
  const theta = vars.map((v) => tf.clone(v));
  let v: tf.Tensor[] = [];
  try {
    const start = tf.tidy(() => {
      const value = f();
      const sizes = vars.map((x) => x.size);
      const flat = tf.randomNormal([sizes.reduce((a, b) => a + b, 0)], 0, 1, 'float32', seed);
      const raw = tf.split(flat, sizes).map((part, i) => tf.reshape(part, (vars[i] as tf.Variable).shape));
      const norm = tf.sqrt(dot(raw, raw));
      return { numbers: tf.stack([value, tf.sqrt(dot(theta, theta))]), v: raw.map((r) => tf.div(r, norm)) };
    });
    v = start.v;
    const [value, thetaNorm] = (await start.numbers.data()) as Float32Array;
    start.numbers.dispose();
    if (!Number.isFinite(value)) throw new ValueError('loss', `the loss is ${value} at the current weights: it has no curvature to measure`);
    const eps = epsilon * Math.max(thetaNorm as number, 1);
    let lambda: number | undefined;
    for (let k = 1; k <= iterations; k++) {
      const step = hvpStep(f, vars, theta, v, eps);
      tf.dispose(v);
      v = step.next;
      const [dHd, dd, norm, values] = Array.from(await step.numbers.data());
      step.numbers.dispose();
      const estimate = (dHd as number) / (dd as number);
      if (!Number.isFinite(estimate) || !Number.isFinite(values))
        throw new ValueError('loss', `the loss or its gradient is not finite within ${eps.toPrecision(3)} of the current weights (the finite-difference step)`);
      if (norm === 0) return { lambdaMax: 0, iterations: k, converged: true };
      if (lambda !== undefined && Math.abs(estimate - lambda) / (Math.abs(lambda) + 1e-6) < tolerance)
        return { lambdaMax: estimate, iterations: k, converged: true };
      lambda = estimate;
    }
    return { lambdaMax: lambda as number, iterations, converged: false };
  } finally {
    assignAll(vars, theta);
    tf.dispose([...theta, ...v]);
  }
}
