import {
  defineHyperParams,
  describeValue,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  isTransformation,
  optionOr,
  type ParamTree,
  partition,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { AdamOptions, AdamState, ResolvedAdamOptions } from './adam.js';
import { adamw } from './adamw.js';
import { decayedParams, flag, gradLeaves, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, stepLeaves, subDecay, UNIT_OPEN, zeroState } from './internal.js';
import { muonMomentum } from './muon-momentum.js';
import { checkNsSteps, orthogonalize } from './newton-schulz.js';

/** How Muon scales its learning rate by the shape of each matrix (torch.optim.Muon's `adjust_lr_fn`). @example `'matchRmsAdamw'` */
export type MuonAdjustLr = 'original' | 'matchRmsAdamw';

/** Options of `muon` (torch.optim.Muon, plus the routing of the other parameters to AdamW). Every number but `nsSteps` may be a Schedule. @example `{ learningRate: 0.02, adamw: { learningRate: 3e-4 } }` */
export interface MuonOptions {
  /** Step size η of the matrices (> 0; default 1e-3, torch's). */
  readonly learningRate?: HyperParam;
  /** Decoupled weight decay λ of the matrices, θ ← θ(1 − ηλ) with the unadjusted η (≥ 0; default 0.1). */
  readonly weightDecay?: HyperParam;
  /** μ, the momentum of the gradients (in [0, 1); default 0.95). */
  readonly momentum?: HyperParam;
  /** Nesterov momentum: orthogonalize lerp(g, buf, μ) instead of buf (default true). */
  readonly nesterov?: boolean;
  /** Newton–Schulz iterations (an integer in [1, 99], not a schedule; default 5). */
  readonly nsSteps?: number;
  /** Floor of the Frobenius norm the momentum is divided by before the iteration (> 0; default 1e-7). */
  readonly epsilon?: HyperParam;
  /**
   * How η is scaled per matrix of fan-in `in` and fan-out `out`: `'original'` (Keller Jordan's,
   * η·√max(1, out/in); default) or `'matchRmsAdamw'` (Moonshot's, 0.2·√max(out, in)·η, so that
   * AdamW's learning rate and weight decay carry over).
   */
  readonly adjustLr?: MuonAdjustLr;
  /**
   * Which parameters Muon trains, by path and tensor; the others go to AdamW. Default: every tensor
   * of rank ≥ 2. Return false for embeddings and the output head, which Muon's authors leave to AdamW.
   * Every parameter it selects must have rank ≥ 2.
   */
  readonly muonParams?: (path: string, param: tf.Tensor) => boolean;
  /**
   * Options of the AdamW that trains every other parameter (`adamw`'s: PyTorch's defaults, weight
   * decay 1e-2). Required when no parameter goes to Muon, so that a model without matrices is never
   * trained by a silently default AdamW.
   */
  readonly adamw?: AdamOptions;
}

const MUON_KEYS: OptionKeys<MuonOptions> = {
  learningRate: true,
  weightDecay: true,
  momentum: true,
  nesterov: true,
  nsSteps: true,
  epsilon: true,
  adjustLr: true,
  muonParams: true,
  adamw: true,
};

/** The options of Muon's matrix group (`muon(...).groups.transforms.muon.options`). @example `{ learningRate: 0.02, weightDecay: 0.1, momentum: 0.95, nesterov: true, nsSteps: 5, epsilon: 1e-7, adjustLr: 'original' }` */
export type ResolvedMuonMatrixOptions = Required<Omit<MuonOptions, 'muonParams' | 'adamw'>>;

/** `muon`'s options with the defaults filled in, AdamW's resolved too (`muonParams` only where given). @example `muon().options.adamw.weightDecay // 0.01` */
export type ResolvedMuonOptions = ResolvedMuonMatrixOptions & {
  /** The AdamW's options, resolved. */
  readonly adamw: ResolvedAdamOptions;
  /** The routing predicate, where one was given. */
  readonly muonParams?: (path: string, param: tf.Tensor) => boolean;
};

/** State of Muon's matrix group: the step count and the momentum buffer of every matrix (torch's `momentum_buffer`). @example `{ count: 3, mu: { 'dense.kernel': buf } }` */
export type MuonMatrixState = {
  /** Steps taken. */
  readonly count: number;
  /** The momentum buffer of each matrix, keyed by parameter path. */
  readonly mu: Tree<tf.Tensor>;
};

/** State of `muon`: the matrices' group and the AdamW group, each over its parameters keyed by path. @example `{ muon: { count, mu }, adamw: { count, mu, nu } }` */
export type MuonState = {
  /** Muon's state over the matrices. */
  readonly muon: MuonMatrixState;
  /** AdamW's state over the other parameters. */
  readonly adamw: AdamState;
};

/**
 * A parameter as the matrix Muon orthogonalizes: tfjs's `[in, out]` for a dense kernel (PyTorch's
 * weight transposed), `[h·w·in, out]` for a conv kernel `[h, w, in, out]` (Keller Jordan's
 * `view(len(g), -1)` of PyTorch's `[out, in, h, w]`, up to the order of the columns). Returns
 * [fanIn, fanOut].
 */
function matrixShape(shape: readonly number[]): [number, number] {
  const fanOut = shape[shape.length - 1] as number;
  return [shape.slice(0, -1).reduce((p, d) => p * d, 1), fanOut];
}

/** torch's `_adjust_lr` ratio, with A = out and B = in (PyTorch's weight is `[out, in]`). */
function adjustRatio(adjustLr: MuonAdjustLr, fanIn: number, fanOut: number): number {
  return adjustLr === 'original' ? Math.sqrt(Math.max(1, fanOut / fanIn)) : 0.2 * Math.sqrt(Math.max(fanOut, fanIn));
}

function checkAdjustLr(value: unknown): MuonAdjustLr {
  const v = optionOr('adjustLr', value, 'original');
  if (v !== 'original' && v !== 'matchRmsAdamw') {
    const torch = v === 'match_rms_adamw' ? " (PyTorch's 'match_rms_adamw' is written 'matchRmsAdamw')" : '';
    throw new HyperParameterError('adjustLr', `adjustLr must be 'original' or 'matchRmsAdamw'${torch}, got ${JSON.stringify(v) ?? typeof v}`);
  }
  return v;
}

/** Muon's update of the matrices it is given (the `muon` group): torch's `_single_tensor_muon`. */
function muonMatrices(options: MuonOptions): GradientTransformation<MuonMatrixState, ResolvedMuonMatrixOptions> {
  const hyper = defineHyperParams({
    learningRate: [optionOr('learningRate', options.learningRate, 1e-3), POSITIVE],
    weightDecay: [optionOr('weightDecay', options.weightDecay, 0.1), NON_NEGATIVE],
    momentum: [optionOr('momentum', options.momentum, 0.95), UNIT_OPEN],
    epsilon: [optionOr('epsilon', options.epsilon, 1e-7), POSITIVE],
  });
  const nesterov = flag('nesterov', optionOr('nesterov', options.nesterov, true), true);
  const nsSteps = checkNsSteps('nsSteps', options.nsSteps);
  const adjustLr = checkAdjustLr(options.adjustLr);
  return {
    name: 'muonMatrices',
    options: { ...hyper.options, nesterov, nsSteps, adjustLr },
    hyperParams: hyper.at,
    init: (params: ParamTree): MuonMatrixState => zeroState(params, 'mu'),
    update(grads: GradTree, state: MuonMatrixState, params?: ParamTree): TransformResult<MuonMatrixState> {
      const h = hyper.at(state.count);
      const gs = gradLeaves(grads, state.mu);
      const ps = decayedParams('muon', grads, params, h.weightDecay);
      const r = stepLeaves(
        grads,
        { mu: state.mu },
        (g, s, i) => {
          const { buf, update } = muonMomentum(g, s.mu, h.momentum, nesterov);
          const [fanIn, fanOut] = matrixShape(g.shape);
          const o = tf.reshape(orthogonalize(tf.reshape(update, [fanIn, fanOut]), nsSteps, h.epsilon), g.shape);
          const step = tf.mul(o, -h.learningRate * adjustRatio(adjustLr, fanIn, fanOut));
          return { update: subDecay(step, ps[i], h.learningRate * h.weightDecay), slots: { mu: buf } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as MuonMatrixState };
    },
  };
}

/** The routing predicate: the user's `muonParams` (checked to return a boolean and pick matrices only), else rank ≥ 2. */
function muonLabel(muonParams: MuonOptions['muonParams']): (path: string, param: tf.Tensor) => 'muon' | 'adamw' {
  return (path, param) => {
    if (muonParams === undefined) return param.rank >= 2 ? 'muon' : 'adamw';
    const picked = muonParams(path, param);
    if (typeof picked !== 'boolean')
      throw new HyperParameterError('muonParams', `muonParams must return true (Muon) or false (AdamW); it returned ${String(picked)} for '${path}'`);
    if (picked && param.rank < 2)
      throw new HyperParameterError(
        'muonParams',
        `muonParams selected '${path}', of shape [${param.shape.join(', ')}], for Muon, which orthogonalizes matrices only (rank ≥ 2): return false for it so that AdamW trains it`,
      );
    return picked ? 'muon' : 'adamw';
  };
}

/**
 * Muon (MomentUm Orthogonalized by Newton–Schulz) for the matrices, AdamW for every other parameter:
 * torch.optim.Muon (PyTorch ≥ 2.9, `_single_tensor_muon`) step for step, with the routing done for
 * you. For each matrix (in tfjs's layout `[in, out]`, fan-in `in`, fan-out `out`):
 *
 * buf ← lerp(buf, g, 1 − μ);  u = nesterov ? lerp(g, buf, μ) : buf;  O = NS₅(u);
 * θ ← θ(1 − ηλ) − η′·O,  with η′ = η·√max(1, out/in) (`'original'`) or 0.2·√max(out, in)·η (`'matchRmsAdamw'`).
 *
 * NS is the quintic Newton–Schulz iteration of `newtonSchulz` (coefficients (3.4445, −4.7750, 2.0315),
 * `nsSteps` iterations, after dividing by the Frobenius norm clamped at ε, on the shorter side):
 * matmuls on the device, in float32 where torch uses bfloat16. A dense kernel `[in, out]` is
 * PyTorch's weight transposed, and the orthogonalization commutes with transposition, so the update is
 * torch's transposed. A conv kernel `[h, w, in, out]` is orthogonalized as the matrix
 * `[h·w·in, out]` (Keller Jordan's `g.view(len(g), -1)` of PyTorch's `[out, in, h, w]`), with fan-in
 * h·w·in for `adjustLr`. The weight decay uses the unadjusted η, as torch's.
 *
 * Routing: by default every tensor of rank ≥ 2 goes to Muon and the rest (biases, norm gains) to
 * `adamw(options.adamw ?? {})`; `muonParams(path, param)` decides instead. Muon's authors keep the
 * embeddings and the output head on AdamW: say so with `muonParams`. The transformation is a routing
 * one (as core's `partition`): `groups` are `muon` (state `{ count, mu }`, `mu` = torch's
 * `momentum_buffer`) and `adamw` (adamw's state), so `Optimizer.hyperParams()` reports both and the
 * AdamW group can run a fused kernel.
 *
 * float32 op order of a matrix's update (for fused kernels): `muonMomentum`; O as `newtonSchulz`;
 * update = O·(−η′) − (ηλ)·θ, added to θ.
 *
 * References: Keller Jordan 2024, "Muon: An optimizer for hidden layers in neural networks"
 * (kellerjordan.github.io/posts/muon); torch.optim.Muon (torch/optim/_muon.py); Liu et al. 2025,
 * "Muon is Scalable for LLM Training" (arXiv 2502.16982) for `'matchRmsAdamw'`.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a momentum outside [0, 1),
 *   a negative weight decay, `nsSteps` not an integer in [1, 99], an `adjustLr` other than `'original'`
 *   or `'matchRmsAdamw'`, a `muonParams` that is not a function, or `adamw` that is not an options
 *   object; at `init`, for a parameter `muonParams` sends to Muon that is not a matrix (naming
 *   `muonParams`), or for no parameter going to Muon while `adamw` was not given (naming `adamw`).
 *   UnknownOptionError for an unknown option (PyTorch's `lr`, `weight_decay`, `ns_steps`, `eps` … map
 *   to gradkit's names; `ns_coefficients` and `use_addmm` have no equivalent).
 * @example
 * ```ts
 * // Muon for the hidden matrices; AdamW for the embedding, the head, biases and gains
 * const tx = muon({
 *   learningRate: 0.02,
 *   muonParams: (path, p) => p.rank >= 2 && !path.startsWith('embedding.') && !path.startsWith('head.'),
 *   adamw: { learningRate: 3e-4, weightDecay: 0.01 },
 * });
 * const opt = new Optimizer(model.params, tx);
 * await opt.minimize(loss);
 * ```
 */
export function muon(options?: MuonOptions): GradientTransformation<MuonState, ResolvedMuonOptions> {
  const given = optionsOf('muon', options, MUON_KEYS, 'muon({ learningRate: 0.02, adamw: { learningRate: 3e-4 } })');
  const matrices = muonMatrices(given);
  const muonParams = optionOr('muonParams', given.muonParams, undefined);
  if (muonParams !== undefined && typeof muonParams !== 'function')
    throw new HyperParameterError('muonParams', 'muonParams must be a function (path, param) => boolean: true for Muon, false for AdamW');
  const adamwGiven = optionOr('adamw', given.adamw, undefined);
  if (adamwGiven !== undefined && (typeof adamwGiven !== 'object' || Array.isArray(adamwGiven) || isTransformation(adamwGiven)))
    throw new HyperParameterError(
      'adamw',
      `adamw takes AdamW's options, e.g. muon({ adamw: { learningRate: 3e-4 } }), not ${isTransformation(adamwGiven) ? 'a transformation: muon builds the AdamW itself' : describeValue(adamwGiven)}`,
    );
  const rest = adamw(adamwGiven);
  const routed = partition({ muon: matrices, adamw: rest }, muonLabel(muonParams));
  const groups = routed.groups as NonNullable<typeof routed.groups>;
  const labels = (params: ParamTree): Readonly<Record<string, string>> => {
    const l = groups.labels(params);
    const paths = Object.keys(l);
    if (adamwGiven === undefined && !paths.some((p) => l[p] === 'muon'))
      throw new HyperParameterError(
        'adamw',
        `muon got only non-matrix parameters (${paths.length === 0 ? 'none at all' : paths.length > 5 ? `${paths.slice(0, 5).join(', ')} and ${paths.length - 5} more` : paths.join(', ')}): every parameter would go to AdamW; use adamw() or pass adamw options explicitly (muon({ adamw: { … } })), or select matrices with muonParams`,
      );
    return l;
  };
  return {
    ...(routed as unknown as GradientTransformation<MuonState, ResolvedMuonOptions>),
    name: 'muon',
    options: { ...matrices.options, adamw: rest.options, ...(muonParams === undefined ? {} : { muonParams }) },
    groups: { transforms: groups.transforms, labels },
    init(params: ParamTree): MuonState {
      labels(params);
      return routed.init(params) as unknown as MuonState;
    },
  };
}
