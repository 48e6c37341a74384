import './register.js';

export {
  type AdaptiveGradClipOptions,
  type AdaptiveGradClipState,
  adaptiveGradClip,
  type ResolvedAdaptiveGradClipOptions,
} from './adaptive-grad-clip.js';
export { type ApplyIfFiniteOptions, type ApplyIfFiniteState, applyIfFinite, type ResolvedApplyIfFiniteOptions } from './apply-if-finite.js';
export { type ClipByGlobalNormOptions, type ClipByGlobalNormState, clipByGlobalNorm } from './clip-by-global-norm.js';
export { type ClipByNormOptions, type ClipByNormState, clipByNorm } from './clip-by-norm.js';
export { type ClipByValueOptions, clipByValue } from './clip-by-value.js';
export { type ClipGradNormOptions, type ClippedGradients, clipGradNorm, NonFiniteGradientError, type TensorTreeOf } from './clip-grad-norm.js';
export { globalNorm, type NormOrder } from './global-norm.js';
export {
  type ResolvedSkipLargeUpdatesOptions,
  type SkipLargeUpdatesOptions,
  type SkipLargeUpdatesState,
  skipLargeUpdates,
} from './skip-large-updates.js';
export type { ClipState } from './types.js';
export { type ResolvedZclipOptions, type ZclipOptions, type ZclipState, zclip } from './zclip.js';
export { type ZeroNansState, zeroNans } from './zero-nans.js';
