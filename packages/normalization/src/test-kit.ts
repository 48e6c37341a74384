// Test-only helpers (not exported from index.ts): deterministic data and float64 references of the
// normalizations, transcribed from PyTorch's definitions, on flat row-major (channels-last) arrays.

/** Deterministic pseudo-random numbers in [lo, hi) (a fixed LCG, so every backend sees the same data). */
export function seeded(n: number, seed: number, lo = -2, hi = 2): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * How a normalization groups the elements of x (flat, row-major) and which affine parameter each
 * element uses: `group(i)` is the statistics group, `param(i)` the index into gamma/beta.
 */
export interface Layout {
  readonly groups: number;
  readonly params: number;
  group(i: number): number;
  param(i: number): number;
}

/** Batch norm, channels last: statistics per channel over all other axes (torch.nn.functional.batch_norm, training=True). */
export const batchLayout = (shape: readonly number[]): Layout => {
  const c = shape[shape.length - 1] as number;
  return { groups: c, params: c, group: (i) => i % c, param: (i) => i % c };
};

/** Layer norm / RMS norm over the last k axes (torch.nn.functional.layer_norm / rms_norm with normalized_shape = shape[-k:]). */
export const trailingLayout = (shape: readonly number[], k = 1): Layout => {
  const d = size(shape.slice(shape.length - k));
  return { groups: size(shape) / d, params: d, group: (i) => Math.floor(i / d), param: (i) => i % d };
};

/** Group norm, channels last [N, …, C]: statistics per (sample, group of C/G consecutive channels) (torch.nn.functional.group_norm). */
export const groupLayout = (shape: readonly number[], groups: number): Layout => {
  const c = shape[shape.length - 1] as number;
  const perSample = size(shape.slice(1));
  return {
    groups: (shape[0] as number) * groups,
    params: c,
    group: (i) => Math.floor(i / perSample) * groups + Math.floor((i % c) / (c / groups)),
    param: (i) => i % c,
  };
};

export interface RefForward {
  readonly y: number[];
  /** x̂ (standardized or RMS-scaled input). */
  readonly xhat: number[];
  /** 1/σ (or 1/rms) per group. */
  readonly rstd: number[];
  /** Mean per group (0 for RMS). */
  readonly mean: number[];
  /** Biased variance per group (the mean square for RMS). */
  readonly variance: number[];
  /** Number of elements per group. */
  readonly count: number[];
}

/**
 * float64 forward: y = (x − E[x]) / sqrt(Var[x] + eps) * weight + bias, the biased variance (PyTorch's
 * batch_norm / layer_norm / group_norm); with `rms`, y = x / sqrt(mean(x²) + eps) * weight
 * (torch.nn.RMSNorm: `x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps) * weight`).
 */
export function refForward(
  x: readonly number[],
  layout: Layout,
  gamma: readonly number[] | null,
  beta: readonly number[] | null,
  eps: number,
  rms = false,
): RefForward {
  const sum = new Array(layout.groups).fill(0);
  const count = new Array(layout.groups).fill(0);
  x.forEach((v, i) => {
    sum[layout.group(i)] += rms ? 0 : v;
    count[layout.group(i)] = (count[layout.group(i)] as number) + 1;
  });
  const mean = sum.map((s, g) => s / (count[g] as number));
  const sq = new Array(layout.groups).fill(0);
  x.forEach((v, i) => {
    const g = layout.group(i);
    sq[g] += (v - (mean[g] as number)) ** 2;
  });
  const variance = sq.map((s, g) => s / (count[g] as number));
  const rstd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = x.map((v, i) => (v - (mean[layout.group(i)] as number)) * (rstd[layout.group(i)] as number));
  const y = xhat.map((h, i) => h * (gamma ? (gamma[layout.param(i)] as number) : 1) + (beta ? (beta[layout.param(i)] as number) : 0));
  return { y, xhat, rstd, mean, variance, count };
}

/**
 * float64 backward of L = Σ dy·y, derived by hand: with dx̂ = dy·γ,
 * dx = (1/σ)·(dx̂ − mean_g(dx̂) − x̂·mean_g(dx̂·x̂)) (for RMS: dx = (1/rms)·(dx̂ − x̂·mean_g(dx̂·x̂))),
 * dγ = Σ dy·x̂ and dβ = Σ dy over the elements that share the parameter. For batch norm this is
 * dx = (1/N)·γ/σ·(N·dy − Σdy − x̂·Σ(dy·x̂)).
 */
export function refBackward(fwd: RefForward, dy: readonly number[], layout: Layout, gamma: readonly number[] | null, rms = false) {
  const dxhat = dy.map((d, i) => d * (gamma ? (gamma[layout.param(i)] as number) : 1));
  const sumD = new Array(layout.groups).fill(0);
  const sumDX = new Array(layout.groups).fill(0);
  dxhat.forEach((d, i) => {
    const g = layout.group(i);
    sumD[g] += d;
    sumDX[g] += d * (fwd.xhat[i] as number);
  });
  const dx = dxhat.map((d, i) => {
    const g = layout.group(i);
    const n = fwd.count[g] as number;
    return (fwd.rstd[g] as number) * (d - (rms ? 0 : sumD[g] / n) - (fwd.xhat[i] as number) * (sumDX[g] / n));
  });
  const dgamma = new Array(layout.params).fill(0);
  const dbeta = new Array(layout.params).fill(0);
  dy.forEach((d, i) => {
    dgamma[layout.param(i)] += d * (fwd.xhat[i] as number);
    dbeta[layout.param(i)] += d;
  });
  return { dx, dgamma, dbeta };
}

/** Central finite differences of a float64 function at `x` (step h): the gradient, element by element. */
export function finiteDifferences(f: (x: number[]) => number, x: readonly number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i] = (plus[i] as number) + h;
    minus[i] = (minus[i] as number) - h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

export const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * (b[i] as number), 0);
