// One training configuration of the playground: the gradient lab's `LabConfig` (apps/gradient-lab,
// src/config.ts) with the same names, values and defaults, and the lab's experiments as presets.
// Pure data and checks: shared by the page (controls) and the worker (training).

/** Backends the page offers, fastest first. */
export const BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
/** A backend name. */
export type BackendName = (typeof BACKENDS)[number];

/** Hidden-layer activations (names of `@gradkit/activations`, as in gradient-lab). */
export const ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'selu', 'gelu', 'silu', 'softsign'] as const;
/** A hidden-layer activation. */
export type Activation = (typeof ACTIVATIONS)[number];

/** Weight initializations: `naive` = U(±1/√fan-in) (Glorot & Bengio 2010), `small` = N(0, 0.01²), the rest from `@gradkit/initializers`. */
export const INITS = ['naive', 'small', 'glorot', 'he', 'lecun', 'orthogonal'] as const;
/** A weight initialization. */
export type Init = (typeof INITS)[number];

/** Normalization between each dense layer and its activation (or before each residual branch). */
export const NORMS = ['none', 'batch', 'layer'] as const;
/** A normalization. */
export type Norm = (typeof NORMS)[number];

/** Learning-rate schedules over the run's steps (from `@gradkit/schedules`), peaking at the learning rate. */
export const SCHEDULES = ['constant', 'cosine', 'warmup-cosine', 'onecycle', 'step', 'exponential'] as const;
/** A schedule. */
export type ScheduleName = (typeof SCHEDULES)[number];

/** One training configuration (gradient-lab's LabConfig without the name). */
export interface PlaygroundConfig {
  /** Hidden layers. */
  depth: number;
  /** Units per hidden layer. */
  width: number;
  /** Hidden-layer activation. */
  activation: Activation;
  /** Weight initialization of every dense layer. */
  init: Init;
  /** Factor on the initial weights (2 with He init explodes). */
  initScale: number;
  /** Normalization layers. */
  norm: Norm;
  /** Residual blocks x + act(dense(norm(x))) after a plain first layer. */
  residual: boolean;
  /** `momentum` (SGD, momentum 0.9) or an optimizer name of `@gradkit/optimizers`. */
  optimizer: string;
  /** Base (peak) learning rate. */
  lr: number;
  /** Learning-rate schedule. */
  schedule: ScheduleName;
  /** clipByGlobalNorm's maximum norm; 0 = no clipping. */
  clip: number;
  /** Training steps. */
  steps: number;
  /** Samples per minibatch. */
  batch: number;
  /** Seed of the weights and of the batch order. */
  seed: number;
}

/** The gradient lab's baseline (`gradient-lab run` defaults), with fewer steps so a run takes seconds. */
export const DEFAULT_CONFIG: PlaygroundConfig = {
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
  steps: 200,
  batch: 64,
  seed: 1,
};

/** A preset: one of the gradient lab's experiments (`gradient-lab compare`). */
export interface Preset {
  /** Id, as in gradient-lab (`baseline`, `relu-he` …). */
  readonly id: string;
  /** Button label. */
  readonly title: string;
  /** What the literature expects. */
  readonly expect: string;
  /** Changes to the baseline. */
  readonly changes: Partial<PlaygroundConfig>;
}

/** The gradient lab's experiment matrix, as presets over the baseline. */
export const PRESETS: readonly Preset[] = [
  { id: 'baseline', title: 'Sigmoid, naive init', expect: 'vanishing (Glorot & Bengio 2010)', changes: {} },
  { id: 'relu', title: '+ ReLU (naive init)', expect: 'still vanishing at depth 10 (He et al. 2015, eq. 10)', changes: { activation: 'relu' } },
  { id: 'glorot', title: '+ Glorot init (sigmoid)', expect: "still vanishing: sigmoid's slope is 1/4", changes: { init: 'glorot' } },
  { id: 'relu-he', title: 'ReLU + He init', expect: 'healthy, trains (He et al. 2015)', changes: { activation: 'relu', init: 'he' } },
  { id: 'batchnorm', title: '+ BatchNorm (lr ×10)', expect: 'healthy (Ioffe & Szegedy 2015)', changes: { norm: 'batch', lr: 0.5 } },
  { id: 'residual', title: '+ residual + LayerNorm', expect: 'healthy (He et al. 2016; Ba et al. 2016)', changes: { residual: true, norm: 'layer' } },
  { id: 'adam', title: '+ Adam (lr 1e-3)', expect: 'rescales steps; does not fix the flow', changes: { optimizer: 'adam', lr: 1e-3 } },
  { id: 'exploding', title: 'ReLU + He×2 init', expect: 'exploding, diverges (He et al. 2015)', changes: { activation: 'relu', init: 'he', initScale: 2 } },
  {
    id: 'exploding-clip',
    title: 'ReLU + He×2 + clipByGlobalNorm(1)',
    expect: 'trains (Pascanu et al. 2013)',
    changes: { activation: 'relu', init: 'he', initScale: 2, clip: 1 },
  },
];

/** Bounds of the numeric controls. */
export const LIMITS = {
  depth: { min: 1, max: 200, integer: true },
  width: { min: 1, max: 16384, integer: true },
  initScale: { min: 0.001, max: 100, integer: false },
  lr: { min: 1e-7, max: 1e4, integer: false },
  clip: { min: 0, max: 1e6, integer: false },
  steps: { min: 1, max: 100_000, integer: true },
  batch: { min: 1, max: 4096, integer: true },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true },
} as const satisfies Partial<Record<keyof PlaygroundConfig, { min: number; max: number; integer: boolean }>>;

/** Problems with a configuration, one sentence each (empty when it is valid). */
export function validateConfig(c: PlaygroundConfig, optimizers: readonly string[]): string[] {
  const problems: string[] = [];
  for (const [field, { min, max, integer }] of Object.entries(LIMITS)) {
    const v = c[field as keyof typeof LIMITS];
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${field} must be a number (got ${String(v)})`);
    else if (integer && !Number.isInteger(v)) problems.push(`${field} must be a whole number (got ${v})`);
    else if (v < min || v > max) problems.push(`${field} must be between ${min} and ${max} (got ${v})`);
  }
  if (!ACTIVATIONS.includes(c.activation)) problems.push(`unknown activation ${String(c.activation)}`);
  if (!INITS.includes(c.init)) problems.push(`unknown initialization ${String(c.init)}`);
  if (!NORMS.includes(c.norm)) problems.push(`unknown normalization ${String(c.norm)}`);
  if (!SCHEDULES.includes(c.schedule)) problems.push(`unknown schedule ${String(c.schedule)}`);
  if (!optimizers.includes(c.optimizer)) problems.push(`unknown optimizer ${String(c.optimizer)}`);
  return problems;
}

/** Pixels per image and classes: the network maps 784 → … → 10. */
export const PIXELS = 784;
/** Number of classes. */
export const CLASSES = 10;

/** Number of trainable parameters of the configuration's network. */
export function parameterCount(c: Pick<PlaygroundConfig, 'depth' | 'width' | 'norm'>): number {
  const w = c.width;
  const dense = (PIXELS + 1) * w + (c.depth - 1) * (w + 1) * w + (w + 1) * CLASSES;
  const norms = c.norm === 'none' ? 0 : 2 * w * (c.depth + 1);
  return dense + norms;
}

/** Per-parameter slots of the optimizers (state tensors the size of the parameters); 2 when unknown. */
const SLOTS: Record<string, number> = {
  momentum: 1,
  sgd: 1,
  adam: 2,
  adamw: 2,
  nadam: 2,
  radam: 2,
  adamax: 2,
  amsgrad: 3,
  lion: 1,
  lamb: 2,
  rmsprop: 1,
  adagrad: 1,
  adadelta: 2,
};

/**
 * Rough device memory of a training step in bytes (float32): parameters, gradients, optimizer slots
 * and update temporaries, the activations of the forward and backward passes, and the data.
 */
export function estimateBytes(c: PlaygroundConfig): number {
  const p = parameterCount(c);
  const slots = SLOTS[c.optimizer] ?? 2;
  const activations = c.batch * c.width * (c.depth + 1) * (c.norm === 'none' ? 4 : 8);
  const data = 2004 * PIXELS + c.batch * (PIXELS + CLASSES);
  return 4 * (p * (4 + slots) + activations + data);
}

/** Largest estimated training memory the page accepts before starting (browsers hold a few GB at most; wasm32 addresses 4 GB). */
export const MEMORY_LIMIT_BYTES = 1.5 * 2 ** 30;

/** Bytes as text, e.g. `1.2 GB`. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}

/** The configuration as a short line, e.g. `depth 10×64, sigmoid, naive init, momentum lr 0.05`. */
export function describeConfig(c: PlaygroundConfig): string {
  return [
    `depth ${c.depth}×${c.width}`,
    c.activation,
    c.initScale === 1 ? `${c.init} init` : `${c.init}×${c.initScale} init`,
    ...(c.norm === 'none' ? [] : [c.norm === 'batch' ? 'BatchNorm' : 'LayerNorm']),
    ...(c.residual ? ['residual'] : []),
    `${c.optimizer} lr ${c.lr}`,
    ...(c.schedule === 'constant' ? [] : [`${c.schedule} schedule`]),
    ...(c.clip > 0 ? [`clipByGlobalNorm(${c.clip})`] : []),
    `batch ${c.batch}`,
  ].join(', ');
}
