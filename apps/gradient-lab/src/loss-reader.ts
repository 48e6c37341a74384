// The minibatch losses of a training loop, kept on the device as they are computed and read back a few
// times per run in one transfer each (a read per step would stall the backend's pipeline).
import * as tf from '@tensorflow/tfjs-core';

/** Collects each step's loss scalar and reads the pending ones back together into `curve`. */
export class LossReader {
  /** Every loss read back so far, in step order. */
  readonly curve: { step: number; loss: number }[] = [];
  private pending: { step: number; loss: tf.Scalar }[] = [];

  /** Keeps `loss` (the reader owns and disposes it) as the loss of `step`. */
  push(step: number, loss: tf.Scalar): void {
    this.pending.push({ step, loss });
  }

  /** Reads the pending losses back in one transfer, appends them to `curve` and returns them (empty when none were pending). */
  async read(): Promise<{ step: number; loss: number }[]> {
    if (this.pending.length === 0) return [];
    const taken = this.pending;
    this.pending = [];
    const stacked = tf.stack(taken.map((l) => l.loss));
    tf.dispose(taken.map((l) => l.loss));
    const values = await stacked.data();
    stacked.dispose();
    const points = taken.map(({ step }, i) => ({ step, loss: values[i] as number }));
    this.curve.push(...points);
    return points;
  }

  /** Disposes the losses not read back. */
  dispose(): void {
    tf.dispose(this.pending.map((l) => l.loss));
    this.pending = [];
  }
}
