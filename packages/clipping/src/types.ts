/**
 * State of `clipByValue`: the step count, at which a scheduled threshold is evaluated. It keeps
 * nothing else. The other clipping transformations add what their last step measured:
 * `ClipByGlobalNormState`, `ClipByNormState`, `AdaptiveGradClipState`.
 *
 * @example `{ count: 3 }`
 */
export type ClipState = {
  /** Steps taken (a scheduled threshold is evaluated at this step). */
  readonly count: number;
};
