// The experiment matrix of `gradient-lab compare`: the deep sigmoid baseline with the "standard"
// initialization of Glorot & Bengio (2010), each remedy on its own, the combination He et al. (2015)
// prescribe, and an exploding configuration without and with gradient clipping; with `--only`, the
// remedy checks behind what @gradkit/diagnostics offers for each finding. Every entry states what
// the literature expects and, from the measured result, writes a note where it agrees or differs and why.
import type { FindingKind, Verdict } from '@gradkit/diagnostics';
import { DEFAULT_CONFIG, type LabConfig } from './config.js';
import { num, pct } from './table.js';
import type { TrainResult } from './train.js';

/** The shared settings of a comparison (from `compare`'s flags). */
export interface MatrixSettings {
  /** Training steps per configuration. */
  readonly steps: number;
  /** Minibatch size. */
  readonly batch: number;
  /** Seed of every configuration. */
  readonly seed: number;
  /** Hidden layers. */
  readonly depth: number;
  /** Units per hidden layer. */
  readonly width: number;
}

/** What the literature expects of an experiment, checked against the result. */
export interface Expectation {
  /** The verdicts that agree with the literature. */
  readonly verdicts: readonly Verdict[];
  /** Test accuracy at least this (e.g. 0.9 for "trains"). */
  readonly minAccuracy?: number;
  /** Test accuracy at most this (e.g. 0.2 for "stays near chance"). */
  readonly maxAccuracy?: number;
  /** Finding kinds that at least one of the run's reports must have. */
  readonly findings?: readonly FindingKind[];
  /** Finding kinds that none of the run's reports may have. */
  readonly noFindings?: readonly FindingKind[];
  /** The claim in words, with its source. */
  readonly claim: string;
}

/** One experiment of the matrix. */
export interface Experiment {
  /** Short id, for `--only`. */
  readonly id: string;
  /** Name in the table and the report. */
  readonly title: string;
  /** Whether `compare` runs it by default (the others run with `--only`). */
  readonly byDefault: boolean;
  /** What to change in the baseline configuration. */
  readonly changes: Partial<LabConfig>;
  /** What the literature expects. */
  readonly expect: Expectation;
  /** Why the result is what it is, for the notes (given the result and whether it agrees with `expect`). */
  readonly explain?: (r: TrainResult, agrees: boolean) => string | undefined;
}

/** The learning rate of SGD with momentum 0.9 shared by every configuration that does not change it. */
export const BASE_LR = 0.05;

/** The defaults of `compare` that make the matrix reproduce the literature within the demo's time. */
export const MATRIX_DEFAULTS: MatrixSettings = { steps: 500, batch: 128, seed: 1, depth: 10, width: 64 };

const CHANCE = 0.2;
const TRAINS = 0.9;

const ratioText = (r: TrainResult) => `first/last ‖g‖ ${num(r.firstLastRatio)}, first/last ‖∂L/∂h‖ ${num(r.tapRatio)}`;

/** How many of the run's reports have a finding of `kind`. */
export function reportsWith(r: Pick<TrainResult, 'reports'>, kind: FindingKind): number {
  return r.reports.filter((report) => report.findings.some((f) => f.kind === kind)).length;
}

/** `largeUpdates in 3 of 8 reports`. */
const seenIn = (r: TrainResult, kind: FindingKind) => `${kind} in ${reportsWith(r, kind)} of ${r.reports.length} reports`;

/** The largest and the smallest update-to-weight ratio ‖u‖/‖θ‖ of a weight layer over the run's reports. */
export function updateRatioRange(r: Pick<TrainResult, 'reports'>): { min: number; max: number } | undefined {
  const ratios = r.reports.flatMap((report) =>
    report.layers.filter((l) => l.isWeight && l.updateRatio !== undefined && Number.isFinite(l.updateRatio)).map((l) => l.updateRatio as number),
  );
  return ratios.length === 0 ? undefined : { min: Math.min(...ratios), max: Math.max(...ratios) };
}

const ratioRange = (r: TrainResult) => {
  const range = updateRatioRange(r);
  return range ? `‖u‖/‖θ‖ from ${num(range.min)} to ${num(range.max)}` : 'no finite ‖u‖/‖θ‖';
};
const ending = (r: TrainResult) => (r.diverged ? `became NaN after ${r.stepsTaken} steps` : `ended at ${pct(r.testAccuracy)}`);

/** The experiments, in table order. */
export const EXPERIMENTS: readonly Experiment[] = [
  {
    id: 'baseline',
    title: 'baseline: sigmoid, naive init',
    byDefault: true,
    changes: {},
    expect: {
      verdicts: ['vanishing'],
      maxAccuracy: CHANCE,
      claim:
        'Glorot & Bengio (2010): with W ~ U(±1/√n) and sigmoid units the back-propagated gradient shrinks layer after layer (σ′ ≤ 1/4), the lower layers barely learn and a deep net stays near chance.',
    },
    explain: (r, agrees) =>
      agrees
        ? undefined
        : `The baseline did not behave as Glorot & Bengio (2010) describe (verdict ${r.verdict}, test accuracy ${pct(r.testAccuracy)}; ${ratioText(r)}). A shallower net (--depth) or many more steps let a sigmoid net learn slowly.`,
  },
  {
    id: 'relu',
    title: '+ ReLU (naive init)',
    byDefault: true,
    changes: { activation: 'relu' },
    expect: {
      verdicts: ['vanishing'],
      maxAccuracy: CHANCE,
      claim:
        'He et al. (2015, eq. 10): ReLU does not saturate, but each layer still scales the signal variance by n·Var(w)/2 = 1/6 under U(±1/√n), so at this depth the gradient still vanishes.',
    },
    explain: (r, agrees) =>
      agrees
        ? `ReLU alone does not rescue the deep net: with U(±1/√n) weights each layer multiplies the signal's standard deviation by √(n·Var(w)/2) = 1/√6 ≈ 0.41 (He et al. 2015, eq. 10), in the forward and the backward pass alike (${ratioText(r)}). The popular shorthand "ReLU fixes vanishing gradients" holds only with a variance-preserving initialization (see ReLU + He init).`
        : `ReLU with the naive initialization reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}): at this depth the 0.41× per-layer shrinkage (He et al. 2015, eq. 10) was not enough to stop training.`,
  },
  {
    id: 'glorot',
    title: '+ Glorot init (sigmoid)',
    byDefault: true,
    changes: { init: 'glorot' },
    expect: {
      verdicts: ['vanishing'],
      maxAccuracy: CHANCE,
      claim:
        'Glorot & Bengio (2010) derive the normalized initialization for units that are linear around 0 with slope 1 (tanh, softsign); sigmoid has slope 1/4 there, so the gradient still shrinks about 4× per layer.',
    },
    explain: (r, agrees) =>
      agrees
        ? `Glorot initialization alone keeps a sigmoid net vanishing: its derivation assumes f′(0) = 1, but σ′(0) = 1/4, so the gradient still shrinks about 4× per layer (${ratioText(r)}). Glorot & Bengio (2010) themselves report the normalized initialization with tanh and softsign and advise against sigmoid in deep nets; PyTorch's calculate_gain('sigmoid') = 1 does not correct for it either.`
        : `Glorot initialization with sigmoid reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}), better than its σ′(0) = 1/4 per-layer shrinkage suggests at this depth.`,
  },
  {
    id: 'relu-he',
    title: 'ReLU + He init',
    byDefault: true,
    changes: { activation: 'relu', init: 'he' },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim: 'He et al. (2015): ReLU with Var(w) = 2/n keeps the signal and gradient variance constant across layers, so deep rectifier nets train.',
    },
    explain: (r, agrees) =>
      agrees
        ? undefined
        : `ReLU + He init reached ${pct(r.testAccuracy)} (verdict ${r.verdict}, train loss ${num(r.trainLoss)}): the gradients are well scaled (${ratioText(r)}) but a deep plain net optimizes more slowly than a shallow or residual one (He et al. 2016's degradation problem); more steps (--steps) get it past 90%.`,
  },
  {
    id: 'batchnorm',
    title: '+ BatchNorm (lr ×10)',
    byDefault: true,
    changes: { norm: 'batch', lr: BASE_LR * 10 },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'Ioffe & Szegedy (2015): normalizing each unit over the batch before the nonlinearity keeps sigmoid units out of saturation and lets the learning rate be raised (their §4.2.1 raises it, here ×10), so the deep sigmoid net trains.',
    },
    explain: (r, agrees) =>
      agrees
        ? `BatchNorm runs at learning rate ${num(r.config.lr)} instead of ${BASE_LR}, as Ioffe & Szegedy (2015, §4.2.1) raise it for BN networks. At the baseline's rate (gradient-lab compare --only batchnorm-same-lr) its gradients are just as healthy and it lands near 90% in a run this short, above or below depending on the run.`
        : `BatchNorm reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}, train loss ${num(r.trainLoss)}).`,
  },
  {
    id: 'batchnorm-same-lr',
    title: '+ BatchNorm (baseline lr)',
    byDefault: false,
    changes: { norm: 'batch' },
    expect: {
      verdicts: ['healthy'],
      claim: 'Ioffe & Szegedy (2015): BatchNorm alone, at the baseline’s learning rate, already restores the gradient flow.',
    },
  },
  {
    id: 'residual',
    title: '+ residual + LayerNorm',
    byDefault: true,
    changes: { residual: true, norm: 'layer' },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'He et al. (2016), Ba et al. (2016): identity shortcuts give the gradient a path around every block and normalization keeps each block’s input well scaled, so the deep net trains even with sigmoid units and the naive initialization.',
    },
    explain: (r, agrees) => (agrees ? undefined : `Residual blocks with LayerNorm reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}).`),
  },
  {
    id: 'adam',
    title: '+ Adam',
    byDefault: true,
    changes: { optimizer: 'adam', lr: 1e-3 },
    expect: {
      verdicts: ['vanishing'],
      claim:
        'Kingma & Ba (2015) rescale each parameter’s step by its gradient’s running RMS, which helps layers with small gradients but does not change how the gradient flows through the layers.',
    },
    explain: (r) =>
      r.testAccuracy < CHANCE
        ? `Adam does not rescue the baseline: it divides by √v̂ + ε with ε = 1e-8, and the lowest layers' gradients are far below ε (${ratioText(r)}), so their steps stay ≈ 0; worse, the forward signal has collapsed too — the differences between inputs are scaled by the same tiny factor and drown in float32 rounding of activations ≈ 0.5 — so the upper layers see nearly the same features for every digit.`
        : `Adam reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}): its per-parameter rescaling lets the layers whose gradients are still above ε = 1e-8 learn despite the vanishing gradient.`,
  },
  {
    id: 'rmsprop',
    title: '+ RMSprop',
    byDefault: false,
    changes: { optimizer: 'rmsprop', lr: 1e-3 },
    expect: {
      verdicts: ['vanishing'],
      claim: 'Tieleman & Hinton (2012): RMSprop divides each step by the gradient’s running RMS, like Adam without momentum.',
    },
    explain: (r) =>
      r.testAccuracy < CHANCE
        ? `RMSprop fails for the same reason as Adam: the lowest layers' gradients are below ε and the forward signal has collapsed (${ratioText(r)}).`
        : `RMSprop reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}).`,
  },
  {
    id: 'relu-he-adamw',
    title: 'ReLU + He, AdamW',
    byDefault: true,
    changes: { activation: 'relu', init: 'he', optimizer: 'adamw', lr: 1e-3 },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'Loshchilov & Hutter (2019): Adam with decoupled weight decay, at its usual rate, trains the healthy net; the reference for the two optimizers below at the same budget.',
    },
    explain: (r) => `AdamW 1e-3: train loss ${num(r.trainLoss)}, test accuracy ${pct(r.testAccuracy)} (verdict ${r.verdict}).`,
  },
  {
    id: 'relu-he-muon',
    title: 'ReLU + He, Muon + AdamW',
    byDefault: true,
    changes: { activation: 'relu', init: 'he', optimizer: 'muon', lr: 0.02 },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'Jordan (2024), Liu et al. (2025): Muon (orthogonalized momentum, Newton–Schulz) for the hidden matrices, AdamW for the first layer, the head and the biases, trains at least as well as AdamW in the same number of steps.',
    },
    explain: (r) =>
      `Muon 0.02 on the 9 hidden 64×64 matrices, AdamW 1e-3 on the rest: train loss ${num(r.trainLoss)}, test accuracy ${pct(r.testAccuracy)} (verdict ${r.verdict}).`,
  },
  {
    id: 'relu-he-schedule-free',
    title: 'ReLU + He, schedule-free AdamW',
    byDefault: true,
    changes: { activation: 'relu', init: 'he', optimizer: 'scheduleFreeAdamW', lr: 0.0025 },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'Defazio et al. (2024): schedule-free AdamW at its default rate, without a schedule, trains as well as AdamW; the net is evaluated at the averaged point x (Optimizer.eval()).',
    },
    explain: (r) => `Schedule-free AdamW 0.0025, evaluated at x: train loss ${num(r.trainLoss)}, test accuracy ${pct(r.testAccuracy)} (verdict ${r.verdict}).`,
  },
  {
    id: 'schedule',
    title: '+ one-cycle LR schedule',
    byDefault: true,
    changes: { schedule: 'onecycle', lr: BASE_LR * 10 },
    expect: {
      verdicts: ['vanishing'],
      maxAccuracy: CHANCE,
      claim:
        'A schedule (here Smith & Topin 2019’s one-cycle, peaking at 10× the base rate) scales every layer’s step alike, so it cannot change the first-to-last-layer gradient ratio.',
    },
    explain: (r) =>
      r.testAccuracy < CHANCE
        ? `A learning-rate schedule does not fix vanishing gradients: it multiplies every layer's step by the same factor, so the ratio between the first and last layers' gradients stays where it was (${ratioText(r)}).`
        : `The one-cycle schedule reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}): its large peak rate let the layers whose gradients are not negligible learn.`,
  },
  {
    id: 'tanh-glorot',
    title: 'tanh + Glorot init',
    byDefault: false,
    changes: { activation: 'tanh', init: 'glorot' },
    expect: {
      verdicts: ['healthy'],
      claim: 'Glorot & Bengio (2010): tanh with the normalized initialization keeps activation and gradient variances roughly constant across layers.',
    },
  },
  {
    id: 'layernorm',
    title: '+ LayerNorm (no residual)',
    byDefault: false,
    changes: { norm: 'layer' },
    expect: {
      verdicts: ['vanishing'],
      maxAccuracy: CHANCE,
      claim:
        'A remedy check: LayerNorm (Ba et al. 2016) normalizes each sample across its units; without identity shortcuts the deep sigmoid net is expected to stay vanishing, which is why the diagnostics offer BatchNorm, or residual blocks with LayerNorm, for vanishing gradients, and not LayerNorm alone.',
    },
    explain: (r, agrees) =>
      agrees
        ? `LayerNorm alone does not rescue the deep sigmoid net (${ratioText(r)}); with residual blocks it does (see + residual + LayerNorm).`
        : `LayerNorm alone reached ${pct(r.testAccuracy)} (verdict ${r.verdict}; ${ratioText(r)}).`,
  },
  {
    id: 'relu-batchnorm',
    title: 'ReLU + BatchNorm (naive init)',
    byDefault: false,
    changes: { activation: 'relu', norm: 'batch' },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'Ioffe & Szegedy (2015, §3.3): BatchNorm makes the network insensitive to the scale of the weights, so the naive initialization that leaves ReLU vanishing (with dead units) trains once each layer is normalized.',
    },
  },
  {
    id: 'exploding',
    title: 'exploding: ReLU + He×2 init',
    byDefault: true,
    changes: { activation: 'relu', init: 'he', initScale: 2 },
    expect: {
      verdicts: ['exploding'],
      maxAccuracy: CHANCE,
      claim:
        'He et al. (2015): weights larger than Var(w) = 2/n multiply the signal by the same factor at every layer (here 2^depth), so activations and gradients explode and SGD diverges.',
    },
    explain: (r, agrees) =>
      agrees
        ? `Doubling He init multiplies the signal by 2 at every layer, the logits by about 2^${r.config.depth}: the first loss is ${num(r.lossCurve[0]?.loss)} instead of ln 10 ≈ 2.3, the verdict is ${r.initialVerdict ?? '–'} from step 0 (first/last ‖∂L/∂h‖ ${num(r.tapRatio)}), the first SGD steps overshoot and the run ${r.diverged ? `became NaN after ${r.stepsTaken} steps` : 'never recovered'}.`
        : `The exploding configuration came out ${r.verdict} with ${pct(r.testAccuracy)} (${ratioText(r)}).`,
  },
  {
    id: 'exploding-clip',
    title: 'exploding + clipByGlobalNorm(1)',
    byDefault: true,
    changes: { activation: 'relu', init: 'he', initScale: 2, clip: 1 },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: 0.8,
      claim:
        'Pascanu et al. (2013): rescaling the gradient to a maximum norm bounds every step, so the huge first gradients cannot throw the weights away and training proceeds.',
    },
    explain: (r, agrees) =>
      `Clipping the global norm to 1 bounds every step, so the huge first gradients (verdict at step 0: ${r.initialVerdict ?? '–'}) shrink the weights gradually instead of throwing them away; the run ends ${r.finalVerdict ?? r.verdict} at ${pct(r.testAccuracy)}. ${
        agrees
          ? 'Clipping treats the symptom: the net starts 2^depth too large and spends its first steps shrinking, so it ends a little below ReLU + He init; fixing the initialization is the cure.'
          : 'It did not reach the accuracy of a well-initialized net in this run.'
      }`,
  },
  {
    id: 'exploding-batchnorm',
    title: 'exploding + BatchNorm',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', initScale: 2, norm: 'batch' },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim: 'Ioffe & Szegedy (2015, §3.3): BN(W·u) = BN((aW)·u), so weights twice too large change nothing once each layer is batch-normalized.',
    },
  },
  {
    id: 'exploding-layernorm',
    title: 'exploding + LayerNorm',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', initScale: 2, norm: 'layer' },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'Ba et al. (2016, §5.1): LayerNorm is invariant to re-scaling the weight matrix, so the doubled initialization no longer multiplies the signal from layer to layer.',
    },
  },
  {
    id: 'exploding-lr',
    title: 'exploding, lr ÷10',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', initScale: 2, lr: BASE_LR / 10 },
    expect: {
      verdicts: ['exploding', 'nonfinite'],
      maxAccuracy: CHANCE,
      claim:
        'A remedy check: a smaller learning rate scales every step down, but the logits are already about 2^depth too large at step 0 and the gradients as large, so the first steps are still expected to overshoot. The diagnostics do not offer a lower learning rate for exploding gradients for this reason.',
    },
    explain: (r) => {
      const late = r.lossCurve.filter((p) => p.step >= 10).map((p) => p.loss);
      const stuck = late.length > 0 && late.every((l) => Math.abs(l - Math.LN10) < 0.1);
      const nanFrom = r.reports.find((report) => report.verdict === 'nonfinite')?.step;
      return `At lr ${num(r.config.lr)} the first steps still overshoot (verdict ${r.initialVerdict ?? '–'} at step 0; ${seenIn(r, 'exploding')})${
        nanFrom === undefined ? '' : `, and the reports from step ${nanFrom} on find NaN weights`
      }; the run ${
        r.diverged
          ? `became NaN after ${r.stepsTaken} steps`
          : stuck
            ? 'never had a NaN loss but stayed at chance: loss ≈ ln 10 ≈ 2.3 from step 10 on'
            : `ended at ${pct(r.testAccuracy)}`
      } (${pct(r.testAccuracy)}).`;
    },
  },
  {
    id: 'exploding-warmup',
    title: 'exploding, warm-up + cosine',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', initScale: 2, schedule: 'warmup-cosine' },
    expect: {
      verdicts: ['exploding', 'nonfinite'],
      maxAccuracy: CHANCE,
      claim:
        'A remedy check: a warm-up (Goyal et al. 2017) starts from a small learning rate, which does not shrink gradients that are about 2^depth too large from the first step; the run is expected to diverge as without it.',
    },
  },
  {
    id: 'large-lr',
    title: 'ReLU + He, lr ×100',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', lr: BASE_LR * 100 },
    expect: {
      verdicts: ['exploding', 'nonfinite'],
      maxAccuracy: CHANCE,
      findings: ['largeUpdates'],
      claim:
        'A remedy check: the update of plain SGD is proportional to the learning rate, so at 100× the base rate the well-initialized ReLU net takes steps as large as its weights (‖u‖/‖θ‖ ≈ 1, where about 1e-3 is typical) and is expected to diverge, where ReLU + He init at the base rate trains.',
    },
    explain: (r) =>
      `At learning rate ${num(r.config.lr)} the updates are ${ratioRange(r)} (${seenIn(r, 'largeUpdates')}) and the run ${ending(r)}; ReLU + He init, the same network at ${BASE_LR}, trains. For large updates with healthy gradients the diagnostics offer a lower learning rate.`,
  },
  {
    id: 'large-lr-clip',
    title: 'lr ×100 + clipByGlobalNorm(1)',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', lr: BASE_LR * 100, clip: 1 },
    expect: {
      verdicts: ['vanishing', 'exploding', 'nonfinite'],
      maxAccuracy: CHANCE,
      claim:
        'A remedy check: clipping bounds ‖g‖, but each step is still the learning rate times a gradient of norm up to 1, far larger than the weights allow at 100× the base rate; clipping is therefore not offered for large updates.',
    },
    explain: (r) =>
      `With the gradients clipped to norm 1, lr ${num(r.config.lr)} still gives ${ratioRange(r)}; the run ${ending(r)} (verdict ${r.verdict}, ${seenIn(r, 'deadUnits')}).`,
  },
  {
    id: 'large-lr-warmup',
    title: 'lr ×100, warm-up + cosine',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', lr: BASE_LR * 100, schedule: 'warmup-cosine' },
    expect: {
      verdicts: ['exploding', 'nonfinite'],
      maxAccuracy: CHANCE,
      claim:
        'A remedy check: a warm-up (Goyal et al. 2017) only delays the large rate; once it reaches 100× the base rate the steps are as large as without it, so a warm-up is not offered for large updates.',
    },
    explain: (r) => `The warm-up keeps the first steps small, then the rate reaches ${num(r.config.lr)} and the run ${ending(r)} (${ratioRange(r)}).`,
  },
  {
    id: 'tiny-lr',
    title: 'ReLU + He, lr ÷10⁶',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', lr: BASE_LR / 1e6 },
    expect: {
      verdicts: ['healthy'],
      maxAccuracy: CHANCE,
      findings: ['smallUpdates'],
      claim:
        'A remedy check: with healthy gradients and a learning rate a million times too small, every update is below 1e-7 of its weights, about what float32 can resolve, and the net is expected not to learn; at the base rate (ReLU + He init) it trains.',
    },
    explain: (r) =>
      `The gradients are healthy (verdict ${r.verdict}) but the updates are ${ratioRange(r)} (${seenIn(r, 'smallUpdates')}), and the net ${ending(r)}; at lr ${BASE_LR} it trains. For small updates with healthy gradients the diagnostics offer a higher learning rate (with vanishing gradients, the vanishing remedies).`,
  },
  {
    id: 'tanh-small',
    title: 'tanh, N(0, 0.01²) init',
    byDefault: false,
    changes: { activation: 'tanh', init: 'small' },
    expect: {
      verdicts: ['vanishing'],
      maxAccuracy: CHANCE,
      findings: ['smallUpdates'],
      claim:
        'A remedy check: tanh has slope 1 at 0, so with weights of std 0.01 each layer scales the signal by √(n·Var(w)) = √(64·10⁻⁴) = 0.08 and ten layers make the gradient vanish; Glorot’s initialization (tanh + Glorot init) is expected to fix it, which is why it is offered for the tanh layers of a vanishing net.',
    },
    explain: (r) =>
      `Weights of std 0.01 shrink the signal 0.08× per tanh layer: verdict ${r.verdict} (${ratioText(r)}, ${seenIn(r, 'smallUpdates')}), ${pct(r.testAccuracy)}; tanh + Glorot init (--only tanh-glorot) trains. (With the naive U(±1/√n) init, tanh is not vanishing at this depth: gradient-lab run --activation tanh.)`,
  },
  {
    id: 'tanh-saturated',
    title: 'tanh, He×2 init',
    byDefault: false,
    changes: { activation: 'tanh', init: 'he', initScale: 2 },
    expect: {
      verdicts: ['healthy'],
      findings: ['saturation'],
      claim:
        'A remedy check: weights of variance 8/n give tanh pre-activations of std about 2√2, so most outputs sit near ±1 where tanh′ ≈ 0 (saturation, LeCun et al. 1998); tanh + Glorot init, ReLU + He init and BatchNorm are expected to keep them out of it.',
    },
    explain: (r) => `tanh with He×2 weights: ${seenIn(r, 'saturation')}, verdict ${r.verdict}, ${pct(r.testAccuracy)}.`,
  },
  {
    id: 'tanh-saturated-batchnorm',
    title: 'tanh, He×2 + BatchNorm',
    byDefault: false,
    changes: { activation: 'tanh', init: 'he', initScale: 2, norm: 'batch' },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      noFindings: ['saturation'],
      claim:
        'A remedy check: BatchNorm before each tanh gives its input zero mean and unit variance whatever the weights’ scale (Ioffe & Szegedy 2015, §3.3), so the units leave saturation; it is offered for saturated layers.',
    },
    explain: (r) => `With BatchNorm before each tanh: ${seenIn(r, 'saturation')}, verdict ${r.verdict}, ${pct(r.testAccuracy)}.`,
  },
  {
    id: 'corrupt',
    title: 'ReLU + He, a NaN pixel every 40 batches',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', corruptEvery: 40 },
    expect: {
      verdicts: ['nonfinite'],
      maxAccuracy: CHANCE,
      claim:
        'One NaN in the input makes every gradient of its batch NaN, and one unguarded step turns every parameter into NaN, from which training never recovers (as in PyTorch).',
    },
  },
  {
    id: 'corrupt-guard',
    title: 'the same + applyIfFinite',
    byDefault: false,
    changes: { activation: 'relu', init: 'he', corruptEvery: 40, guard: true },
    expect: {
      verdicts: ['healthy'],
      minAccuracy: TRAINS,
      claim:
        'optax.apply_if_finite: a step whose gradients are not finite is skipped (parameters and optimizer state unchanged), so the corrupt batches cost a step each and training proceeds.',
    },
  },
];

/** The ids of the experiments `compare` runs by default. */
export const DEFAULT_IDS: readonly string[] = EXPERIMENTS.filter((e) => e.byDefault).map((e) => e.id);

/** The configuration of an experiment under the comparison's settings. */
export function experimentConfig(e: Experiment, s: MatrixSettings): LabConfig {
  return { ...DEFAULT_CONFIG, lr: BASE_LR, ...s, ...e.changes, name: e.title };
}

/** Whether a result agrees with what the literature expects of it. */
export function agreesWith(expect: Expectation, r: TrainResult): boolean {
  return (
    expect.verdicts.includes(r.verdict) &&
    (expect.minAccuracy === undefined || r.testAccuracy >= expect.minAccuracy) &&
    (expect.maxAccuracy === undefined || r.testAccuracy <= expect.maxAccuracy) &&
    (expect.findings ?? []).every((kind) => reportsWith(r, kind) > 0) &&
    (expect.noFindings ?? []).every((kind) => reportsWith(r, kind) === 0)
  );
}

/** The experiments with these ids, in matrix order; throws a RangeError naming the unknown ones. */
export function selectExperiments(ids: readonly string[] | undefined): Experiment[] {
  if (ids === undefined) return EXPERIMENTS.filter((e) => e.byDefault);
  const known = new Set(EXPERIMENTS.map((e) => e.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new RangeError(`unknown experiment${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}`);
  return EXPERIMENTS.filter((e) => ids.includes(e.id));
}
