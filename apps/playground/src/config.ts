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

/** A configuration of the page: gradient-lab's `TrainingConfig` (its `LabConfig` without the name), editable. */
export type PlaygroundConfig = { -readonly [K in keyof TrainingConfig]: TrainingConfig[K] };

/** The gradient lab's baseline (`gradient-lab run` defaults), with fewer steps so a run takes seconds. */
export const DEFAULT_CONFIG: PlaygroundConfig = (({ name: _, ...lab }) => ({ ...lab, steps: 200, batch: 64 }))(LAB_DEFAULT);

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

/** The configuration as a short line, e.g. `depth 10×64, sigmoid, naive init, momentum lr 0.05, batch 64` (gradient-lab's, with the batch). */
export function describeConfig(c: PlaygroundConfig): string {
  return `${describeLabConfig(c)}, batch ${c.batch}`;
}
