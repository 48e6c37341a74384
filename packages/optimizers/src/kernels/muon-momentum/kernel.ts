// Muon's element-wise momentum as one tfjs kernel, `GradkitMuonMomentum`: inputs `g` and `buf`,
// attributes `momentum` and `nesterov`, two new float32 outputs (the new buffer, the update). Each
// backend's implementation computes muon-momentum.ts's ops, rounded to float32 after every op.

/** The kernel's name in tfjs's registry. */
export const MUON_MOMENTUM_KERNEL = 'GradkitMuonMomentum';

/** The kernel's attributes. */
export interface MuonMomentumAttrs {
  /** μ. */
  readonly momentum: number;
  /** Whether the update is `lerp(g, buf', μ)` (else the new buffer itself). */
  readonly nesterov: boolean;
}

const f = Math.fround;

/**
 * The kernel in JavaScript, every op rounded to float32 as the tf ops round:
 * `b' = b + (g − b)·(1 − μ)`; `u = nesterov ? g + (b' − g)·μ : b'`. The cpu backend's implementation,
 * and the wasm one's where its module cannot run.
 *
 * @example
 * ```ts
 * muonMomentumF32(g, buf, outBuf, outUpdate, { momentum: 0.95, nesterov: true });
 * ```
 */
export function muonMomentumF32(g: Float32Array, b: Float32Array, outB: Float32Array, outU: Float32Array, a: MuonMomentumAttrs): void {
  const keep = f(1 - a.momentum);
  const mom = f(a.momentum);
  for (let j = 0; j < g.length; j++) {
    const gj = g[j] as number;
    const bj = b[j] as number;
    const next = f(bj + f(f(gj - bj) * keep));
    outB[j] = next;
    outU[j] = a.nesterov ? f(gj + f(f(next - gj) * mom)) : next;
  }
}
