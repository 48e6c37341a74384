// Running a fused plan's kernels: copy-on-write of every buffer they write, the backend told what
// changed, and all-or-nothing steps whatever the kernels do.
import * as tf from '@tensorflow/tfjs-core';
import { runFusedKernel } from './fused.js';
import type { FusedPlan } from './fused-plan.js';
import { afterInPlaceWrite } from './in-place.js';

/**
 * Whether the runner must copy what `plan` writes before running it: a kernel that is not atomic may
 * throw after writing, and so may a step of several kernels unless each can be validated first.
 */
function needsBackup(plan: FusedPlan): boolean {
  if (plan.calls.some((c) => !c.kernel.atomic)) return true;
  return plan.calls.length > 1 && plan.calls.some((c) => !c.kernel.validate);
}

/**
 * Runs a fused plan's kernels after copy-on-write of every buffer they write. A step of several
 * kernels validates every call first; where a kernel could still throw after another one (or itself)
 * wrote, the buffers are copied first and restored on failure, so the step is all-or-nothing.
 */
export function runPlan(plan: FusedPlan): void {
  // The calls of one plan write disjoint tensors (a partition's groups have their own parameters and state).
  const written = plan.calls.length === 1 ? (plan.calls[0]?.written ?? []) : plan.calls.flatMap((c) => c.written);
  if (plan.calls.length > 1) for (const c of plan.calls) c.kernel.validate?.({ backend: tf.backend(), ...c.args });
  // A clone shares the buffer, so makeExclusive gives the variable a copy and the clone keeps the old values.
  const backups = needsBackup(plan) ? written.map((v) => tf.clone(v)) : [];
  for (const v of written) makeExclusive(v);
  try {
    for (const call of plan.calls) {
      runFusedKernel(call.kernel, call.args);
      afterInPlaceWrite(tf.getBackend(), tf.backend(), call.written);
    }
  } catch (e) {
    for (const [i, b] of backups.entries()) (written[i] as tf.Variable).assign(b);
    throw e;
  } finally {
    tf.dispose(backups);
  }
}

/**
 * Copy-on-write: gives `v` a buffer of its own when it shares one with another tensor (a variable
 * made from a tensor that is still alive shares that tensor's buffer), so that in-place kernels never
 * change other tensors.
 */
function makeExclusive(v: tf.Variable): void {
  const backend = tf.backend() as unknown as { refCount?(dataId: object): number };
  if ((backend.refCount?.(v.dataId) ?? 1) <= 1) return;
  const copy = tf.tidy(() => tf.mul(v, tf.scalar(1, v.dtype)));
  v.assign(copy);
  copy.dispose();
}
