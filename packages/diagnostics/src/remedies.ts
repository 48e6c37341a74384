// What the findings suggest. Every remedy offered is one that apps/gradient-lab confirms on real
// MNIST digits (depth 10 × 64, 500 steps of 128, seed 1, wasm): the comment beside each names the
// experiments (`gradient-lab compare --only <id>`, see apps/gradient-lab/README.md) where the
// problem appears and where the remedy fixes it. Remedies the lab refutes are not offered:
// - an adaptive optimizer for vanishing gradients: `adam` and `rmsprop` stay vanishing (11.3%);
//   `adam` even loses the smallUpdates finding (it divides by √v̂ + ε) and still learns nothing;
// - a larger or scheduled learning rate for small steps of a vanishing net: `schedule` (one-cycle
//   peaking at 10×) stays vanishing, with smallUpdates in every report (11.3%);
// - a lower learning rate or a warm-up for exploding gradients: `exploding-lr` (lr ÷10) stays
//   exploding, stuck at chance (NaN weights from step 3; loss 2.3 from step 10 on; 11.3%), and
//   `exploding-warmup` turns NaN after 10 steps (10.0%); it is offered only where the rate drove the
//   weights to extremes (a saturated output with exactly zero gradients, `blownUp`: `large-lr`);
// - clipping or a warm-up for large updates: `large-lr-clip` learns nothing (9.9%, dead units) and
//   `large-lr-warmup` turns NaN after 20 steps (10.0%);
// - Glorot initialization for sigmoid layers: `glorot` stays vanishing (it is for tanh: `tanh-glorot`);
// - LayerNorm alone for vanishing gradients: `layernorm` stays vanishing (with residual blocks it trains: `residual`).
// A remedy the report can see in place (a normalization or residual tap, the chain's clipping or
// finite guard; for a tfjs-layers model, its layers, initializers and optimizer) is not offered
// again. Each remedy is phrased in the API of the run: gradkit's here, tfjs-layers' in
// remedies-layers.ts (the same remedies, confirmed by the same experiments).
import { assertTransformation, type GradientTransformation } from '@gradkit/core';
import { layersPhrases } from './remedies-layers.js';
import { sequenceVanishingRemedies } from './remedies-sequence.js';
import type { ActivationKind, ActivationReport, GradientReport, LayerReport } from './report.js';

/** The text of each remedy, in the API of the run (gradkit's or tfjs-layers'). */
export interface Phrases {
  // `exploding-clip` trains (87.5%) where `exploding` (ReLU + He×2) diverges to NaN within 10 steps.
  readonly clip: string;
  // `exploding-batchnorm` (91.9%) and `exploding-layernorm` (91.5%) train where `exploding` diverges.
  readonly normAny: string;
  // Vanishing: `batchnorm` (92.0%) and `batchnorm-same-lr` (91.4%) train where `baseline` stays vanishing; LayerNorm alone does not (`layernorm`).
  // Dead units: `relu-batchnorm` (93.4%) has none where `relu` has dead units in 23 of 24 reports.
  // Saturation: `tanh-saturated-batchnorm` (91.6%) has none where `tanh-saturated` saturates in 19 of 24 reports.
  readonly batchNorm: string;
  // `residual` (91.1%) trains where `baseline` stays vanishing.
  readonly residual: string;
  // `relu-he` (91.7%, no finding) trains where `baseline` (sigmoid) and `relu` (relu with the naive init) stay vanishing,
  // and where `tanh-saturated` saturates.
  readonly heRelu: string;
  // `relu` (naive U(±1/√n) init) stays vanishing, with dead units in 23 of 24 reports; `relu-he` trains and has none; `exploding` (He×2) diverges.
  readonly heForRelu: string;
  // `exploding` (He×2) diverges where `relu-he` (He×1) trains; `tanh-glorot` trains with Glorot's variance-preserving init.
  readonly initScale: string;
  // `tanh-glorot` (92.5%, no finding) trains where `baseline` and `glorot` (sigmoid with Glorot init) stay vanishing.
  readonly tanhGlorot: string;
  // `tanh-glorot` (92.5%, no finding) trains where `tanh-small` (tanh, N(0, 0.01²)) stays vanishing (11.3%) and where
  // `tanh-saturated` (tanh, He×2) saturates in 19 of 24 reports (83.9%).
  readonly glorotForTanh: string;
  // `corrupt-guard` trains (91.0%) where `corrupt` (a NaN pixel in every 40th batch) has NaN parameters from step 40 on.
  readonly guard: string;
  // `large-lr` (ReLU + He at lr ×100) has largeUpdates at steps 0–2 (‖u‖/‖θ‖ up to 1.0) and is NaN by step 10 (10.0%);
  // `relu-he`, the same at lr 0.05, has ratios of about 1e-3 to 2e-2 and trains (91.7%).
  readonly lowerLr: string;
  // `tiny-lr` (ReLU + He at lr ÷10⁶) has smallUpdates in every report (ratios at most 4.1e-8) and stays below chance (7.6%);
  // `relu-he`, the same at lr 0.05, trains (91.7%).
  readonly raiseLr: string;
}

/** The remedies in gradkit's API (the comments on `Phrases` name the experiments that confirm each). */
const GRADKIT_PHRASES: Phrases = {
  clip: 'clip the gradients: chain(clipByGlobalNorm(1), yourOptimizer) (@gradkit/clipping) bounds every step',
  normAny: 'add BatchNorm or LayerNorm between each dense layer and its activation (@gradkit/normalization)',
  batchNorm: 'add BatchNorm between each dense layer and its activation (@gradkit/normalization)',
  residual:
    'residual blocks with LayerNorm, x + act(dense(layerNorm(x))) (residual from @gradkit/nn, LayerNorm from @gradkit/normalization): the gradient gets a short path to the input',
  heRelu: 'relu activations with heNormal initialization (@gradkit/activations, @gradkit/initializers)',
  heForRelu:
    'heNormal initialization at scale 1 for the relu layers (@gradkit/initializers): Var(w) = 2/fanIn keeps the signal at the same scale from layer to layer (U(±1/√n) shrinks it ×0.41 per layer, He×2 doubles it)',
  initScale:
    'a variance-preserving initialization at scale 1: heNormal for relu layers, glorotUniform for tanh (@gradkit/initializers); larger weights multiply the signal at every layer',
  tanhGlorot: 'tanh instead of sigmoid, with glorotUniform initialization (@gradkit/activations, @gradkit/initializers): Glorot with sigmoid stays vanishing',
  glorotForTanh: 'glorotUniform initialization for the tanh layers (@gradkit/initializers)',
  guard:
    'guard the step: applyIfFinite(yourOptimizer) (@gradkit/clipping) skips a step whose gradients hold NaN or ±Infinity (parameters and state unchanged; after 5 such steps in a row it applies the update anyway: maxConsecutiveErrors)',
  lowerLr: 'a lower learning rate: ‖u‖/‖θ‖ is proportional to it, and about 1e-3 is typical',
  raiseLr: 'a higher learning rate: ‖u‖/‖θ‖ is proportional to it, and about 1e-3 is typical',
};

/**
 * What the diagnostics know of the run beyond the gradients and taps: whose API to speak and what
 * the model already has in place. `gradientCallback` derives it from a tfjs-layers model; for gradkit
 * runs the taps, parameters and chain say it (see `remediesFor`).
 */
export interface RunFacts {
  /** The API the remedies are phrased in: gradkit's (default) or tfjs-layers' (`kernelInitializer: 'heNormal'` …). */
  readonly dialect?: 'gradkit' | 'layers';
  /** The model has BatchNormalization layers. */
  readonly batchNorm?: boolean;
  /** The model has LayerNormalization (or BatchNormalization) layers. */
  readonly normalization?: boolean;
  /** The model has residual connections (an Add layer). */
  readonly residual?: boolean;
  /** Every relu layer's kernel is initialized with a He initializer (Var(w) = 2/fanIn). */
  readonly heForRelu?: boolean;
  /** Every tanh layer's kernel is initialized with a Glorot initializer. */
  readonly glorotForTanh?: boolean;
  /** The names of what the optimizer does in gradkit's spelling (`adam` for tf.train.adam; a gradkit adapter's chain names), besides the chain's. */
  readonly inChain?: readonly string[];
  /** The tfjs optimizer's gradkit spelling, for the clipping remedy (e.g. `adam()`). */
  readonly optimizerCall?: string;
  /** The activation kinds of the model's hidden layers (from their configs), besides those the taps show. */
  readonly kinds?: readonly ActivationKind[];
  /** Tap names that are the network's outputs (probabilities): their saturation is the loss's business, not a vanishing gradient. */
  readonly outputs?: readonly string[];
}

/** The names of every transformation in `transform`: a chain's parts, wrappers' inner ones and `partition`'s groups, recursively. */
export function chainNames(transform: GradientTransformation): string[] {
  assertTransformation('transform', transform);
  const names: string[] = [];
  const visit = (t: GradientTransformation) => {
    names.push(t.name);
    for (const p of t.parts ?? []) visit(p);
    if (t.inner) visit(t.inner);
    for (const g of Object.values(t.groups?.transforms ?? {})) visit(g);
  };
  visit(transform);
  return names;
}

const CLIPPING = ['clipByGlobalNorm', 'clipByNorm', 'adaptiveGradClip', 'clipByValue'];
const GUARDS = ['applyIfFinite', 'zeroNans'];
const lastKey = (name: string) => name.slice(name.lastIndexOf('.') + 1);

/** What the report can see of the network and the training step: which remedies are in place, which nonlinearities it has. */
interface Context {
  readonly clipping: boolean;
  readonly guard: boolean;
  readonly batchNorm: boolean;
  readonly normalization: boolean;
  readonly residual: boolean;
  readonly heForRelu: boolean;
  readonly glorotForTanh: boolean;
  readonly sigmoid: boolean;
  readonly tanh: boolean;
  readonly relu: boolean;
}

function contextOf(layers: readonly LayerReport[], activations: readonly ActivationReport[], chainNames: readonly string[], facts: RunFacts): Context {
  const inChain = [...chainNames, ...(facts.inChain ?? [])];
  const outputs = facts.outputs ?? [];
  const hidden = activations.filter((a) => !outputs.includes(a.name));
  const tapKeys = hidden.flatMap((a) => a.name.split('.'));
  const uses = (kind: ActivationKind) => hidden.some((a) => a.kind === kind) || (facts.kinds ?? []).includes(kind);
  const batchNorm = facts.batchNorm === true || tapKeys.some((k) => /^batch_?norm$/i.test(k));
  return {
    clipping: inChain.some((n) => CLIPPING.includes(n)),
    guard: inChain.some((n) => GUARDS.includes(n)),
    // A normalization module taps as `…batchNorm` / `…layerNorm` and keys its scale and shift `gamma` and `beta`.
    batchNorm,
    normalization: batchNorm || facts.normalization === true || tapKeys.some((k) => /norm$/i.test(k)) || layers.some((l) => lastKey(l.name) === 'gamma'),
    residual: facts.residual === true || tapKeys.includes('residual'),
    heForRelu: facts.heForRelu === true,
    glorotForTanh: facts.glorotForTanh === true,
    sigmoid: uses('sigmoid'),
    tanh: uses('tanh'),
    relu: uses('relu'),
  };
}

/** The remedies of each finding kind, given what the report can see (`inChain`: the names of the chain's transformations). */
export interface Remedies {
  readonly nonfinite: readonly string[];
  readonly exploding: readonly string[];
  readonly vanishing: readonly string[];
  readonly deadUnits: readonly string[];
  readonly saturation: readonly string[];
  readonly largeUpdates: readonly string[];
  /** Small updates while the gradients flow (in a vanishing report, the vanishing remedies are offered instead). */
  readonly smallUpdates: readonly string[];
  /**
   * Weights driven to extremes (a saturated output whose clipped loss has an exactly zero gradient):
   * a lower learning rate first (gradient-lab's `large-lr` against `relu-he`), then a
   * variance-preserving initialization (`exploding` against `relu-he`).
   */
  readonly blownUp: readonly string[];
  /** The phrasebook the remedies come from (the run's API). */
  readonly phrases: Phrases;
}

/** Every finding's remedies for a report with these layers and taps, trained through a chain with these names (and, for a tfjs-layers model, `facts`). */
export function remediesFor(
  layers: readonly LayerReport[],
  activations: readonly ActivationReport[],
  inChain: readonly string[],
  facts: RunFacts = {},
): Remedies {
  const c = contextOf(layers, activations, inChain, facts);
  const p = facts.dialect === 'layers' ? layersPhrases(facts.optimizerCall) : GRADKIT_PHRASES;
  const unless = (inPlace: boolean, remedy: string) => (inPlace ? [] : [remedy]);
  const clip = unless(c.clipping, p.clip);
  const normAny = unless(c.normalization, p.normAny);
  const heForRelu = unless(c.heForRelu, p.heForRelu);
  const glorotForTanh = unless(c.glorotForTanh, p.glorotForTanh);
  // Vanishing gradients: replace squashing units, or fix relu's initialization; normalize; add shortcuts.
  const activation = c.sigmoid || !c.relu ? [p.heRelu, ...(c.sigmoid ? [p.tanhGlorot] : c.tanh ? glorotForTanh : [])] : heForRelu;
  // BatchNorm, specifically: LayerNorm alone does not fix vanishing gradients (`layernorm`).
  const batchNorm = unless(c.batchNorm, p.batchNorm);
  // A transformer or a recurrent net has its own remedies, which its lab task confirms (remedies-sequence.ts):
  // for its vanishing gradients and for the saturated or dead units behind them.
  const sequence = sequenceVanishingRemedies(activations.map((a) => a.name));
  const vanishing = sequence ?? [...activation, ...batchNorm, ...unless(c.residual, p.residual)];
  const initScale = (c.heForRelu || !c.relu) && (c.glorotForTanh || !c.tanh) && (c.relu || c.tanh) ? [] : [p.initScale];
  const exploding = [...clip, ...initScale, ...normAny];
  return {
    nonfinite: [...unless(c.guard, p.guard), ...clip, ...initScale],
    exploding,
    vanishing,
    deadUnits: sequence ?? [...(c.relu ? heForRelu : [p.heRelu]), ...batchNorm],
    saturation: sequence ?? [p.heRelu, ...(c.sigmoid ? [p.tanhGlorot] : glorotForTanh), ...batchNorm],
    largeUpdates: [p.lowerLr],
    smallUpdates: [p.raiseLr],
    blownUp: [p.lowerLr, ...initScale, ...normAny],
    phrases: p,
  };
}

/** The remedies of the monitor's trend finding (a norm growing step after step: exploding while still finite). */
export function growingNormRemedies(report: GradientReport, inChain: readonly string[], facts: RunFacts = {}): string[] {
  return [...remediesFor(report.layers, report.activations, inChain, facts).exploding];
}
