// What the through-time and attention findings suggest. As in remedies.ts, every remedy offered is one
// the gradient lab confirms: the comment beside each names the runs of `gradient-lab compare --task
// adding` (ids suffixed with the sequence length T: `tanh-rnn@100` …) or `--task transformer` where the
// problem appears and where the remedy fixes it. A remedy the report can see in place (a gated layer,
// a Pre-LN block, clipping in the chain) is not offered again.
//
// Not offered, though the literature suggests them, because no lab run confirms them yet:
// - orthogonal recurrent initialization (Saxe et al. 2014; Henaff et al. 2016): the adding task has no
//   `orthogonal` run;
// - QK-LayerNorm (Dehghani et al. 2023): gradkit's attention has no normalization of queries and keys;
// - for a layer that is already an LSTM or a GRU and still vanishes through time, a larger forget-gate
//   bias (Jozefowicz et al. 2015): no run sets it.

// `lstm@T` learns the adding task (error < 0.04) where `tanh-rnn@T` stays at the mean predictor's loss (≈ 0.167)
// with a vanishing-through-time verdict; `gru@T` likewise (T = 50, 100, 200).
const GATED =
  "a gated recurrent layer: lstm({ inputSize, hiddenSize }) or gru({ inputSize, hiddenSize }) from @gradkit/nn (the LSTM's cell state carries the gradient across steps through its forget gate, Hochreiter & Schmidhuber 1997)";
// `irnn@100` (relu, identity recurrent kernel, clipByGlobalNorm(1), Adam 3e-3) learns (59% of sequences within 0.04)
// where `tanh-rnn@T` stays at ≈ 0.167 (Le et al. 2015). Without clipping at Adam 1e-2 the IRNN diverged at T = 200
// (MSE 3.5), and clipped at 1e-2 90% of its units died: the recipe is all three, and the remedy says so.
const IRNN =
  "IRNN: simpleRnn({ inputSize, hiddenSize, activation: 'relu', recurrentInitializer: identity() }) (@gradkit/nn, @gradkit/initializers), with clipByGlobalNorm(1) first in the chain and a rate about 3× lower than a tanh RNN's: relu units with an identity recurrent kernel pass ∂L/∂hₜ back unchanged at first (Le et al. 2015), and need both (unclipped, or clipped at the tanh RNN's rate, the lab's IRNN diverged or its units died)";
// No adding run explodes through time for clipping to rescue (the clipped tanh RNN, `tanh-rnn-clip@T`, still
// vanishes: clipping only shrinks what is too large). Clipping is the lab's confirmed remedy for exploding
// gradients (`exploding-clip` trains where `exploding` diverges, --task mlp), and the IRNN above trains only with it.
const CLIP_TIME =
  'clip the gradients: chain(clipByGlobalNorm(1), yourOptimizer) (@gradkit/clipping) bounds the step when the gradient through time explodes (Pascanu et al. 2013)';
// `pre-ln` learns the transformer task without warm-up where `post-ln` (same rate, no warm-up) fails or spikes (Xiong et al. 2020).
const PRE_LN =
  "Pre-LN blocks: transformerBlock({ embedDim, numHeads, ffnDim, norm: 'pre' }) (@gradkit/nn) normalizes each sub-layer's input and keeps the residual stream un-normalized (Xiong et al. 2020)";
// `post-ln-warmup` learns where `post-ln` (no warm-up) fails or spikes.
const WARMUP =
  'a learning-rate warm-up: linearWarmup(...) or warmupCosineDecay(...) from @gradkit/schedules as the optimizer’s learningRate (Vaswani et al. 2017; Xiong et al. 2020)';
// `post-ln-low-lr` learns where `post-ln` (a higher rate) fails or spikes.
const LOWER_LR_ATTENTION = 'a lower learning rate: attention logits grow with the size of the steps on the query and key kernels (Wortsman et al. 2023)';
// `post-ln-low-lr` (Adam 1e-3) learns where `post-ln` (Adam 1e-2, no warm-up) collapses to the uniform prediction.
const LOWER_LR_TRANSFORMER =
  'a lower learning rate: the first steps at a high rate collapse a Post-LN transformer before it learns (Liu et al. 2020), a lower one (or a warm-up) lets it train';

import { attentionTap, stepTap } from './tap-names.js';

const CLIPPING = ['clipByGlobalNorm', 'clipByNorm', 'adaptiveGradClip', 'clipByValue'];

/** Whether a recurrent layer's tap prefix names a gated layer (`lstm`, `gru`, in any case). */
export function isGatedLayer(layer: string): boolean {
  return /lstm|gru/i.test(layer);
}

/** The remedies of vanishing gradients through time in `layer` (a recurrent layer's tap prefix), whose step taps read as `kind`. */
export function vanishingThroughTimeRemedies(layer: string, kind?: string): string[] {
  if (isGatedLayer(layer)) return [];
  // A relu simpleRnn is an IRNN already (or close to one): only the gated layers are left to try.
  return kind === 'relu' ? [GATED] : [GATED, IRNN];
}

/** The remedies of exploding gradients through time, unless the chain (`inChain`: its parts' names) already clips. */
export function explodingThroughTimeRemedies(inChain: readonly string[]): string[] {
  return inChain.some((n) => CLIPPING.includes(n)) ? [] : [CLIP_TIME];
}

/**
 * Whether the attention layer with tap prefix `layer` sits in a Pre-LN `transformerBlock`: its block
 * (`<block>.attention.<name>`) tapped `<block>.norm1.…` before the attention's own taps. `taps`: the
 * tap names in the order they ran.
 */
export function isPreLn(layer: string, taps: readonly string[]): boolean {
  const m = /^(.*)\.attention\.[^.]+$/.exec(layer);
  if (!m) return false;
  const norm = taps.findIndex((t) => t.startsWith(`${m[1]}.norm1.`) || t === `${m[1]}.norm1`);
  const attention = taps.findIndex((t) => t.startsWith(`${layer}.`));
  return norm >= 0 && attention >= 0 && norm < attention;
}

/** The remedies of attention-logit growth in `layer`, given the tap names in the order they ran. */
export function attentionLogitRemedies(layer: string, taps: readonly string[]): string[] {
  return [...(isPreLn(layer, taps) ? [] : [PRE_LN]), WARMUP, LOWER_LR_ATTENTION];
}

/**
 * The remedies of vanishing gradients (by depth or through time) in a net with attention or
 * recurrent layers, from its tap names in the order they ran; undefined for a net with neither (then
 * the MLP remedies of remedies.ts apply: the lab confirms those on MLPs, not here).
 * - attention: Pre-LN unless every attention layer is in a Pre-LN block, a warm-up, a lower rate
 *   (`pre-ln`, `post-ln-warmup` and `post-ln-low-lr` learn where `post-ln` is vanishing from step 6 on);
 * - recurrent: a gated layer or IRNN for the layers that are neither LSTM nor GRU (`lstm@T`, `gru@T`,
 *   `irnn@T` against `tanh-rnn@T`); none for a net whose recurrent layers are all gated.
 */
export function sequenceVanishingRemedies(taps: readonly string[]): string[] | undefined {
  const attention = [...new Set(taps.map((t) => attentionTap(t)?.layer).filter((l): l is string => l !== undefined))];
  if (attention.length > 0) return [...(attention.every((l) => isPreLn(l, taps)) ? [] : [PRE_LN]), WARMUP, LOWER_LR_TRANSFORMER];
  const recurrent = [...new Set(taps.map((t) => stepTap(t)?.layer).filter((l): l is string => l !== undefined))];
  if (recurrent.length === 0) return undefined;
  return recurrent.some((l) => !isGatedLayer(l)) ? [GATED, IRNN] : [];
}
