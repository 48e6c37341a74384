import { checkShape, fansOf } from './internal.js';
import type { Fans } from './types.js';

/**
 * The fans of a weight shape in tfjs layouts: dense `[in, out]` → fanIn = in, fanOut = out; conv
 * `[...kernel, in, out]` (`[w, in, out]`, `[h, w, in, out]`, `[d, h, w, in, out]`) → receptiveField =
 * Π kernel, fanIn = in·receptiveField, fanOut = out·receptiveField. PyTorch's
 * `_calculate_fan_in_and_fan_out` on its `[out, in, ...kernel]` layout gives the same numbers.
 *
 * @throws HyperParameterError (field `shape`) for a shape of rank < 2 (a bias has no fans, as in
 *   PyTorch) or with a dimension that is not a positive integer.
 * @example
 * ```ts
 * computeFans([3, 3, 16, 32]); // { fanIn: 144, fanOut: 288, receptiveField: 9 }
 * ```
 */
export function computeFans(shape: readonly number[]): Fans {
  return fansOf(checkShape(shape, 'computeFans'), 'computeFans');
}
