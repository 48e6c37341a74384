/**
 * State of the clipping transformations: the step count, at which a scheduled threshold is
 * evaluated. They keep nothing else.
 *
 * @example `{ count: 3 }`
 */
export type ClipState = {
  /** Steps taken (a scheduled threshold is evaluated at this step). */
  readonly count: number;
};
