import type { GradientTransformation } from '@gradkit/core';
import { type AdamOptions, type AdamState, adamTransformation, type ResolvedAdamOptions } from './adam.js';

/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, PyTorch's `torch.optim.AdamW`
 * step for step. Options and state are `adam`'s; `weightDecay` defaults to 1e-2 and shrinks the
 * parameters directly instead of entering the gradient.
 *
 * θ ← θ(1 − ηλ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 * (so update = −ηλθ − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)); AMSGrad as in `adam`.
 *
 * The returned transformation is named `'adamw'`. optax's equivalent is
 * `chain(scaleByAdam(), addDecayedWeights(λ), scaleByLearningRate(η))`.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), a negative weight decay, or an `amsgrad` that is not a boolean.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adamw({ learningRate: 1e-3, weightDecay: 0.05 }));
 * ```
 */
export function adamw(options?: AdamOptions): GradientTransformation<AdamState, ResolvedAdamOptions> {
  return adamTransformation('adamw', options, 1e-2, true);
}
