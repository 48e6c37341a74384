import { checkOptions, HyperParameterError } from '@gradkit/core';
import { numberOption, POSITIVE, seeded } from './internal.js';
import type { Initializer, SeedOptions } from './types.js';

/** Options of `orthogonal`. @example `{ gain: Math.SQRT2, seed: 1 }` */
export interface OrthogonalOptions extends SeedOptions {
  /** Multiplies the orthogonal matrix, > 0 (default 1, as PyTorch). */
  readonly gain?: number;
}

/**
 * The thin Q (p × q, p ≥ q) of the QR decomposition of the row-major p × q matrix `a` by Householder
 * reflections in float64, with each column j multiplied by sign(R_jj) (PyTorch's correction, which
 * makes Q Haar-distributed). Columns are stored contiguously, so each reflection streams through
 * memory: about 0.2 s for 512 × 512 and 2 s for 1024 × 1024 (Node 20).
 */
export function householderQ(a: Float64Array, p: number, q: number): Float64Array {
  const cols = Array.from({ length: q }, (_, j) => {
    const c = new Float64Array(p);
    for (let i = 0; i < p; i++) c[i] = a[i * q + j] as number;
    return c;
  });
  const reflectors: { v: Float64Array; vv: number }[] = [];
  const signs = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    const ck = cols[k] as Float64Array;
    let norm = 0;
    for (let i = k; i < p; i++) norm += (ck[i] as number) ** 2;
    norm = Math.sqrt(norm);
    const alpha = (ck[k] as number) > 0 ? -norm : norm; // R_kk = alpha; this sign avoids cancellation in v
    const v = ck.slice(k);
    v[0] = (v[0] as number) - alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += (v[i] as number) ** 2;
    // H = I − 2vvᵀ/(vᵀv) applied to columns k … q−1, rows k … p−1.
    if (vv > 0) reflect(v, vv, cols, k, k);
    reflectors.push({ v, vv });
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H₀H₁…H_{q−1}·[I; 0]: apply the reflectors backwards to e₀ … e_{q−1}; H_k touches rows ≥ k,
  // where only columns j ≥ k are nonzero yet.
  const qcols = Array.from({ length: q }, (_, j) => {
    const c = new Float64Array(p);
    c[j] = 1;
    return c;
  });
  for (let k = q - 1; k >= 0; k--) {
    const { v, vv } = reflectors[k] as { v: Float64Array; vv: number };
    if (vv > 0) reflect(v, vv, qcols, k, k);
  }
  const qm = new Float64Array(p * q);
  for (let j = 0; j < q; j++) {
    const c = qcols[j] as Float64Array;
    const s = signs[j] as number;
    for (let i = 0; i < p; i++) qm[i * q + j] = s * (c[i] as number);
  }
  return qm;
}

/** cols[j][offset + i] −= (2 vᵀcols[j][offset…]/vv)·v[i] for every column j ≥ fromColumn. */
function reflect(v: Float64Array, vv: number, cols: Float64Array[], fromColumn: number, offset: number): void {
  const n = v.length;
  for (let j = fromColumn; j < cols.length; j++) {
    const c = cols[j] as Float64Array;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (v[i] as number) * (c[offset + i] as number);
    const f = (2 * dot) / vv;
    if (f !== 0) for (let i = 0; i < n; i++) c[offset + i] = (c[offset + i] as number) - f * (v[i] as number);
  }
}

/**
 * A (semi-)orthogonal matrix, scaled by `gain`. The weight is viewed as a matrix of
 * rows = Π shape[:-1] (the fan-in side) and cols = shape[-1] (the outputs): for rows ≥ cols its
 * columns are orthonormal (WᵀW = gain²·I), for rows < cols its rows are (WWᵀ = gain²·I). Made as
 * PyTorch does — the QR decomposition of a standard normal matrix (Householder, float64, on the host),
 * Q's columns multiplied by the signs of diag(R) — so the result is uniformly (Haar) distributed.
 *
 * Saxe et al. 2014; PyTorch `torch.nn.init.orthogonal_(tensor, gain=1)`, Keras `Orthogonal` (the same
 * rows/cols view of tfjs layouts). The QR costs O(rows·cols·min(rows, cols)) on the host's CPU:
 * about 0.2 s for 512 × 512, 2 s for 1024 × 1024.
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `gain` or `seed`) at construction; (field `shape`) at the call for
 *   a shape of rank < 2.
 * @example
 * ```ts
 * const recurrent = tf.variable(orthogonal({ seed: 0 })([256, 256]));
 * ```
 */
export function orthogonal(options: OrthogonalOptions = {}): Initializer {
  const o = checkOptions('orthogonal', options, ['seed', 'gain'], { example: 'orthogonal({ gain: 1, seed: 0 })' });
  const gain = numberOption('gain', o.gain, 1, POSITIVE);
  return seeded('orthogonal', o.seed, (rng, shape) => {
    if (shape.length < 2) fansOrThrow(shape);
    const cols = shape[shape.length - 1] as number;
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const [p, q] = rows >= cols ? [rows, cols] : [cols, rows];
    const q0 = householderQ(rng.standardNormals(p * q), p, q);
    const out = new Float32Array(rows * cols);
    if (rows >= cols) for (let i = 0; i < out.length; i++) out[i] = gain * (q0[i] as number);
    else for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (q0[j * q + i] as number);
    return out;
  });
}

function fansOrThrow(shape: number[]): never {
  throw new HyperParameterError('shape', `orthogonal: needs a weight of rank ≥ 2 (dense [in, out], conv [h, w, in, out]), got shape [${shape.join(', ')}]`);
}
