import * as tf from '@tensorflow/tfjs-core';

/**
 * What a masked score becomes: s + MASKED. exp(s + MASKED − max) is 0 in float32, as with PyTorch's
 * −∞, but the value stays finite on every backend (WGSL does not promise to honour infinities) and a
 * fully masked row gives no NaN.
 */
export const MASKED = -1e30;

/**
 * `[t, t]` with MASKED above the diagonal: query i sees keys 0 … i (PyTorch's causal `attn_mask`).
 * Built on the device from two `[t]` ranges (key index > query index), so no t² host array is
 * uploaded on every forward pass.
 */
export function causalMask(time: number): tf.Tensor2D {
  return tf.tidy(() => {
    const keys = tf.reshape(tf.range(0, time, 1, 'int32'), [1, time]);
    const queries = tf.reshape(tf.range(0, time, 1, 'int32'), [time, 1]);
    return tf.mul(tf.cast(tf.greater(keys, queries), 'float32'), MASKED) as tf.Tensor2D;
  });
}

/**
 * The additive mask for scores `[batch, heads, tq, tk]` (broadcastable; null when nothing is masked),
 * and, with a padding mask, which query rows see at least one key (`live`, 1 or 0, broadcastable to
 * the scores; null when every row does, as with the causal mask alone, whose diagonal is never masked).
 */
export function attentionMask(keyPadding: tf.Tensor | undefined, causal: boolean, time: number): { additive: tf.Tensor | null; live: tf.Tensor | null } {
  const triangle = causal ? causalMask(time) : null;
  if (keyPadding === undefined) return { additive: triangle, live: null };
  const isPad = keyPadding.dtype === 'bool' ? keyPadding : tf.notEqual(keyPadding, 0);
  const padding = tf.reshape(tf.mul(tf.cast(isPad, 'float32'), MASKED), [keyPadding.shape[0] as number, 1, 1, time]);
  const additive = triangle ? tf.add(padding, triangle) : padding;
  // A row is live when its largest mask entry is 0 (some key is visible); otherwise it is MASKED or less.
  const live = tf.cast(tf.greater(tf.max(additive, -1, true), MASKED / 2), 'float32');
  return { additive, live };
}
