// STUB (issue 17, owner: helper "diagnose"): the loss of a tfjs-layers model, compiled, given or inferred.
import type { DoctorSettings, LayersModelLike } from './doctor-types.js';

/**
 * The loss the doctor trains `model` with: `option` when given, else the model's compiled loss, else
 * inferred from the output layer's activation (softmax → `categoricalCrossentropy`, sigmoid →
 * `binaryCrossentropy`, anything else → `meanSquaredError`), with why.
 *
 * @example
 * ```ts
 * resolveLoss(model); // { value: 'categoricalCrossentropy', source: 'inferred', why: 'the output layer dense_3 has a softmax activation' }
 * ```
 */
export function resolveLoss(model: LayersModelLike, option?: string): DoctorSettings['loss'] {
  void model;
  void option;
  throw new Error('resolveLoss: not implemented yet');
}
