import * as tf from '@tensorflow/tfjs-core';
import { MUON_MOMENTUM_KERNEL, type MuonMomentumAttrs } from './kernels/muon-momentum/kernel.js';

/** The momentum as tf ops: the reference, and what runs where no `GradkitMuonMomentum` kernel is registered. */
export function muonMomentumOps(g: tf.Tensor, buf: tf.Tensor, momentum: number, nesterov: boolean): { buf: tf.Tensor; update: tf.Tensor } {
  return tf.tidy(() => {
    const next = tf.add(buf, tf.mul(tf.sub(g, buf), 1 - momentum));
    const update = nesterov ? tf.add(g, tf.mul(tf.sub(next, g), momentum)) : tf.clone(next);
    return { buf: next, update };
  });
}

/**
 * Muon's momentum, per element (torch.optim.Muon, `_single_tensor_muon`):
 * `buf ← lerp(buf, g, 1 − μ)` = buf + (1 − μ)(g − buf); the update to orthogonalize is
 * `nesterov ? lerp(g, buf, μ) : buf`. Returns new tensors (the caller owns them).
 *
 * float32 ops, in order: `buf' = buf + (g − buf)·(1 − μ)`; `update = g + (buf' − g)·μ` (nesterov) or a
 * copy of `buf'`. Where the active backend has the `GradkitMuonMomentum` kernel (cpu, wasm, webgpu:
 * registered by @gradkit/optimizers), one kernel computes both outputs in one pass instead of four to
 * six tf ops; the numbers are the same (bit for bit on cpu and wasm).
 *
 * @example
 * ```ts
 * const { buf, update } = muonMomentum(g, state.mu[path], 0.95, true);
 * ```
 */
export function muonMomentum(g: tf.Tensor, buf: tf.Tensor, momentum: number, nesterov: boolean): { buf: tf.Tensor; update: tf.Tensor } {
  const kernel =
    g.dtype === 'float32' && buf.dtype === 'float32' && tf.util.arraysEqual(g.shape, buf.shape) && tf.getKernel(MUON_MOMENTUM_KERNEL, tf.getBackend());
  if (!kernel) return muonMomentumOps(g, buf, momentum, nesterov);
  const attrs: MuonMomentumAttrs = { momentum, nesterov };
  const [next, update] = tf.engine().runKernel(MUON_MOMENTUM_KERNEL, { g, buf }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { buf: next as tf.Tensor, update: update as tf.Tensor };
}
