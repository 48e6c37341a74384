import { checkOptions, describeValue, HyperParameterError, UnknownOptionError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkCount, checkFloatInput } from './base.js';

/** Checks that `x` is `[batch, time, features]` float32; returns batch and time. Errors name `module` and the expected shape. */
export function checkSequence(module: string, x: tf.Tensor, features: number): [number, number] {
  if (x.rank !== 3 || x.shape[2] !== features)
    throw new ValueError(
      'x',
      `${module}: the input must be [batch, time, embedDim = ${features}], got [${x.shape.join(', ')}]${x.rank === 2 ? ' (one sequence? add a batch axis: tf.expandDims(x, 0))' : ''}`,
    );
  checkFloatInput(module, x);
  return [x.shape[0] as number, x.shape[1] as number];
}

/** The `numHeads` option: a positive integer dividing `embedDim`. */
export function checkHeads(numHeads: unknown, embedDim: number): number {
  const h = checkCount('numHeads', numHeads, 'the number of attention heads');
  if (embedDim % h !== 0)
    throw new HyperParameterError('numHeads', `numHeads (${h}) must divide embedDim (${embedDim}): each head gets embedDim / numHeads features`);
  return h;
}

/**
 * Checks an `apply` option `keyPaddingMask` for self-attention over `x` of shape [batch, time, …]:
 * a live tf.Tensor `[batch, time]`, bool or numeric (true / non-zero = padding). Throws a ValueError
 * naming `keyPaddingMask` otherwise, before anything is computed.
 */
export function checkKeyPaddingMask(module: string, mask: unknown, batch: number, time: number): tf.Tensor {
  const expected = `[batch, time] = [${batch}, ${time}], bool or 0/1, true (1) where the key is padding`;
  if (!(mask instanceof tf.Tensor))
    throw new ValueError('keyPaddingMask', `${module}: keyPaddingMask must be a tf.Tensor ${expected}, got ${describeValue(mask)}`);
  if (mask.isDisposed) throw new ValueError('keyPaddingMask', `${module}: keyPaddingMask was disposed`);
  if (mask.dtype === 'string' || mask.dtype === 'complex64')
    throw new ValueError('keyPaddingMask', `${module}: keyPaddingMask must be bool or numeric ${expected}, got dtype ${mask.dtype}`);
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)
    throw new ValueError('keyPaddingMask', `${module}: keyPaddingMask must have shape ${expected}; got [${mask.shape.join(', ')}]`);
  return mask;
}

/** PyTorch's names for the options of its attention modules, with what to write in gradkit. */
const PYTORCH_NAMES: Readonly<Record<string, { readonly key?: string; readonly write: string }>> = {
  d_model: { key: 'embedDim', write: 'embedDim' },
  nhead: { key: 'numHeads', write: 'numHeads' },
  dim_feedforward: { key: 'ffnDim', write: 'ffnDim' },
  norm_first: { key: 'norm', write: "norm: 'pre' (norm_first=True) or norm: 'post' (norm_first=False)" },
  layer_norm_eps: { key: 'epsilon', write: 'epsilon' },
  batch_first: { write: 'nothing: gradkit sequences are always [batch, time, features] (batch_first=True)' },
  kdim: { write: 'nothing: multiHeadAttention is self-attention, keys come from the input' },
  vdim: { write: 'nothing: multiHeadAttention is self-attention, values come from the input' },
  attn_mask: { key: 'causal', write: 'causal: true for the causal mask (other attention masks are not supported)' },
  is_causal: { key: 'causal', write: 'causal' },
  key_padding_mask: { write: 'apply(x, { keyPaddingMask })' },
};

/**
 * `checkOptions` for an attention module, which first turns PyTorch's names (`d_model`, `nhead`,
 * `dim_feedforward`, `norm_first`, `batch_first` …) into an UnknownOptionError saying what to write.
 */
export function attentionOptions<O extends object>(what: string, options: O, valid: readonly string[], example: string): O {
  if (options !== null && typeof options === 'object')
    for (const key of Object.keys(options)) {
      const hint = Object.hasOwn(PYTORCH_NAMES, key) ? PYTORCH_NAMES[key] : undefined;
      if (hint && !valid.includes(key))
        throw new UnknownOptionError(
          key,
          `${what}: unknown option '${key}' (PyTorch's name; write ${hint.write}); valid options: ${valid.join(', ')}`,
          valid,
          hint.key !== undefined && valid.includes(hint.key) ? hint.key : undefined,
        );
    }
  return checkOptions(what, options, valid, { example, required: true });
}
