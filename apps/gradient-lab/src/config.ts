// What one experiment is: the network, its initialization, normalization, optimizer, schedule and
// clipping. Shared by the command-line parser, the experiment matrix and the playground (through the
// browser-safe entry `@gradkit/gradient-lab/model`): no Node imports here.
import { checkNumberOption, checkOptions, describeValue, HyperParameterError } from '@gradkit/core';
import { optimizerNames } from '@gradkit/optimizers';

/** Pixels per image (28 × 28), the length of a flattened sample: the network's input width. */
export const PIXELS = 784;
/** Number of classes (the digits 0–9): the network's output width. */
export const CLASSES = 10;

/** Backends the CLI accepts (`auto` tries webgpu → wasm → cpu, skipping a software WebGPU adapter). */
export const BACKENDS = ['auto', 'cpu', 'wasm', 'webgpu'] as const;
/** A backend choice of the CLI. */
export type BackendFlag = (typeof BACKENDS)[number];

/** Activations of the hidden layers (names of `@gradkit/activations`). */
export const ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'selu', 'gelu', 'silu', 'softsign'] as const;
/** A hidden-layer activation. */
export type ActivationFlag = (typeof ACTIVATIONS)[number];

/**
 * Weight initializations. `naive` is the "standard" initialization of Glorot & Bengio (2010, eq. 1),
 * W ~ U(−1/√n, 1/√n) with n the fan-in (PyTorch's `nn.Linear` default has the same bound);
 * `small` is N(0, 0.01²); the others are `@gradkit/initializers`' glorotUniform, heNormal,
 * lecunNormal and orthogonal. `--init-scale` multiplies any of them.
 */
export const INITS = ['naive', 'small', 'glorot', 'he', 'lecun', 'orthogonal'] as const;
/** A weight initialization. */
export type InitFlag = (typeof INITS)[number];

/** Normalization after each hidden dense layer (before its activation), or before each residual branch. */
export const NORMS = ['none', 'batch', 'layer'] as const;
/** A normalization choice. */
export type NormFlag = (typeof NORMS)[number];

/** Learning-rate schedules over the run's steps (from `@gradkit/schedules`), the base rate being `--lr`. */
export const SCHEDULES = ['constant', 'cosine', 'warmup-cosine', 'onecycle', 'step', 'exponential'] as const;
/** A learning-rate schedule. */
export type ScheduleFlag = (typeof SCHEDULES)[number];

/** `momentum` is SGD with momentum 0.9; every other name is an optimizer of `@gradkit/optimizers`. */
export function optimizerChoices(): string[] {
  return ['momentum', ...optimizerNames()];
}

/** One training configuration without its name: what builds the network, the optimizer and the run. */
export interface TrainingConfig {
  /** Number of hidden layers (each a dense layer followed by the activation). */
  readonly depth: number;
  /** Units per hidden layer. */
  readonly width: number;
  /** The hidden layers' activation. */
  readonly activation: ActivationFlag;
  /** The weight initialization of every dense layer. */
  readonly init: InitFlag;
  /** Factor applied to the initial weights (1: the initializer as it is; 2: twice as large). */
  readonly initScale: number;
  /** Normalization layers. */
  readonly norm: NormFlag;
  /** Residual blocks y = x + f(x) instead of a plain stack (the first hidden layer stays plain: it maps 784 → width). */
  readonly residual: boolean;
  /** The optimizer's name (see `optimizerChoices`). */
  readonly optimizer: string;
  /** The base learning rate. */
  readonly lr: number;
  /** The learning-rate schedule. */
  readonly schedule: ScheduleFlag;
  /** clipByGlobalNorm's maximum norm, or 0 for no clipping. */
  readonly clip: number;
  /** Wrap the optimizer in `applyIfFinite` (skip steps whose gradients hold NaN or ±Infinity). Default false. */
  readonly guard?: boolean;
  /** Put a NaN pixel into every `corruptEvery`-th training batch (steps corruptEvery − 1, 2·corruptEvery − 1 …), a corrupt input; 0 or absent: none. The CLI's training loop only. */
  readonly corruptEvery?: number;
  /** Training steps (minibatches). */
  readonly steps: number;
  /** Samples per minibatch. */
  readonly batch: number;
  /** Seed of the weights and the batch order. */
  readonly seed: number;
}

/** One training configuration of the lab: a `TrainingConfig` with a name. */
export interface LabConfig extends TrainingConfig {
  /** A short name for tables and reports. */
  readonly name: string;
}

/** The defaults of `gradient-lab run` (the vanishing baseline of the experiment matrix). */
export const DEFAULT_CONFIG: LabConfig = {
  name: 'run',
  depth: 10,
  width: 64,
  activation: 'sigmoid',
  init: 'naive',
  initScale: 1,
  norm: 'none',
  residual: false,
  optimizer: 'momentum',
  lr: 0.05,
  schedule: 'constant',
  clip: 0,
  steps: 500,
  batch: 128,
  seed: 1,
};

/** The keys of a `TrainingConfig`. */
export const TRAINING_KEYS: readonly (keyof TrainingConfig)[] = [
  'depth',
  'width',
  'activation',
  'init',
  'initScale',
  'norm',
  'residual',
  'optimizer',
  'lr',
  'schedule',
  'clip',
  'guard',
  'corruptEvery',
  'steps',
  'batch',
  'seed',
];

const EXAMPLE = "{ ...DEFAULT_CONFIG, activation: 'relu', init: 'he' }";

/**
 * Checks a configuration before anything is built from it: every key must be one of `TrainingConfig`
 * (plus `name` for a `LabConfig`), every value of the right kind and range. An unknown key is an
 * UnknownOptionError that suggests the closest name (`learningRate` → `lr`), never a silent default.
 *
 * @throws UnknownOptionError for an unknown key; HyperParameterError naming a missing or bad value.
 */
export function checkTrainingConfig(what: string, config: TrainingConfig | LabConfig): void {
  const c = checkOptions(what, config, [...TRAINING_KEYS, 'name'], { example: EXAMPLE, required: true }) as unknown as Record<string, unknown>;
  const fail = (key: string, expected: string): never => {
    const v = c[key];
    throw new HyperParameterError(key, `${what}: ${key} must be ${expected}, got ${v === undefined ? 'nothing' : describeValue(v)}`);
  };
  const oneOf = (key: string, values: readonly string[]) => {
    if (!values.includes(c[key] as string)) fail(key, `one of ${values.join(', ')}`);
  };
  const number = (key: string, min: number, integer: boolean, optional = false) => {
    const v = c[key];
    if (optional && v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isSafeInteger(v)))
      fail(key, `${integer ? 'a whole number' : 'a number'} ≥ ${min}`);
  };
  for (const [key, min] of [
    ['depth', 1],
    ['width', 1],
    ['steps', 1],
    ['batch', 1],
    ['seed', 0],
  ] as const)
    number(key, min, true);
  number('corruptEvery', 0, true, true);
  // A number float32 can hold (the weights and the learning rate are float32 on every backend).
  for (const key of ['initScale', 'lr', 'clip'])
    try {
      checkNumberOption(key, c[key], { min: 0, minExclusive: key !== 'clip' });
    } catch (e) {
      throw new HyperParameterError(key, `${what}: ${(e as Error).message}`);
    }
  oneOf('activation', ACTIVATIONS);
  oneOf('init', INITS);
  oneOf('norm', NORMS);
  oneOf('schedule', SCHEDULES);
  oneOf('optimizer', optimizerChoices());
  if (typeof c.residual !== 'boolean') fail('residual', 'true or false');
  if (c.guard !== undefined && typeof c.guard !== 'boolean') fail('guard', 'true or false');
  if (c.name !== undefined && typeof c.name !== 'string') fail('name', 'a string');
}

/** The configuration as a short flag line, e.g. `--depth 20 --activation relu --init he …`. */
export function describeConfig(c: TrainingConfig): string {
  const parts = [
    `depth ${c.depth}×${c.width}`,
    c.activation,
    c.initScale === 1 ? `${c.init} init` : `${c.init}×${c.initScale} init`,
    ...(c.norm === 'none' ? [] : [c.norm === 'batch' ? 'BatchNorm' : 'LayerNorm']),
    ...(c.residual ? ['residual'] : []),
    `${c.optimizer} lr ${c.lr}`,
    ...(c.schedule === 'constant' ? [] : [`${c.schedule} schedule`]),
    ...(c.clip > 0 ? [`clipByGlobalNorm(${c.clip})`] : []),
    ...(c.guard ? ['applyIfFinite'] : []),
    ...(c.corruptEvery ? [`a NaN pixel every ${c.corruptEvery} batches`] : []),
  ];
  return parts.join(', ');
}
