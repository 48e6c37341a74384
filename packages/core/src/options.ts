import { HyperParameterError, UnknownOptionError } from './errors.js';

/**
 * PyTorch, optax and Keras spellings of options that gradkit names differently, with what to write
 * instead. A hint is offered only where its target is a valid option of the call (so `eps` suggests
 * `epsilon` to `adam` but nothing to a function without an `epsilon`).
 */
const ALIASES: Readonly<Record<string, { readonly key: string; readonly write?: string }>> = {
  lr: { key: 'learningRate' },
  learning_rate: { key: 'learningRate' },
  eps: { key: 'epsilon' },
  epsilon: { key: 'eps' },
  betas: { key: 'beta1', write: 'beta1 and beta2 (PyTorch betas: [b1, b2] → beta1: b1, beta2: b2)' },
  b1: { key: 'beta1' },
  b2: { key: 'beta2' },
  weight_decay: { key: 'weightDecay' },
  weight_decay_rate: { key: 'weightDecay' },
  eps_root: { key: 'epsilonRoot' },
  momentum_decay: { key: 'momentumDecay' },
  fan_out: { key: 'mode', write: "mode: 'fanOut'" },
  fan_in: { key: 'mode', write: "mode: 'fanIn'" },
  fan_avg: { key: 'mode', write: "mode: 'fanAvg'" },
  std: { key: 'stddev' },
  a: { key: 'min' },
  b: { key: 'max' },
  negative_slope: { key: 'a' },
  num_groups: { key: 'groups' },
  num_channels: { key: 'channels' },
  max_norm: { key: 'maxNorm' },
  norm_type: { key: 'normType' },
  error_if_nonfinite: { key: 'errorIfNonfinite' },
  clip_value: { key: 'maxAbs' },
  max_lr: { key: 'maxValue' },
  total_steps: { key: 'totalSteps' },
  pct_start: { key: 'pctStart' },
  div_factor: { key: 'divFactor' },
  final_div_factor: { key: 'finalDivFactor' },
  step_size: { key: 'stepSize' },
  milestones: { key: 'boundaries' },
  T_max: { key: 'decaySteps' },
  eta_min: { key: 'final' },
  init_value: { key: 'initial' },
  decay_rate: { key: 'decayRate' },
  transition_steps: { key: 'decaySteps' },
  warmup_steps: { key: 'warmupSteps' },
  min_lr: { key: 'minScale', write: 'minScale (a fraction of the learning rate: PyTorch min_lr / lr)' },
  threshold_mode: { key: 'thresholdMode' },
  num_features: { key: 'features' },
  normalized_shape: { key: 'features' },
  in_features: { key: 'inFeatures' },
  out_features: { key: 'outFeatures' },
  units: { key: 'outFeatures' },
  bias: { key: 'useBias' },
  kernel_initializer: { key: 'kernelInitializer' },
  bias_initializer: { key: 'biasInitializer' },
  max_consecutive_errors: { key: 'maxConsecutiveErrors' },
  initial_accumulator_value: { key: 'initialAccumulatorValue' },
  lr_decay: { key: 'lrDecay' },
  trust_coefficient: { key: 'trustCoefficient' },
  clip_factor: { key: 'clipping' },
  total_iters: { key: 'decaySteps' },
  end_value: { key: 'final' },
  peak_value: { key: 'peak' },
  base_lr: { key: 'initial' },
  monitor: { key: 'on', write: "on: 'metric' (then report the value with opt.reportMetric(v))" },
};

/**
 * A value described for an error message without converting it to a string (which reads a tensor's
 * data: impossible on WebGPU in Node, and an error for a disposed tensor): `null`, `a tensor
 * float32[2, 3]`, `the string "x"`, `a function`, `3`.
 *
 * @example
 * ```ts
 * throw new HyperParameterError('seed', `seed must be an integer, got ${describeValue(options.seed)}`);
 * ```
 */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (typeof v === 'symbol') return 'a symbol';
  const t = v as { dtype?: unknown; shape?: unknown; isDisposed?: unknown };
  if (typeof t.dtype === 'string' && Array.isArray(t.shape)) return `${t.isDisposed ? 'a disposed ' : 'a '}tensor ${t.dtype}[${t.shape.join(', ')}]`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null ? 'an object' : `a ${(proto?.constructor as { name?: string } | undefined)?.name ?? 'value'}`;
}

/** Edit distance (Levenshtein), case-insensitive, for "did you mean". */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++)
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length] as number;
}

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The option a mistyped or foreign key most likely means, among `valid`, with how to write it:
 * PyTorch/optax spellings first (`lr` → `learningRate`), then snake_case → camelCase, then the
 * closest name within a few edits.
 *
 * @example
 * ```ts
 * suggestOption('lr', ['learningRate', 'beta1']); // { key: 'learningRate', write: 'learningRate' }
 * suggestOption('momentun', ['learningRate', 'momentum']); // { key: 'momentum', write: 'momentum' }
 * ```
 */
export function suggestOption(key: string, valid: readonly string[]): { key: string; write: string } | undefined {
  const alias = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (alias && valid.includes(alias.key)) return { key: alias.key, write: alias.write ?? alias.key };
  const c = camel(key);
  if (c !== key && valid.includes(c)) return { key: c, write: c };
  const prefixed = key.length >= 3 ? valid.find((v) => v.toLowerCase().startsWith(key.toLowerCase())) : undefined;
  if (prefixed) return { key: prefixed, write: prefixed };
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const v of valid) {
    const d = distance(key, v);
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  const tolerance = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && bestDistance <= tolerance ? { key: best, write: best } : undefined;
}

/**
 * The value of an optional option: `fallback` when it is absent (`undefined`). `null` is not a way to
 * ask for the default (it would hide a bug such as `options.rate = maybe ?? null`): it is a
 * HyperParameterError naming `field`.
 *
 * @example
 * ```ts
 * const eps = optionOr('epsilon', options.epsilon, 1e-5); // then check its range
 * ```
 */
export function optionOr<T>(field: string, value: T | undefined, fallback: T): T {
  if (value === null) throw new HyperParameterError(field, `${field} is null: leave it out for its default, or give a value`);
  return value === undefined ? fallback : value;
}

/** How `checkOptions` treats an absent options object. @example `{ example: 'adam({ learningRate: 1e-3 })' }` */
export interface CheckOptionsSettings {
  /** A correct call, quoted in the errors. */
  readonly example: string;
  /** Whether the options object must be given (default false: `undefined` means every default). */
  readonly required?: boolean;
}

/**
 * Validates the options object of a public function: it must be a plain object (or absent, when not
 * `required`) whose own keys are all in `valid`. An unknown key is an `UnknownOptionError` that lists
 * the valid names and suggests the closest, mapping PyTorch spellings (`lr`, `betas`, `eps`,
 * `weight_decay`, `fan_out` …) to gradkit's, so a typo never silently trains with a default.
 *
 * @returns the options (`{}` when absent and optional).
 * @throws HyperParameterError naming `options` when it is not an object; UnknownOptionError naming
 *   the first unknown key.
 * @example
 * ```ts
 * const o = checkOptions('adam', options, ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad', 'weightDecay'], {
 *   example: 'adam({ learningRate: 1e-3 })',
 * });
 * ```
 */
export function checkOptions<O extends object>(what: string, options: O | null | undefined, valid: readonly string[], settings: CheckOptionsSettings): O {
  if (options === undefined && !settings.required) return {} as O;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const got = options === undefined ? 'nothing' : Array.isArray(options) ? 'an array' : options === null ? 'null' : `a ${typeof options}`;
    throw new HyperParameterError('options', `${what} needs an options object, e.g. ${settings.example}; got ${got}`);
  }
  for (const key of Object.keys(options)) if (!valid.includes(key)) throw unknownOption(what, key, valid);
  return options;
}

/**
 * The error for an unknown option `key` of `what`: the valid names, and the closest one.
 *
 * @example
 * ```ts
 * throw unknownOption('sgd', 'momentun', ['learningRate', 'momentum']); // "… did you mean 'momentum'? …"
 * ```
 */
export function unknownOption(what: string, key: string, valid: readonly string[]): UnknownOptionError {
  const s = suggestOption(key, valid);
  const hint = s ? ` (did you mean ${s.write === s.key ? `'${s.key}'` : s.write}?)` : '';
  const list = valid.length > 0 ? `valid options: ${valid.join(', ')}` : 'it takes no options';
  return new UnknownOptionError(key, `${what}: unknown option '${key}'${hint}; ${list}`, valid, s?.key);
}
