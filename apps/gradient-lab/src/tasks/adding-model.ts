// The networks of the adding task: one recurrent layer over [batch, T, 2] whose last hidden state
// feeds a dense(1) head, and the optimizer of each (Adam, with clipByGlobalNorm for the clipped run).
import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, type GradientTransformation } from '@gradkit/core';
import { identity } from '@gradkit/initializers';
import { dense, gru, lstm, type Sequential, sequential, simpleRnn } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';

/** The recurrent models the adding task compares (run ids are `<model>@<T>`). */
export const ADDING_MODELS = ['tanh-rnn', 'irnn', 'lstm', 'gru', 'tanh-rnn-clip'] as const;

/** One of `ADDING_MODELS`. */
export type AddingModel = (typeof ADDING_MODELS)[number];

/** How a model of the adding task is built and trained. */
export interface AddingHyper {
  /** Hidden units of the recurrent layer. */
  readonly hidden: number;
  /** Adam's learning rate. */
  readonly lr: number;
  /** clipByGlobalNorm's max norm before Adam; 0: no clipping. */
  readonly clip: number;
}

/**
 * The network of `model`: `simpleRnn` (tanh; or relu with an identity recurrent kernel and zero bias,
 * the IRNN of Le et al. 2015), `lstm` or `gru` over `[batch, T, 2]` with `returnSequences: false`,
 * then `dense(1)` on the last hidden state. Every recurrent layer taps each step as
 * `0.<layer>.t<k>`, so under `withTaps` the gradients of the taps are ∂L/∂hₜ.
 */
export function addingNetwork(model: AddingModel, hidden: number, seed: number): Sequential<readonly [ReturnType<typeof recurrent>, ReturnType<typeof dense>]> {
  return sequential(recurrent(model, hidden, seed), dense({ inFeatures: hidden, outFeatures: 1, seed: seed + 1 }));
}

function recurrent(model: AddingModel, hidden: number, seed: number) {
  const common = { inputSize: 2, hiddenSize: hidden, returnSequences: false, seed } as const;
  switch (model) {
    case 'lstm':
      return lstm(common);
    case 'gru':
      return gru(common);
    case 'irnn':
      return simpleRnn({ ...common, activation: 'relu', recurrentInitializer: identity() });
    case 'tanh-rnn':
    case 'tanh-rnn-clip':
      return simpleRnn(common);
  }
}

/** Adam at `lr`, after clipByGlobalNorm(`clip`) when `clip` > 0. */
export function addingTransform(hyper: AddingHyper): GradientTransformation {
  const optimizer = adam({ learningRate: hyper.lr });
  return hyper.clip > 0 ? chain(clipByGlobalNorm(hyper.clip), optimizer) : optimizer;
}
