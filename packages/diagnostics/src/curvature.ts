// STUB (issue 17, owner: helper "curvature").
import type * as tf from '@tensorflow/tfjs-core';

/** Options of `hessianTopEigenvalue`. @example `{ iterations: 20, tolerance: 1e-3, seed: 0 }` */
export interface HessianEigenOptions {
  readonly iterations?: number;
  readonly tolerance?: number;
  readonly seed?: number;
  /** Finite-difference step, relative to ‖θ‖ (default chosen for float32). */
  readonly epsilon?: number;
}

/** What `hessianTopEigenvalue` found. @example `r.lambdaMax` */
export interface HessianEigenResult {
  readonly lambdaMax: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * The top Hessian eigenvalue of `loss` at the current values of `variables`: power iteration on
 * Hessian-vector products by central finite differences of gradients.
 *
 * @example
 * ```ts
 * const { lambdaMax } = await hessianTopEigenvalue(() => loss(), [w]);
 * ```
 */
export async function hessianTopEigenvalue(loss: () => tf.Scalar, variables: readonly tf.Variable[], options: HessianEigenOptions = {}): Promise<HessianEigenResult> {
  void loss;
  void variables;
  void options;
  throw new Error('hessianTopEigenvalue: not implemented yet');
}
