import {
  alignLeaves,
  checkHyper,
  checkOptions,
  describeValue,
  flatten,
  HyperParameterError,
  type ParamTree,
  unflatten,
  ValueError,
  valueAndGrad,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { wholeNumber } from './checks.js';

/**
 * Options of `gradCheck`.
 *
 * @example
 * ```ts
 * await gradCheck(f, { x }, { eps: 1e-2, rtol: 2e-2, atol: 1e-3, maxElementsPerLeaf: 64 });
 * ```
 */
export interface GradCheckOptions {
  /** Finite-difference step h (each element is moved by ±h·max(1, |x|)). Default 1e-3. */
  readonly eps?: number;
  /** Relative tolerance: an element passes when |numeric − autograd| ≤ atol + rtol·|numeric|. Default 1e-2. */
  readonly rtol?: number;
  /** Absolute tolerance (see `rtol`). Default 1e-3. */
  readonly atol?: number;
  /** Check at most this many elements per leaf, evenly spread over it (first and last included). Default 1000. */
  readonly maxElementsPerLeaf?: number;
}

/** The worst element of one leaf in `gradCheck`. @example `{ index: 3, autograd: 1.5, numeric: 1.4999 }` */
export interface GradCheckElement {
  /** Flat (row-major) index of the element. */
  readonly index: number;
  /** ∂f/∂x from autograd (`valueAndGrad`). */
  readonly autograd: number;
  /** ∂f/∂x from central differences. */
  readonly numeric: number;
}

/** `gradCheck`'s result for one leaf of the input tree. @example `{ path: 'w', passed: true, maxAbsError: 2e-5, … }` */
export interface GradCheckLeaf {
  /** The leaf's tree path. */
  readonly path: string;
  /** Number of elements checked. */
  readonly checked: number;
  /** max |numeric − autograd| over the checked elements. */
  readonly maxAbsError: number;
  /** max |numeric − autograd| / max(|numeric|, |autograd|) over the checked elements (0 where both are 0). */
  readonly maxRelError: number;
  /** The element with the largest excess over the tolerance (or the largest error when all pass). */
  readonly worst: GradCheckElement | null;
  /** Whether every checked element is within atol + rtol·|numeric|. */
  readonly passed: boolean;
}

/** What `gradCheck` returns. @example `{ passed: false, leaves: [{ path: 'x', maxRelError: 0.33, … }], … }` */
export interface GradCheckResult {
  /** Whether every leaf passed. */
  readonly passed: boolean;
  /** One entry per leaf, in flatten order. */
  readonly leaves: readonly GradCheckLeaf[];
  /** The step used. */
  readonly eps: number;
  /** The relative tolerance used. */
  readonly rtol: number;
  /** The absolute tolerance used. */
  readonly atol: number;
}

function indicesToCheck(size: number, max: number): number[] {
  if (size <= max) return Array.from({ length: size }, (_, i) => i);
  if (max === 1) return [0];
  return Array.from({ length: max }, (_, k) => Math.round((k * (size - 1)) / (max - 1)));
}

/**
 * Checks a function's gradient against finite differences, for people writing custom ops
 * (`tf.customGrad`) or custom layers: autograd (`valueAndGrad(f)`) versus the central difference
 * (f(x + h·eᵢ) − f(x − h·eᵢ)) / (x₊ − x₋) for each checked element.
 *
 * f is evaluated in float32 (tfjs computes in float32); the perturbed inputs are rounded to float32
 * and the quotient is taken in float64 on the host from the exact float32 values that were used, so
 * the only errors are f's own float32 rounding (≈ 1e-7·|f|/h) and the truncation error (≈ h²·|f‴|/6).
 * With h = 1e-3·max(1, |x|) the comparison is good to about 1e-3 relative, hence the defaults
 * rtol = 1e-2, atol = 1e-3 (PyTorch's `torch.autograd.gradcheck` uses float64, eps 1e-6, atol 1e-5,
 * rtol 1e-3). Points at a kink (relu at 0) give a mismatch by nature: avoid them.
 *
 * All evaluations are queued on the device and read back with one `await data()`; 2 evaluations of f
 * per checked element (use `maxElementsPerLeaf` for large leaves). Nothing is kept; `x` is not changed.
 *
 * @param f - a scalar function of a tree of float32 tensors.
 * @param x - the point to check at.
 * @throws UnknownOptionError for an option it does not take; HyperParameterError for eps, rtol,
 *   atol or maxElementsPerLeaf out of range; ValueError when f is not a function or does not return
 *   a scalar tensor, or x has a leaf that is not a live float32 tensor.
 * @example
 * ```ts
 * const cube = tf.customGrad((x: tf.Tensor) => ({ value: tf.pow(x, 3), gradFunc: (dy) => tf.mul(dy, tf.mul(3, tf.square(x))) }));
 * const result = await gradCheck((p: { x: tf.Tensor }) => tf.sum(cube(p.x)), { x: tf.tensor1d([0.5, -1, 2]) });
 * console.log(result.passed, result.leaves[0].maxRelError);
 * ```
 */
export async function gradCheck<P extends ParamTree>(f: (x: P) => tf.Scalar | tf.Tensor, x: P, options: GradCheckOptions = {}): Promise<GradCheckResult> {
  if (typeof f !== 'function') throw new ValueError('f', `gradCheck needs a function (x) => scalar tensor, got ${describeValue(f)}`);
  const o = checkOptions('gradCheck', options, ['eps', 'rtol', 'atol', 'maxElementsPerLeaf'], { example: 'gradCheck(f, { x }, { eps: 1e-3, rtol: 1e-2 })' });
  const number = (field: string, value: unknown, fallback: number) => {
    const v = value === undefined ? fallback : value;
    if (typeof v !== 'number') throw new HyperParameterError(field, `${field} must be a number, got ${describeValue(value)}`);
    return v;
  };
  const eps = checkHyper('eps', number('eps', o.eps, 1e-3), { min: 0, max: 1, minExclusive: true });
  const rtol = checkHyper('rtol', number('rtol', o.rtol, 1e-2), { min: 0 });
  const atol = checkHyper('atol', number('atol', o.atol, 1e-3), { min: 0 });
  const maxElements = wholeNumber('maxElementsPerLeaf', o.maxElementsPerLeaf, 1000, 1, 'elements checked per leaf');
  if (x === null || x === undefined) throw new ValueError('x', `x must be a tree of float32 tensors (the point to check at), got ${describeValue(x)}`);
  const entries = flatten(x);
  const leaves = entries.map(({ path, value }) => {
    const name = path || 'x';
    if (!(value instanceof tf.Tensor) || value.isDisposed || value.dtype !== 'float32')
      throw new ValueError(
        name,
        `'${name}' must be a live float32 tensor, got ${value instanceof tf.Tensor ? (value.isDisposed ? 'a disposed tensor' : `dtype ${value.dtype}`) : describeValue(value)}`,
      );
    return value;
  });
  if (leaves.length === 0) throw new ValueError('x', 'x has no tensors: nothing to check');
  const plan = leaves.map((leaf) => indicesToCheck(leaf.size, maxElements));
  // Queue every evaluation, then read everything back at once.
  const flatX = tf.tidy(() => tf.concat(leaves.map((l) => tf.reshape(l, [-1]))));
  const allX = (await flatX.data()) as Float32Array;
  flatX.dispose();
  let start = 0;
  const hostX = leaves.map((l) => {
    const part = allX.slice(start, start + l.size);
    start += l.size;
    return part;
  });
  const { value, grads } = valueAndGrad(f)(x);
  value.dispose();
  // Paired with x by key, whatever order the gradient tree's keys come in.
  const gradLeaves = alignLeaves(x, grads as ParamTree) as tf.Tensor[];
  const steps: { leaf: number; index: number; denom: number }[] = [];
  const values: tf.Tensor[] = [];
  try {
    leaves.forEach((leaf, k) => {
      const base = hostX[k] as Float32Array;
      for (const index of plan[k] as number[]) {
        const xi = base[index] as number;
        const h = eps * Math.max(1, Math.abs(xi));
        const plus = Math.fround(xi + h);
        const minus = Math.fround(xi - h);
        steps.push({ leaf: k, index, denom: plus - minus });
        for (const moved of [plus, minus]) {
          values.push(
            tf.tidy(() => {
              const copy = base.slice();
              copy[index] = moved;
              const perturbed = leaves.map((l, j) => (j === k ? tf.tensor(copy, leaf.shape, 'float32') : l));
              const y = f(unflatten(x, perturbed) as P);
              if (!(y instanceof tf.Tensor) || y.size !== 1) throw new ValueError('f', 'f must return a scalar tensor');
              return tf.reshape(y, []);
            }),
          );
        }
      }
    });
    const all = tf.tidy(() => tf.concat([...values.map((v) => tf.reshape(v, [1])), ...gradLeaves.map((g) => tf.reshape(g, [-1]))]));
    const data = await all.data();
    all.dispose();
    const nValues = values.length;
    const gradOffsets: number[] = [];
    let off = nValues;
    for (const l of leaves) {
      gradOffsets.push(off);
      off += l.size;
    }
    const results: GradCheckLeaf[] = leaves.map((_, k) => {
      let maxAbs = 0;
      let maxRel = 0;
      let worst: GradCheckElement | null = null;
      let worstExcess = Number.NEGATIVE_INFINITY;
      let passed = true;
      steps.forEach((s, j) => {
        if (s.leaf !== k) return;
        const numeric = ((data[2 * j] as number) - (data[2 * j + 1] as number)) / s.denom;
        const autograd = data[(gradOffsets[k] as number) + s.index] as number;
        const err = Math.abs(numeric - autograd);
        const scale = Math.max(Math.abs(numeric), Math.abs(autograd));
        const rel = scale === 0 ? 0 : err / scale;
        const excess = err - (atol + rtol * Math.abs(numeric));
        const ok = excess <= 0 && Number.isFinite(numeric) && Number.isFinite(autograd);
        if (!ok) passed = false;
        maxAbs = Math.max(maxAbs, err); // NaN propagates
        maxRel = Math.max(maxRel, rel);
        const score = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
        if (score > worstExcess) {
          worstExcess = score;
          worst = { index: s.index, autograd, numeric };
        }
      });
      return { path: entries[k]?.path ?? '', checked: (plan[k] as number[]).length, maxAbsError: maxAbs, maxRelError: maxRel, worst, passed };
    });
    return { passed: results.every((r) => r.passed), leaves: results, eps, rtol, atol };
  } finally {
    tf.dispose(values);
    tf.dispose(gradLeaves);
  }
}
