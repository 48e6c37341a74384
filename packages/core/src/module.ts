import type * as tf from '@tensorflow/tfjs-core';
import type { ParamTree } from './tree.js';

/** Per-call options of `Module.apply`. @example `model.apply(x, { training: false })` */
export interface ApplyOptions {
  /** Training behaviour (batch statistics, dropout) or inference; default: the module's mode (`training`). */
  readonly training?: boolean;
  /**
   * The initial hidden state of a recurrent module (`simpleRnn`, `gru`: `[batch, hidden]`; `lstm`:
   * `[h0, c0]`, each `[batch, hidden]`); default zeros. Only for a recurrent module applied directly.
   */
  readonly initialState?: tf.Tensor | readonly tf.Tensor[];
  /**
   * Which keys an attention module must ignore: `[batch, time]` bool or 0/1, true (1) where the token
   * is padding (PyTorch's `key_padding_mask`). Containers pass it on to every attention module inside.
   */
  readonly keyPaddingMask?: tf.Tensor;
}

/**
 * The shape every gradkit module shares (`@gradkit/nn` layers, the stateful normalizations), so they
 * compose whatever package they come from: `apply` maps a tensor to a tensor; `params` is a tree of
 * `tf.Variable`s for `valueAndGrad` and `Optimizer` (input-to-output order); `buffers` is the tree of
 * variables that are not trained but are state (such as `BatchNorm`'s running statistics), keyed like
 * `params`, which checkpoints save beside them. A module starts in
 * training mode (as PyTorch's); `eval()` switches to inference, `train()` back.
 *
 * @example
 * ```ts
 * const layer: Module = dense({ inFeatures: 784, outFeatures: 10 });
 * const y = layer.apply(x);                         // training mode
 * const yEval = layer.eval().apply(x);              // inference mode
 * const opt = new Optimizer(layer.params, adam());
 * ```
 */
export interface Module<P extends ParamTree = ParamTree> {
  /** A short name, used for tap names and error messages (e.g. `'dense'`). */
  readonly name: string;
  /** The trainable parameters: a tree of `tf.Variable`s (empty `{}` for parameter-free modules). */
  readonly params: P;
  /**
   * Named state that is not trained but must be saved with the parameters (`BatchNorm`'s running
   * statistics), as a tree of `tf.Variable`s keyed like `params` (a container gathers its children's
   * under their keys); absent or `{}` for modules without buffers. Checkpoints save and restore it.
   */
  readonly buffers?: ParamTree;
  /** Whether `apply` defaults to training behaviour. */
  readonly training: boolean;
  /** The forward pass. It never disposes `x`; intermediate tensors are the caller's to `tf.tidy`. */
  apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor;
  /** Switches to training mode (this module and its children); returns the module. */
  train(): this;
  /** Switches to inference mode (this module and its children); returns the module. */
  eval(): this;
  /** Releases the module's variables and buffers. */
  dispose(): void;
}
