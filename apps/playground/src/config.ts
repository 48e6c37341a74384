// One training configuration of the playground: the gradient lab's (its browser-safe entry
// `@gradkit/gradient-lab/model`: the same names, values and defaults), the lab's experiments as
// presets, and the page's checks. Pure data: shared by the page (controls) and the worker (training).
import {
  ACTIVATIONS,
  CLASSES,
  describeConfig as describeLabConfig,
  INITS,
  DEFAULT_CONFIG as LAB_DEFAULT,
  NORMS,
  PIXELS,
  SCHEDULES,
  type TrainingConfig,
} from '@gradkit/gradient-lab/model';

export { ACTIVATIONS, CLASSES, INITS, NORMS, PIXELS, SCHEDULES };

/** Backends the page offers, fastest first. */
export const BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
/** A backend name. */
export type BackendName = (typeof BACKENDS)[number];

/** What the page trains: the MNIST MLP of gradient-lab, the adding problem, a deep conv net on MNIST, a small transformer. */
export const TASKS = ['mlp', 'adding', 'cnn', 'transformer'] as const;
/** A task's name. */
export type TaskName = (typeof TASKS)[number];
/** The recurrent cell of the adding task: tanh RNN, IRNN (relu RNN, identity recurrent init; Le et al. 2015), LSTM, GRU. */
export const CELLS = ['tanh', 'irnn', 'lstm', 'gru'] as const;
/** Where a transformer block normalizes: after each residual sum (Post-LN) or before each sub-layer (Pre-LN). */
export const BLOCK_NORMS = ['post', 'pre'] as const;

/** The settings of the sequence and conv tasks, beside gradient-lab's `TrainingConfig`. */
export interface TaskSettings {
  /** What trains. */
  task: TaskName;
  /** The adding task's recurrent cell. */
  cell: (typeof CELLS)[number];
  /** Sequence length: T of the adding problem, the digit-string length of the transformer task. */
  seqLength: number;
  /** The transformer blocks' normalization position. */
  blockNorm: (typeof BLOCK_NORMS)[number];
  /** Linear learning-rate warmup steps of the transformer task (0: none). */
  warmup: number;
}

/** A configuration of the page: gradient-lab's `TrainingConfig` (its `LabConfig` without the name), editable, and the task settings. */
export type PlaygroundConfig = { -readonly [K in keyof TrainingConfig]: TrainingConfig[K] } & TaskSettings;

/** The gradient lab's baseline (`gradient-lab run` defaults), with fewer steps so a run takes seconds; the MLP task. */
export const DEFAULT_CONFIG: PlaygroundConfig = (({ name: _, ...lab }) => ({
  ...lab,
  steps: 200,
  batch: 64,
  task: 'mlp' as TaskName,
  cell: 'tanh' as const,
  seqLength: 50,
  blockNorm: 'post' as const,
  warmup: 0,
}))(LAB_DEFAULT);

/** Each task's starting point over `DEFAULT_CONFIG`: small enough to train interactively on SwiftShader or wasm, smaller than gradient-lab's. */
export const TASK_DEFAULTS: Readonly<Record<TaskName, Partial<PlaygroundConfig>>> = {
  mlp: {},
  // width: the RNN's hidden size. Adam at 1e-2: the rate LSTM/GRU learn the adding problem at in a few hundred steps.
  adding: { task: 'adding', cell: 'tanh', seqLength: 50, width: 32, optimizer: 'adam', lr: 1e-2, steps: 600, batch: 32 },
  // depth: 3×3 conv layers of `width` channels on 7×7 maps (after a stride-2 stem and a 2×2 pool), relu, Keras's default (Glorot) init.
  cnn: { task: 'cnn', depth: 16, width: 8, norm: 'none', residual: false, optimizer: 'momentum', lr: 0.05, steps: 120, batch: 32 },
  // depth: encoder blocks; width: the embedding (4 heads, FFN 2×width); seqLength: digits to reverse.
  transformer: { task: 'transformer', depth: 2, width: 32, seqLength: 8, blockNorm: 'post', warmup: 0, optimizer: 'adam', lr: 3e-3, steps: 300, batch: 32 },
};

/** The controls each task reads (the others do not apply to it and are hidden while it is chosen). */
export const TASK_CONTROLS: Readonly<Record<TaskName, readonly (keyof PlaygroundConfig)[]>> = {
  mlp: ['depth', 'width', 'activation', 'init', 'initScale', 'norm', 'residual', 'optimizer', 'lr', 'schedule', 'clip', 'steps', 'batch', 'seed'],
  adding: ['cell', 'seqLength', 'width', 'optimizer', 'lr', 'schedule', 'clip', 'steps', 'batch', 'seed'],
  cnn: ['depth', 'width', 'norm', 'residual', 'optimizer', 'lr', 'schedule', 'clip', 'steps', 'batch', 'seed'],
  transformer: ['depth', 'width', 'seqLength', 'blockNorm', 'warmup', 'optimizer', 'lr', 'clip', 'steps', 'batch', 'seed'],
};

/** Heads of the transformer task's attention (`width` must be a multiple). */
export const HEADS = 4;

/** A preset: one of the gradient lab's experiments. */
export interface Preset {
  /** Id, as in gradient-lab (`baseline`, `relu-he` …; the other tasks' ids are prefixed with the task, e.g. `adding-lstm`). */
  readonly id: string;
  /** Button label. */
  readonly title: string;
  /** What the literature expects. */
  readonly expect: string;
  /** Changes to the baseline (with the task's defaults, for the tasks other than the MLP). */
  readonly changes: Partial<PlaygroundConfig>;
}

const adding = (changes: Partial<PlaygroundConfig>) => ({ ...TASK_DEFAULTS.adding, ...changes });
const cnn = (changes: Partial<PlaygroundConfig>) => ({ ...TASK_DEFAULTS.cnn, ...changes });
const transformer = (changes: Partial<PlaygroundConfig>) => ({ ...TASK_DEFAULTS.transformer, ...changes });

/** The gradient lab's experiment matrix (the MLP) and its tasks (adding, cnn, transformer), as presets over the baseline. */
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
  {
    id: 'adding-tanh',
    title: 'tanh RNN',
    expect: 'stays at the mean predictor (MSE ≈ 0.167), vanishing through time (Hochreiter & Schmidhuber 1997; Bengio et al. 1994)',
    changes: adding({}),
  },
  {
    id: 'adding-tanh-clip',
    title: 'tanh RNN + clipByGlobalNorm(1)',
    expect: 'clipping bounds the steps but does not carry the gradient back (Pascanu et al. 2013)',
    changes: adding({ clip: 1 }),
  },
  {
    id: 'adding-irnn',
    title: 'IRNN (relu, identity init)',
    expect: 'learns longer dependencies than tanh (Le et al. 2015)',
    changes: adding({ cell: 'irnn', lr: 1e-3 }),
  },
  { id: 'adding-lstm', title: 'LSTM', expect: 'solves it, healthy (Hochreiter & Schmidhuber 1997)', changes: adding({ cell: 'lstm' }) },
  { id: 'adding-gru', title: 'GRU', expect: 'solves it, healthy (Cho et al. 2014)', changes: adding({ cell: 'gru' }) },
  { id: 'cnn-plain', title: 'Deep plain conv net', expect: 'vanishing or degraded at depth 16 (He et al. 2016)', changes: cnn({}) },
  { id: 'cnn-batchnorm', title: '+ BatchNorm', expect: 'trains (Ioffe & Szegedy 2015)', changes: cnn({ norm: 'batch' }) },
  { id: 'cnn-residual', title: '+ residual blocks', expect: 'trains (He et al. 2016)', changes: cnn({ norm: 'batch', residual: true }) },
  {
    id: 'transformer-post-ln',
    title: 'Post-LN, no warmup',
    expect: 'fails or spikes at a high rate without warmup (Xiong et al. 2020)',
    changes: transformer({}),
  },
  {
    id: 'transformer-post-ln-warmup',
    title: 'Post-LN + warmup',
    expect: 'learns (Vaswani et al. 2017; Xiong et al. 2020)',
    changes: transformer({ warmup: 60 }),
  },
  { id: 'transformer-pre-ln', title: 'Pre-LN, no warmup', expect: 'learns without warmup (Xiong et al. 2020)', changes: transformer({ blockNorm: 'pre' }) },
];

/** The task a preset trains. */
export function presetTask(p: Preset): TaskName {
  return p.changes.task ?? 'mlp';
}

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
  seqLength: { min: 2, max: 2000, integer: true },
  warmup: { min: 0, max: 100_000, integer: true },
} as const satisfies Partial<Record<keyof PlaygroundConfig, { min: number; max: number; integer: boolean }>>;

/** The controls of `c` that `c.task` does not read. */
export function inapplicable(task: TaskName, keys: Iterable<string>): string[] {
  const reads: readonly string[] = TASK_CONTROLS[task] ?? [];
  const known = Object.keys(DEFAULT_CONFIG);
  return [...keys].filter((k) => k !== 'task' && known.includes(k) && !reads.includes(k));
}

/** Problems with a configuration, one sentence each (empty when it is valid). Only the controls its task reads are checked. */
export function validateConfig(c: PlaygroundConfig, optimizers: readonly string[]): string[] {
  if (!TASKS.includes(c.task)) return [`unknown task ${String(c.task)} (one of ${TASKS.join(', ')})`];
  const reads: readonly string[] = TASK_CONTROLS[c.task];
  const problems: string[] = [];
  for (const [field, { min, max, integer }] of Object.entries(LIMITS)) {
    if (!reads.includes(field)) continue;
    const v = c[field as keyof typeof LIMITS];
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${field} must be a number (got ${String(v)})`);
    else if (integer && !Number.isInteger(v)) problems.push(`${field} must be a whole number (got ${v})`);
    else if (v < min || v > max) problems.push(`${field} must be between ${min} and ${max} (got ${v})`);
  }
  const oneOf = (field: keyof PlaygroundConfig, values: readonly unknown[], what: string) => {
    if (reads.includes(field) && !values.includes(c[field])) problems.push(`unknown ${what} ${String(c[field])} (one of ${values.join(', ')})`);
  };
  oneOf('activation', ACTIVATIONS, 'activation');
  oneOf('init', INITS, 'initialization');
  oneOf('norm', c.task === 'cnn' ? ['none', 'batch'] : NORMS, 'normalization');
  oneOf('schedule', SCHEDULES, 'schedule');
  oneOf('optimizer', optimizers, 'optimizer');
  oneOf('cell', CELLS, 'cell');
  oneOf('blockNorm', BLOCK_NORMS, 'block normalization');
  if (c.task === 'transformer' && Number.isInteger(c.width) && c.width % HEADS !== 0)
    problems.push(`width must be a multiple of the ${HEADS} attention heads (got ${c.width})`);
  return problems;
}

/** Gate blocks of each recurrent cell. */
const GATES = { tanh: 1, irnn: 1, lstm: 4, gru: 3 } as const;
/** The transformer task's vocabulary: the digits. */
export const DIGITS = 10;

/** Number of trainable parameters of the configuration's network. */
export function parameterCount(c: Pick<PlaygroundConfig, 'depth' | 'width' | 'norm'> & Partial<PlaygroundConfig>): number {
  const w = c.width;
  const norms = c.norm === 'none' ? 0 : 2 * w;
  switch (c.task ?? 'mlp') {
    case 'adding': {
      const g = GATES[c.cell ?? 'tanh'] ?? 4;
      return g * w * (2 + w + (c.cell === 'gru' ? 2 : 1)) + w + 1;
    }
    case 'cnn':
      return 10 * w + c.depth * (9 * w * w + w + norms) + (c.residual && c.norm === 'batch' ? norms : 0) + (w + 1) * CLASSES;
    case 'transformer':
      return (DIGITS + (c.seqLength ?? 0)) * w + c.depth * (8 * w * w + 11 * w) + (w + 1) * DIGITS;
    default:
      return (PIXELS + 1) * w + (c.depth - 1) * (w + 1) * w + (w + 1) * CLASSES + (c.norm === 'none' ? 0 : 2 * w * (c.depth + 1));
  }
}

/** Floats the forward and backward passes hold (activations, taps and their gradients) and the data. */
function activationFloats(c: PlaygroundConfig): number {
  const { batch: b, width: w, depth: d, seqLength: t } = c;
  switch (c.task) {
    case 'adding':
      return b * t * w * (2 * (GATES[c.cell] ?? 4) + 4) + 2 * b * t;
    case 'cnn':
      return b * 49 * w * d * (c.norm === 'none' ? 4 : 8) + 4 * b * 196 * w + 2004 * PIXELS;
    case 'transformer':
      return d * (24 * b * t * w + 6 * b * HEADS * t * t) + 4 * b * t * w;
    default:
      return c.batch * c.width * (c.depth + 1) * (c.norm === 'none' ? 4 : 8) + 2004 * PIXELS + c.batch * (PIXELS + CLASSES);
  }
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
  const slots = SLOTS[c.optimizer] ?? 2;
  return 4 * (parameterCount(c) * (4 + slots) + activationFloats(c));
}

/** Largest estimated training memory the page accepts before starting (browsers hold a few GB at most; wasm32 addresses 4 GB). */
export const MEMORY_LIMIT_BYTES = 1.5 * 2 ** 30;

/** Bytes as text, e.g. `1.2 GB`. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}

/** The configuration as a short line, e.g. `depth 10×64, sigmoid, naive init, momentum lr 0.05, batch 64` (gradient-lab's, with the batch), or the task's equivalent. */
export function describeConfig(c: PlaygroundConfig): string {
  const training = `${c.optimizer} lr ${c.lr}${c.clip > 0 ? `, clipByGlobalNorm(${c.clip})` : ''}, batch ${c.batch}`;
  switch (c.task) {
    case 'adding':
      return `adding problem, T = ${c.seqLength}: ${c.cell === 'irnn' ? 'IRNN' : c.cell === 'tanh' ? 'tanh RNN' : c.cell.toUpperCase()} (${c.width} units), ${training}`;
    case 'cnn':
      return `MNIST conv net: ${c.depth} conv layers × ${c.width} channels${c.norm === 'batch' ? ' + BatchNorm' : ''}${c.residual ? ', residual' : ', plain'}, ${training}`;
    case 'transformer':
      return `reverse ${c.seqLength} digits: ${c.depth} ${c.blockNorm === 'pre' ? 'Pre-LN' : 'Post-LN'} blocks × ${c.width}, ${c.warmup > 0 ? `warmup ${c.warmup} steps` : 'no warmup'}, ${training}`;
    default:
      return `${describeLabConfig(c)}, batch ${c.batch}`;
  }
}
