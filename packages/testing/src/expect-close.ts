import { isBackendName } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_TOLERANCES } from './tolerance.js';

/** Nested arrays of numbers, as `tensor.array()` returns them. @example `[[1, 2], [3, 4]]` */
export type NestedNumbers = number | readonly NestedNumbers[];

/** What `expectClose` compares: a tensor, a number, nested number arrays or a typed array (1-D). @example `tf.tensor([1, 2])` */
export type Numeric = tf.Tensor | NestedNumbers | Float32Array | Float64Array | Int32Array | Uint8Array;

/** Options of `expectClose`. @example `{ rtol: 1e-4, what: 'grads.w' }` */
export interface CloseOptions {
  /** Relative tolerance (default: the active backend's, see `DEFAULT_TOLERANCES`). */
  readonly rtol?: number;
  /** Absolute tolerance (default: the active backend's, see `DEFAULT_TOLERANCES`). */
  readonly atol?: number;
  /** What is compared, for the failure message, for example `'grads.layers.0.kernel'`. */
  readonly what?: string;
}

/** The error `expectClose` and `expectNoLeaks` throw. @example `expect(p).rejects.toThrow(AssertionError)` */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

interface Read {
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

function isTypedArray(x: unknown): x is ArrayLike<number> {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function shapeOf(x: NestedNumbers, side: string, at: number[] = []): number[] {
  if (typeof x === 'number') return [];
  if (!Array.isArray(x))
    throw new AssertionError(`expectClose: ${side}${at.length ? ` at [${at.join(', ')}]` : ''} is ${x === null ? 'null' : typeof x}, not a number or an array`);
  if (x.length === 0) return [0];
  const inner = shapeOf(x[0] as NestedNumbers, side, [...at, 0]);
  x.forEach((item: NestedNumbers, i: number) => {
    const s = shapeOf(item, side, [...at, i]);
    if (s.join() !== inner.join())
      throw new AssertionError(
        `expectClose: ${side} is ragged: element [${[...at, i].join(', ')}] has shape [${s.join(', ')}], element [${[...at, 0].join(', ')}] has [${inner.join(', ')}]`,
      );
  });
  return [x.length, ...inner];
}

async function read(x: Numeric, side: 'actual' | 'expected'): Promise<Read> {
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new AssertionError(`expectClose: the ${side} tensor is disposed`);
    return { shape: x.shape, values: (await x.data()) as ArrayLike<number> };
  }
  if (isTypedArray(x)) return { shape: [x.length], values: x };
  const shape = shapeOf(x as NestedNumbers, side);
  return { shape, values: typeof x === 'number' ? [x] : ((x as readonly NestedNumbers[]).flat(Number.POSITIVE_INFINITY as 1) as number[]) };
}

/** Turns a flat index into a multi-index of `shape` (row-major). */
function unravel(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    index.unshift(flat % n);
    flat = Math.floor(flat / n);
  }
  return index;
}

const fmt = (v: number) => String(v);
const fmtSmall = (v: number) => (v === 0 ? '0' : v.toExponential(2));

/**
 * Asserts that `actual` is element-wise close to `expected`, as numpy's `assert_allclose`:
 * `|actual − expected| ≤ atol + rtol·|expected|` for every element, shapes equal (no broadcasting).
 * NaN matches NaN and ±Infinity matches the same infinity; any other non-finite value is a
 * mismatch. Tensors are read with `await tensor.data()` (synchronous reads do not work on WebGPU in
 * Node) and are not disposed.
 *
 * @param actual - the value under test: a tensor, a number, nested arrays or a typed array.
 * @param expected - the reference, of the same shape.
 * @param options - `rtol`, `atol` (default: the active backend's tolerance, `DEFAULT_TOLERANCES`)
 *   and `what` (named in the message).
 * @throws AssertionError naming the number of mismatches, the worst element (its index, both values,
 *   the difference and what was allowed there), the first few mismatches, the tolerance and the backend.
 * @example
 * ```ts
 * const { grads } = valueAndGrad((p) => tf.sum(tf.square(p.w)))({ w });
 * await expectClose(grads.w, [2, -4, 6], { what: 'd/dw sum(w²)' });
 * ```
 */
export async function expectClose(actual: Numeric, expected: Numeric, options: CloseOptions = {}): Promise<void> {
  const backend = tf.getBackend();
  const defaults = DEFAULT_TOLERANCES[isBackendName(backend) ? backend : 'cpu'];
  const rtol = options.rtol ?? defaults.rtol;
  const atol = options.atol ?? defaults.atol;
  const label = `expectClose${options.what ? ` (${options.what})` : ''}${backend ? ` on ${backend}` : ''}`;
  for (const [name, v] of [
    ['rtol', rtol],
    ['atol', atol],
  ] as const) {
    if (!(v >= 0)) throw new AssertionError(`${label}: ${name} must be a number ≥ 0, got ${v}`);
  }
  const [a, e] = [await read(actual, 'actual'), await read(expected, 'expected')];
  if (a.shape.join() !== e.shape.join()) {
    throw new AssertionError(`${label}: shape [${a.shape.join(', ')}] differs from the expected shape [${e.shape.join(', ')}]`);
  }
  const mismatches: number[] = [];
  let worst = -1;
  let worstExcess = -1;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i] as number;
    const y = e.values[i] as number;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const diff = Math.abs(x - y);
    const allowed = atol + rtol * Math.abs(y);
    if (Number.isFinite(x) && Number.isFinite(y) && diff <= allowed) continue;
    mismatches.push(i);
    const excess = Number.isFinite(diff) ? diff / (allowed || Number.MIN_VALUE) : Number.POSITIVE_INFINITY;
    if (excess > worstExcess || worst < 0) [worst, worstExcess] = [i, excess];
  }
  if (mismatches.length === 0) return;
  const where = (i: number) => (a.shape.length ? `[${unravel(i, a.shape).join(', ')}]` : '(scalar)');
  const wx = a.values[worst] as number;
  const wy = e.values[worst] as number;
  const lines = [
    `${label}: ${mismatches.length} of ${a.values.length} element${a.values.length === 1 ? '' : 's'} differ beyond |actual − expected| ≤ atol + rtol·|expected| (rtol ${rtol}, atol ${atol})`,
    `  worst at ${where(worst)}: actual ${fmt(wx)}, expected ${fmt(wy)}, |diff| ${fmtSmall(Math.abs(wx - wy))} > allowed ${fmtSmall(atol + rtol * Math.abs(wy))}`,
  ];
  if (mismatches.length > 1) {
    const shown = mismatches.slice(0, 5).map((i) => `${where(i)} ${fmt(a.values[i] as number)} vs ${fmt(e.values[i] as number)}`);
    lines.push(`  mismatches: ${shown.join('; ')}${mismatches.length > 5 ? `; … ${mismatches.length - 5} more` : ''}`);
  }
  throw new AssertionError(lines.join('\n'));
}
