// Registers every clipping transformation for configs (`transformationFromConfig`,
// `optimizerFromConfig`): `{ name: 'clipByGlobalNorm', maxNorm: 1 }`, `{ name: 'applyIfFinite', inner: {...} }`.
// Each config holds exactly its transformation's `options`, so `transformationToConfig` round-trips.
import { checkOptions, type GradientTransformation, type HyperParam, registerTransformation } from '@gradkit/core';
import { type AdaptiveGradClipOptions, adaptiveGradClip } from './adaptive-grad-clip.js';
import { applyIfFinite } from './apply-if-finite.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { clipByNorm } from './clip-by-norm.js';
import { clipByValue } from './clip-by-value.js';
import { type SkipLargeUpdatesOptions, skipLargeUpdates } from './skip-large-updates.js';
import { type ZclipOptions, zclip } from './zclip.js';
import { zeroNans } from './zero-nans.js';

const BUILTIN = { builtinOf: '@gradkit/clipping' } as const;

/** A transformation called with one threshold, `make(value)`: its config is `{ name, [key]: value }` and nothing else. */
function registerPositional(name: string, key: string, make: (value: HyperParam) => GradientTransformation): void {
  registerTransformation(
    name,
    (o) => {
      checkOptions(`${name} config`, o, [key], { example: `{ name: '${name}', ${key}: 1 }`, required: true });
      return make(o[key] as HyperParam);
    },
    BUILTIN,
  );
}

registerPositional('clipByValue', 'maxAbs', clipByValue);
registerPositional('clipByNorm', 'maxNorm', clipByNorm);
registerPositional('clipByGlobalNorm', 'maxNorm', clipByGlobalNorm);
registerTransformation('adaptiveGradClip', (o) => adaptiveGradClip(o as unknown as AdaptiveGradClipOptions), BUILTIN);
registerTransformation('zeroNans', (o) => zeroNans(o as Record<string, never>), BUILTIN);
registerTransformation(
  'applyIfFinite',
  (o) => {
    const { inner, ...options } = checkOptions('applyIfFinite config', o, ['inner', 'maxConsecutiveErrors'], {
      example: "{ name: 'applyIfFinite', inner: { name: 'adam' }, maxConsecutiveErrors: 5 }",
      required: true,
    });
    return applyIfFinite(inner as GradientTransformation, options);
  },
  BUILTIN,
);
registerTransformation('zclip', (o) => zclip(o as ZclipOptions), BUILTIN);
registerTransformation(
  'skipLargeUpdates',
  (o) => {
    const { inner, ...options } = checkOptions('skipLargeUpdates config', o, ['inner', 'maxSquaredNorm'], {
      example: "{ name: 'skipLargeUpdates', inner: { name: 'adam' }, maxSquaredNorm: 100 }",
      required: true,
    });
    return skipLargeUpdates(inner as GradientTransformation, options as unknown as SkipLargeUpdatesOptions);
  },
  BUILTIN,
);
