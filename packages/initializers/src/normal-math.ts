// Standard normal CDF and quantile in float64, for truncated normal sampling (not part of the
// public surface).

/**
 * erfc(x) for x ≥ 0 in float64: 1 − erf from the Maclaurin series below 2.5 (cancellation costs
 * under 1e-14 there), and the continued fraction e^{−x²}/(√π(x + ½/(x + 1/(x + 3/2/(x + …))))),
 * 100 terms evaluated backwards, from 2.5 on (full relative precision in the tail).
 */
export function erfcNonNegative(x: number): number {
  if (x < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 * sum) / Math.sqrt(Math.PI);
  }
  let t = x;
  for (let n = 100; n >= 1; n--) t = x + n / 2 / t;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * t);
}

/** Φ(x), the standard normal CDF, with full relative precision for x ≤ 0 (Φ(x) = ½erfc(−x/√2)). */
export function normalCdf(x: number): number {
  const half = 0.5 * erfcNonNegative(Math.abs(x) * Math.SQRT1_2);
  return x <= 0 ? half : 1 - half;
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

const poly = (c: readonly number[], x: number) => c.reduce((acc, v) => acc * x + v, 0);

/**
 * Φ⁻¹(p) for p ∈ (0, 1): Acklam's rational approximation (relative error below 1.2e-9), refined by
 * one Halley step on Φ, which brings it to float64 precision.
 */
export function normalQuantile(p: number): number {
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(C, q) / (poly(D, q) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(A, r) * q) / (poly(B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -poly(C, q) / (poly(D, q) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}
