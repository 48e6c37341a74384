// Checks the Optimizer makes of what it is given: transformations that would silently do harm,
// saved counts, and data that tfjs cannot move between backends synchronously.
import * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError, StateError } from '../errors.js';
import type { GradientTransformation } from '../transform.js';

/**
 * Whether some parameter's whole treatment in `t` is a `masked(...)`: masked passes the gradients of
 * the parameters it does not select through unchanged, and the Optimizer would add them to those
 * parameters (gradient ascent). Looks through chains (where it is the only part besides observers),
 * wrappers' inner transformations and every group of a `partition`.
 */
function bareMasked(t: GradientTransformation): boolean {
  if (t.name === 'masked') return true;
  if (t.parts) {
    const acting = t.parts.filter((p) => !p.observer);
    return acting.length === 1 && bareMasked(acting[0] as GradientTransformation);
  }
  if (t.inner) return bareMasked(t.inner);
  return Object.values(t.groups?.transforms ?? {}).some(bareMasked);
}

/** Throws a HyperParameterError naming `transform` for a transformation whose `masked(...)` would ascend the gradient. */
export function refuseBareMasked(t: GradientTransformation): void {
  if (bareMasked(t))
    throw new HyperParameterError(
      'transform',
      'masked(inner, mask) alone passes the gradients of the parameters it does not select through unchanged, and the Optimizer would add them to those parameters (gradient ascent). Give every parameter a transformation with partition({ train: adam(), frozen: setToZero() }, labels), or chain masked(...) with an optimizer',
    );
}

/** Throws a StateError naming `field` unless `v` is an integer in [0, 2⁵³). */
export function checkCount(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER)
    throw new StateError(field, `'${field}' must be an integer ≥ 0 (a number of steps) in the saved state, got ${String(v)}`);
}

/** Whether a tensor lives on tfjs's webgpu backend where its data cannot be read synchronously (Node: no OffscreenCanvas). */
export function ownerIsWebGpuInNode(t: tf.Tensor): boolean {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return false;
  const engine = tf.engine() as unknown as { state: { tensorInfo: Map<object, { backend: tf.KernelBackend }> }; registry: Record<string, tf.KernelBackend> };
  const owner = engine.state.tensorInfo.get(t.dataId)?.backend;
  return owner !== undefined && owner === engine.registry.webgpu;
}

/** What to say when data on webgpu is needed on another backend in Node. */
export const awayFromWebGpu = (): string =>
  `the parameters, their state or the gradients live on webgpu but the active backend is ${tf.getBackend()}: tfjs cannot move WebGPU data synchronously here; call await opt.moveToActiveBackend() first (minimize does it itself), and compute the gradients on the active backend`;
