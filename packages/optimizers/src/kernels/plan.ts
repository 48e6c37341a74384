// What every backend's fused optimizer step is given: the chain's options and this step's
// hyper-parameters resolved into one plan, and the tensors grouped by role. The element-wise rules
// below are the contract each backend implements; they follow the reference path's float32 op order.
import { type FusedKernelArgs, GradkitError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { ResolvedAdamOptions } from '../adam.js';
import type { ResolvedRmspropOptions } from '../rmsprop.js';
import type { ResolvedSgdOptions } from '../sgd.js';
import { type AdoptOptionsSeen, adoptRule } from './adopt-rule.js';
import { type ScheduleFreeOptionsSeen, scheduleFreeRule } from './schedule-free-host.js';

/**
 * SGD (PyTorch `torch.optim.SGD`), per element, float32 per op:
 * `if wd≠0: g = g + p·wd`; momentum = 0: `u = g·(−lr)`; else `b = first ? g : b·momentum + g·(1−dampening)`,
 * `d = nesterov ? g + b·momentum : b`, `u = d·(−lr)`; then `p = p + u`. Slots: `[momentum]` when momentum ≠ 0, else none.
 */
export interface SgdRule {
  readonly kind: 'sgd';
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** The first step of the momentum buffer (the sgd part's count is 0): `b = g`. */
  readonly first: boolean;
}

/**
 * Adam / AdamW (PyTorch `torch.optim.Adam`/`AdamW`), per element, float32 per op:
 * `if !decoupled && wd≠0: g = g + p·wd`; `m = m·β₁ + g·(1−β₁)`; `v = v·β₂ + (g·g)·(1−β₂)`;
 * `vm = amsgrad ? max(vMax, v) : v` (and `vMax = vm`); `den = sqrt(vm)·ibc2 + ε`, with `ibc2 = 1/bc2Sqrt`
 * rounded to float32 once per step (one division fewer per element than the reference's
 * `sqrt(vm)/bc2Sqrt`, within an ulp of it); `s = (m/den)·(−stepSize)`;
 * `if decoupled && wd≠0: s = s − p·(lr·wd)`; `p = p + s`. Slots: `[mu, nu]`, plus `nuMax` with amsgrad.
 */
export interface AdamRule {
  readonly kind: 'adam';
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** AdamW: weight decay applied to the parameter, not added to the gradient. */
  readonly decoupled: boolean;
  readonly amsgrad: boolean;
  /** lr / (1 − β₁ᵗ), t = count + 1 (computed on the host in float64). */
  readonly stepSize: number;
  /** sqrt(1 − β₂ᵗ) (computed on the host in float64). */
  readonly bc2Sqrt: number;
}

/**
 * RMSprop (PyTorch `torch.optim.RMSprop`), per element, float32 per op:
 * `if wd≠0: g = g + p·wd`; `v = v·α + (g·g)·(1−α)`; centered: `a = a + (g − a)·(1−α)`, `den = sqrt(v − a·a) + ε`,
 * else `den = sqrt(v) + ε`; momentum = 0: `u = (g/den)·(−lr)`; else `b = b·momentum + g/den`, `u = b·(−lr)`;
 * `p = p + u`. Slots: `[squareAvg]`, then `gradAvg` when centered, then `momentumBuffer` when momentum ≠ 0.
 */
export interface RmspropRule {
  readonly kind: 'rmsprop';
  readonly lr: number;
  readonly alpha: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
}

/**
 * Lion (Chen et al. 2023; optax `lion`), per element, float32 per op:
 * `c = m·β₁ + g·(1−β₁)`; `d = sign(c)` (0 for 0 and NaN); `if wd≠0: d = d + p·wd`; `u = d·(−lr)`;
 * `m = m·β₂ + g·(1−β₂)`; `p = p + u`. Slots: `[mu]`.
 */
export interface LionRule {
  readonly kind: 'lion';
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
}

/**
 * ADOPT (Taniguchi et al. 2024; optax.contrib `adopt`, `scale_by_adopt` then the learning rate), per
 * element, float32 per op, with `nuOld` the slot's value before the step:
 * `v = nuOld·β₂ + (g·g)·(1−β₂)`; `u = g / max(sqrt(nuOld), ε)`; `if clipping: u = min(max(u, −c), c)`;
 * `m = m·β₁ + u·(1−β₁)`; `d = nesterov ? m·β₁ + u·(1−β₁) : m`; `if wd≠0: d = d + p·wd`;
 * `p = p + d·(−lr)` (adopt.ts's order). At the first step (count 0) optax uses β₁ = 1 and β₂ = 0
 * (`nu = g²`, `mu` unchanged): the rule's `beta1`/`beta2` are those of this step. Slots: `[mu, nu]`.
 */
export interface AdoptRule {
  readonly kind: 'adopt';
  readonly lr: number;
  /** β₁ at this step: 1 at count 0. */
  readonly beta1: number;
  /** β₂ at this step: 0 at count 0. */
  readonly beta2: number;
  readonly epsilon: number;
  /** `c = count^¼` (optax's default `clip_value_fn`), or undefined without clipping. */
  readonly clip?: number;
  readonly nesterov: boolean;
  /** Decoupled weight decay λ (0: none), added to the update before the learning rate: `−η(u + λθ)`. */
  readonly weightDecay: number;
}

/**
 * Schedule-Free AdamW, train mode (facebookresearch/schedule_free `AdamWScheduleFree.step`), per
 * element, float32 per op, with y the parameter:
 * `v = v·β₂ + (g·g)·(1−β₂)`; `den = sqrt(v / bc2) + ε`; `gn = g / den`; `if wd≠0: gn = gn + y·wd`;
 * `p = y + ((z − y)·ckp1 + gn·adaptiveYLr)`; `z = z − gn·lr` (schedule-free-adamw.ts's order).
 * `lr` (warm-up applied), `ckp1`, `adaptiveYLr = lr·(β₁(1−ckp1) − 1)` and `bc2 = 1 − β₂^(k+1)` come
 * from the host (schedule-free.ts `scheduleFreeStep`). Slots: `[z, nu]`.
 */
export interface ScheduleFreeAdamWRule {
  readonly kind: 'scheduleFreeAdamW';
  readonly lr: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly ckp1: number;
  readonly adaptiveYLr: number;
  readonly bc2: number;
}

/** The update rule of a fused step. */
export type FusedRule = SgdRule | AdamRule | RmspropRule | LionRule | AdoptRule | ScheduleFreeAdamWRule;

/**
 * One fused optimizer step over all parameters:
 *
 * 1. `guard` (applyIfFinite): `finite` = every element of every gradient is finite;
 *    `notfiniteCount = finite ? 0 : min(notfiniteCount + 1, 2³¹−1)`; `totalNotfinite += finite ? 0 : 1` (saturating);
 *    `lastFinite = finite`; the step applies when `finite || notfiniteCount > guard`. When it does not
 *    apply, parameters and slots are left exactly as they were (only the three guard scalars change).
 * 2. `maxNorm` (clipByGlobalNorm): `norm = sqrt(Σ g²)` over every element of every (raw) gradient;
 *    each gradient element becomes `norm < maxNorm ? g : (g / norm) · maxNorm`. clipByGlobalNorm's
 *    metrics are written in place: `norm` (float32) and `clipped = norm < maxNorm ? 0 : 1` (float32,
 *    so a NaN norm counts as clipped). A step the guard skips leaves them as they were, like the
 *    rest of the guarded state.
 * 3. the rule, per element.
 */
export interface FusedPlan {
  readonly rule: FusedRule;
  /** clipByGlobalNorm's threshold at this step, when the chain starts with it. */
  readonly maxNorm?: number;
  /** applyIfFinite's `maxConsecutiveErrors`, when the chain is wrapped in it. */
  readonly guard?: number;
}

/** applyIfFinite's state scalars, updated in place by a guarded step. */
export interface GuardTensors {
  /** int32 scalar: non-finite steps in a row. */
  readonly notfiniteCount: tf.TensorInfo;
  /** int32 scalar: non-finite steps in all. */
  readonly totalNotfinite: tf.TensorInfo;
  /** bool scalar: whether the last step's gradients were finite. */
  readonly lastFinite: tf.TensorInfo;
}

/** clipByGlobalNorm's metrics (its state's `metrics`), written in place by a clipped step. */
export interface ClipMetricTensors {
  /** float32 scalar: the global L2 norm of the raw gradients at the last step. */
  readonly norm: tf.TensorInfo;
  /** float32 scalar: 1 when the last step clipped (`!(norm < maxNorm)`), else 0. */
  readonly clipped: tf.TensorInfo;
}

/** The tensors of a fused step, by role. Every one is float32 except the guard's; params, slots and scalars are written in place. */
export interface FusedTensors {
  readonly params: readonly tf.TensorInfo[];
  readonly grads: readonly tf.TensorInfo[];
  /** `slots[k][i]`: the rule's k-th slot (in the order its rule names them) of parameter i. */
  readonly slots: readonly (readonly tf.TensorInfo[])[];
  readonly guard?: GuardTensors;
  /** clipByGlobalNorm's `norm` and `clipped`, when the chain clips. */
  readonly clipMetrics?: ClipMetricTensors;
}

/** applyIfFinite's state scalars, in the order a fused kernel declares them. */
export const GUARD_SCALARS = ['notfiniteCount', 'totalNotfinite', 'lastFinite'] as const;
/** clipByGlobalNorm's metrics (state scalars), in the order a fused kernel declares them. */
export const CLIP_SCALARS = ['norm', 'clipped'] as const;

/** The state scalars a fused kernel of `prefix` reads and writes, per part (the rule has none). */
export const scalarsOf = (prefix: readonly string[]): string[][] => [
  ...prefix.map((p) => (p === 'applyIfFinite' ? [...GUARD_SCALARS] : p === 'clipByGlobalNorm' ? [...CLIP_SCALARS] : [])),
  [],
];

/** One backend's implementation of every fused step. */
export type FusedStep = (backend: tf.KernelBackend, plan: FusedPlan, tensors: FusedTensors) => void;

/** The rules with a fused kernel, by transformation name. */
export const RULE_NAMES = ['sgd', 'adam', 'adamw', 'rmsprop', 'lion', 'adopt', 'scheduleFreeAdamW'] as const;

/** A transformation name with a fused kernel. */
export type RuleName = (typeof RULE_NAMES)[number];

/** The per-parameter state the rule's kernel reads and writes, in its order (names in the transformation's state). */
export function ruleSlots(name: RuleName, options: object): readonly string[] {
  switch (name) {
    case 'sgd':
      return (options as ResolvedSgdOptions).momentum === 0 ? [] : ['momentum'];
    case 'adam':
    case 'adamw':
      return (options as ResolvedAdamOptions).amsgrad ? ['mu', 'nu', 'nuMax'] : ['mu', 'nu'];
    case 'rmsprop': {
      const o = options as ResolvedRmspropOptions;
      return ['squareAvg', ...(o.centered ? ['gradAvg'] : []), ...(o.momentum === 0 ? [] : ['momentumBuffer'])];
    }
    case 'lion':
      return ['mu'];
    case 'adopt':
      return ['mu', 'nu'];
    case 'scheduleFreeAdamW':
      return ['z', 'nu'];
  }
}

/**
 * Whether the options can be fused: structural choices (momentum on/off, which slots exist) are fixed
 * at construction, so a hyper-parameter that decides them must be a number, not a Schedule.
 */
export function ruleSupports(name: RuleName, options: object): boolean {
  switch (name) {
    case 'sgd':
      return typeof (options as ResolvedSgdOptions).momentum === 'number';
    case 'rmsprop':
      return typeof (options as ResolvedRmspropOptions).momentum === 'number';
    default:
      return true;
  }
}

/**
 * The rule at this step from the rule part's options, hyper-parameters, step count and (for
 * schedule-free) its state's host numbers before the step (`lrMax`, `weightSum`).
 */
export function ruleOf(
  name: RuleName,
  options: object,
  h: Readonly<Record<string, number>>,
  count: number,
  numbers: Readonly<Record<string, number>> = {},
): FusedRule {
  const n = (k: string) => h[k] ?? 0;
  switch (name) {
    case 'sgd':
      return {
        kind: 'sgd',
        lr: n('learningRate'),
        momentum: n('momentum'),
        dampening: n('dampening'),
        weightDecay: n('weightDecay'),
        nesterov: (options as ResolvedSgdOptions).nesterov,
        first: count === 0,
      };
    case 'adam':
    case 'adamw': {
      const t = count + 1;
      return {
        kind: 'adam',
        lr: n('learningRate'),
        beta1: n('beta1'),
        beta2: n('beta2'),
        epsilon: n('epsilon'),
        weightDecay: n('weightDecay'),
        decoupled: name === 'adamw',
        amsgrad: (options as ResolvedAdamOptions).amsgrad,
        stepSize: n('learningRate') / (1 - n('beta1') ** t),
        bc2Sqrt: Math.sqrt(1 - n('beta2') ** t),
      };
    }
    case 'rmsprop':
      return {
        kind: 'rmsprop',
        lr: n('learningRate'),
        alpha: n('alpha'),
        epsilon: n('epsilon'),
        weightDecay: n('weightDecay'),
        momentum: n('momentum'),
        centered: (options as ResolvedRmspropOptions).centered,
      };
    case 'lion':
      return { kind: 'lion', lr: n('learningRate'), beta1: n('beta1'), beta2: n('beta2'), weightDecay: n('weightDecay') };
    case 'adopt':
      return adoptRule(options as AdoptOptionsSeen, h, count);
    case 'scheduleFreeAdamW':
      return scheduleFreeRule(options as ScheduleFreeOptionsSeen, h, count, numbers);
  }
}

/** The chain shapes that are fused for each rule: alone, after clipByGlobalNorm, and either one inside applyIfFinite. */
export const PREFIXES = [[], ['clipByGlobalNorm'], ['applyIfFinite'], ['applyIfFinite', 'clipByGlobalNorm']] as const;

/**
 * Each part's state numbers before the step (`count`, schedule-free's `lrMax` and `weightSum` …): given
 * by core's runner as `args.numbers` where it has them, else none.
 */
export const numbersOf = (args: FusedKernelArgs): readonly (Readonly<Record<string, number>> | undefined)[] =>
  (args as { numbers?: readonly (Readonly<Record<string, number>> | undefined)[] }).numbers ?? [];

/** Plan and tensors of a fused kernel call whose pattern is `[...prefix, name]`. */
export function planOf(prefix: readonly string[], name: RuleName, args: FusedKernelArgs): { plan: FusedPlan; tensors: FusedTensors } {
  const last = prefix.length;
  const clip = prefix.indexOf('clipByGlobalNorm');
  const guard = prefix.indexOf('applyIfFinite');
  const plan: FusedPlan = {
    rule: ruleOf(name, args.options[last] as object, args.hyper[last] ?? {}, args.counts[last] ?? args.step, numbersOf(args)[last]),
    ...(clip >= 0 ? { maxNorm: args.hyper[clip]?.maxNorm as number } : {}),
    ...(guard >= 0 ? { guard: args.hyper[guard]?.maxConsecutiveErrors as number } : {}),
  };
  // args.scalars: each part's scalarsOf(prefix), flattened in pattern order (applyIfFinite comes before the clip).
  const scalars = [...args.scalars];
  const take = (n: number) => scalars.splice(0, n);
  const tensors: FusedTensors = { params: args.params, grads: args.grads, slots: args.slots };
  const out: { guard?: GuardTensors; clipMetrics?: ClipMetricTensors } = {};
  for (const part of prefix) {
    if (part === 'applyIfFinite') {
      const [notfiniteCount, totalNotfinite, lastFinite] = take(GUARD_SCALARS.length);
      if (notfiniteCount && totalNotfinite && lastFinite) out.guard = { notfiniteCount, totalNotfinite, lastFinite };
    } else if (part === 'clipByGlobalNorm') {
      const [norm, clipped] = take(CLIP_SCALARS.length);
      if (norm && clipped) out.clipMetrics = { norm, clipped };
    }
  }
  return { plan, tensors: { ...tensors, ...out } };
}

/** The number of slots `rule` reads and writes per parameter (as `ruleSlots` names them). */
function slotCount(rule: FusedRule): number {
  switch (rule.kind) {
    case 'sgd':
      return rule.momentum === 0 ? 0 : 1;
    case 'adam':
      return rule.amsgrad ? 3 : 2;
    case 'rmsprop':
      return 1 + (rule.centered ? 1 : 0) + (rule.momentum === 0 ? 0 : 1);
    case 'lion':
      return 1;
    case 'adopt':
    case 'scheduleFreeAdamW':
      return 2;
  }
}

const sizeOf = (t: tf.TensorInfo) => t.shape.reduce((a, d) => a * d, 1);
const describeTensor = (x: tf.TensorInfo | undefined) => (x ? `${x.dtype}[${x.shape.join(',')}]` : 'none');

/**
 * Checks every input of a fused step before anything is written, so that a kernel never throws after
 * writing (the kernels are registered `atomic`: the runner then keeps no backup copy): each parameter,
 * its gradient and the rule's slots are float32 tensors of the same size; the guard's and the clip's
 * scalars are there when the plan uses them.
 *
 * @throws GradkitError (`BAD_KERNEL_INPUT`) naming the parameter (by index) and what it got.
 */
export function checkFusedTensors(backend: string, plan: FusedPlan, t: FusedTensors): void {
  const bad = (message: string) => new GradkitError('BAD_KERNEL_INPUT', `${backend} fused step: ${message}`);
  const slots = slotCount(plan.rule);
  if (t.slots.length !== slots) throw bad(`the ${plan.rule.kind} rule needs ${slots} slots per parameter, got ${t.slots.length}`);
  if (t.grads.length !== t.params.length) throw bad(`${t.params.length} parameters but ${t.grads.length} gradients`);
  for (const [i, param] of t.params.entries()) {
    const n = sizeOf(param);
    const others = [t.grads[i], ...t.slots.map((s) => s[i])];
    if (param.dtype !== 'float32' || others.some((x) => x?.dtype !== 'float32' || sizeOf(x) !== n))
      throw bad(
        `parameter ${i}, its gradient and its state must be float32 tensors of the same size; got ${[param, ...others].map(describeTensor).join(', ')}`,
      );
  }
  if (plan.guard !== undefined && !t.guard) throw bad("applyIfFinite's state scalars are missing");
  for (const x of [...Object.values(t.guard ?? {}), ...Object.values(t.clipMetrics ?? {})])
    if (sizeOf(x) !== 1) throw bad(`a state scalar has shape [${x.shape.join(', ')}]`);
}
