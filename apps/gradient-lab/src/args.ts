// The command line: `gradient-lab run|compare|doctor|help [--flag value …]`, parsed into a command object.
// Every mistake is a UsageError whose message says what was wrong and lists what is valid.
import { checkNumberOption, GradkitError, suggestOption } from '@gradkit/core';
import {
  ACTIVATIONS,
  type ActivationFlag,
  BACKENDS,
  type BackendFlag,
  DEFAULT_CONFIG,
  INITS,
  type InitFlag,
  type LabConfig,
  NORMS,
  type NormFlag,
  optimizerChoices,
  SCHEDULES,
  type ScheduleFlag,
} from './config.js';
import { EXPERIMENTS, MATRIX_DEFAULTS } from './experiments.js';
import { TASK_DEFINITIONS } from './tasks/index.js';
import { type SizeFlag, TASKS, type TaskDefinition, type TaskName, type TaskSettings } from './tasks/task.js';

/** A mistake on the command line; `flag` names the offending flag or argument. */
export class UsageError extends GradkitError {
  /** The offending flag (`--depth`) or argument. */
  readonly flag: string;

  constructor(flag: string, message: string) {
    super('USAGE', message);
    this.flag = flag;
  }
}

/** Options both commands share. */
interface CommonOptions {
  /** The backend to run on. */
  readonly backend: BackendFlag;
  /** Where to write report.html and report.json (`run` writes them only when given). */
  readonly out: string | undefined;
  /** Use only the first N samples of each digit of each split (quick runs); undefined: all of them. */
  readonly samplesPerDigit: number | undefined;
  /** Gradient-monitor reports per configuration. */
  readonly reports: number;
}

/** `gradient-lab run …`: one configuration. */
export interface RunCommand extends CommonOptions {
  /** Command name. */
  readonly kind: 'run';
  /** The configuration to train. */
  readonly config: LabConfig;
}

/** `gradient-lab compare …`: the experiment matrix (`--task mlp`) or another task's comparison. */
export interface CompareCommand extends CommonOptions {
  /** Command name. */
  readonly kind: 'compare';
  /** The task (`mlp`: the MNIST MLP matrix; see `TASKS`). */
  readonly task: TaskName;
  /** The task's size flags given (`--depth 12` of a task → `{ depth: 12 }`), by flag name without `--`; empty for `mlp`. */
  readonly sizes: Readonly<Record<string, number>>;
  /** The task's list flags given (`--lengths 50,100` → `{ lengths: [50, 100] }`); empty for `mlp`. */
  readonly lists: Readonly<Record<string, readonly number[]>>;
  /** Steps per configuration. */
  readonly steps: number;
  /** Minibatch size. */
  readonly batch: number;
  /** Seed of every configuration. */
  readonly seed: number;
  /** Hidden layers of every configuration (`mlp`). */
  readonly depth: number;
  /** Units per hidden layer (`mlp`). */
  readonly width: number;
  /** Only these configurations of the matrix, or runs of the task (by id), in their order; undefined: all. */
  readonly only: readonly string[] | undefined;
}

/** `gradient-lab help` (or `--help`). */
export interface HelpCommand {
  /** Command name. */
  readonly kind: 'help';
  /** The command whose help was asked for, if any. */
  readonly topic: HelpTopic | undefined;
}

/** The commands with a help page of their own. */
export type HelpTopic = 'run' | 'compare' | 'doctor';

/** What `--task` of `doctor` says the labels are: classes (a cross-entropy loss) or targets (mean squared error). */
export type DoctorTask = 'classify' | 'regress';

/** `gradient-lab doctor …`: diagnose a saved tfjs-layers model on the user's data, try the remedies, rank them. */
export interface DoctorCommand {
  /** Command name. */
  readonly kind: 'doctor';
  /** The model: a folder holding model.json (+ weights), or the model.json path. */
  readonly model: string;
  /** The data file (.csv, .json, .npy). */
  readonly data: string;
  /** The label column of a CSV (or JSON rows); undefined: the last column. */
  readonly label: string | undefined;
  /** Classes or regression targets; undefined: as the model's loss says (compiled, else inferred). */
  readonly task: DoctorTask | undefined;
  /** Steps of each probe fit (the baseline and every remedy). */
  readonly budget: number;
  /** Samples per step. */
  readonly batch: number;
  /** Learning rate; undefined: the compiled optimizer's, else the doctor's default. */
  readonly lr: number | undefined;
  /** Optimizer by tfjs name; undefined: the compiled one, else adam. */
  readonly optimizer: string | undefined;
  /** Also estimate the top Hessian eigenvalue and the edge-of-stability ratio. */
  readonly curvature: boolean;
  /** Try only these remedies (names); undefined: every applicable one. */
  readonly remedies: readonly string[] | undefined;
  /** The backend to run on. */
  readonly backend: BackendFlag;
  /** Where to write report.html and report.json. */
  readonly out: string;
  /** Apply this remedy and save the remedied model (with `save`). */
  readonly apply: string | undefined;
  /** The folder to save the remedied model into (with `apply`). */
  readonly save: string | undefined;
  /** Seed of the batch order. */
  readonly seed: number;
}

/** A parsed command line. */
export type Command = RunCommand | CompareCommand | DoctorCommand | HelpCommand;

/** The defaults of `compare` (what `npm run demo` runs). */
export const COMPARE_DEFAULTS = { ...MATRIX_DEFAULTS, backend: 'auto' as BackendFlag, out: './gradient-lab-report', reports: 15 };

type Kind = 'int' | 'ints' | 'number' | 'enum' | 'bool' | 'string' | 'list';
interface FlagSpec {
  readonly kind: Kind;
  readonly help: string;
  readonly values?: () => readonly string[];
  readonly min?: number;
  readonly why?: string;
  /** Largest value (of every item of `ints`), with `maxWhy` saying why. */
  readonly max?: number;
  readonly maxWhy?: string;
  /** What a list's items are, for messages ('experiment'). */
  readonly item?: string;
}

const COMMON: Record<string, FlagSpec> = {
  backend: { kind: 'enum', values: () => BACKENDS, help: 'auto tries webgpu → wasm → cpu (skipping a software WebGPU adapter)' },
  out: { kind: 'string', help: 'folder for report.html and report.json' },
  'samples-per-digit': { kind: 'int', min: 1, help: 'use only the first N samples of each digit of each split (quick runs)' },
  reports: { kind: 'int', min: 1, help: 'gradient-monitor reports per configuration' },
};

const SHAPE: Record<string, FlagSpec> = {
  steps: { kind: 'int', min: 1, help: 'training steps (minibatches)', why: 'training needs at least one step' },
  batch: { kind: 'int', min: 1, help: 'samples per minibatch', why: 'a minibatch needs at least one sample' },
  seed: { kind: 'int', min: 0, help: 'seed of the weights and the batch order' },
  depth: { kind: 'int', min: 1, help: 'hidden layers', why: 'a network needs at least one hidden layer' },
  width: { kind: 'int', min: 1, help: 'units per hidden layer', why: 'a layer needs at least one unit' },
};

const RUN_FLAGS: Record<string, FlagSpec> = {
  ...COMMON,
  ...SHAPE,
  activation: { kind: 'enum', values: () => ACTIVATIONS, help: 'hidden-layer activation' },
  init: { kind: 'enum', values: () => INITS, help: 'weight initialization (naive = U(±1/√fan-in), Glorot & Bengio 2010)' },
  'init-scale': { kind: 'number', min: 0, help: 'multiply the initial weights (e.g. 2 with --init he explodes)', why: 'a scale must be positive' },
  norm: { kind: 'enum', values: () => NORMS, help: 'normalization before each activation' },
  residual: { kind: 'bool', help: 'residual blocks x + f(x)' },
  optimizer: { kind: 'enum', values: optimizerChoices, help: 'momentum = SGD with momentum 0.9' },
  lr: { kind: 'number', min: 0, help: 'learning rate (peak of the schedule)', why: 'the learning rate must be positive' },
  schedule: { kind: 'enum', values: () => SCHEDULES, help: 'learning-rate schedule over the steps' },
  clip: { kind: 'number', help: 'clipByGlobalNorm max norm; 0 or none: no clipping' },
  guard: { kind: 'bool', help: 'wrap the optimizer in applyIfFinite: skip steps whose gradients hold NaN or ±Infinity' },
  'corrupt-every': { kind: 'int', min: 0, help: 'put a NaN pixel into every N-th training batch (a corrupt input); 0: none' },
  name: { kind: 'string', help: 'name of the configuration in the report' },
};

const TASK_FLAG: FlagSpec = {
  kind: 'enum',
  values: () => TASKS,
  help: 'the comparison: mlp (default: the MNIST MLP matrix), adding (recurrent nets on the adding problem), cnn (deep conv nets), transformer',
};

const COMPARE_FLAGS: Record<string, FlagSpec> = {
  task: TASK_FLAG,
  ...COMMON,
  ...SHAPE,
  only: {
    kind: 'list',
    item: 'experiment',
    values: () => EXPERIMENTS.map((e) => e.id),
    help: 'run only these configurations of the matrix (comma-separated ids)',
  },
};

/** The defaults of `doctor`. */
export const DOCTOR_DEFAULTS = { budget: 100, batch: 32, seed: 0, backend: 'auto' as BackendFlag, out: './doctor-report' } as const;

/** The optimizers `doctor --optimizer` takes: tfjs's names (`tf.train.*`, the strings `model.compile` takes). */
export const DOCTOR_OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamax', 'rmsprop', 'adagrad', 'adadelta'] as const;

const DOCTOR_FLAGS: Record<string, FlagSpec> = {
  model: {
    kind: 'string',
    help: "the saved tfjs-layers model: a folder with model.json and its weights (what tfjs's model.save writes), or the model.json path",
  },
  data: { kind: 'string', help: 'the data: .csv (a header row; the label is the last column unless --label names one), .json or .npy' },
  label: { kind: 'string', help: 'the label column of the CSV or JSON rows (default: the last column)' },
  task: {
    kind: 'enum',
    values: () => ['classify', 'regress'],
    help: 'classes (cross-entropy) or regression targets (mean squared error); default: the loss the model was compiled with, else inferred from its output layer',
  },
  budget: {
    kind: 'int',
    min: 1,
    max: 100_000,
    maxWhy: 'a probe fit is short: the doctor compares remedies over the same few steps',
    help: 'steps of each probe fit (the baseline and every remedy)',
    why: 'a probe fit needs at least one step',
  },
  batch: SHAPE.batch as FlagSpec,
  lr: { kind: 'number', min: 0, help: "learning rate (default: the compiled optimizer's, else 1e-3; 1e-2 for sgd)", why: 'the learning rate must be positive' },
  optimizer: { kind: 'enum', values: () => DOCTOR_OPTIMIZERS, help: 'the optimizer to train with, by tfjs name (default: the compiled one, else adam)' },
  curvature: { kind: 'bool', help: 'also estimate the top Hessian eigenvalue and the edge-of-stability ratio η·λmax/2 (a few more gradient evaluations)' },
  remedies: { kind: 'list', item: 'remedy', help: 'try only these remedies (comma-separated names, as the table shows them); default: every applicable one' },
  backend: COMMON.backend as FlagSpec,
  out: { kind: 'string', help: 'folder for report.html and report.json (only a previous doctor report there is replaced)' },
  apply: {
    kind: 'string',
    help: 'apply this remedy (a name from the table) to a copy of the model and save it with --save; only it (and --remedies) is tried',
  },
  save: { kind: 'string', help: 'folder to save the remedied model into (model.json + weights.bin; an existing model there is never overwritten)' },
  seed: { kind: 'int', min: 0, help: 'seed of the batch order' },
};

/** The flags of each command with their help lines, for the usage text (`compare`'s with `--task mlp`; see `taskFlags`). */
export const FLAGS = { run: RUN_FLAGS, compare: COMPARE_FLAGS, doctor: DOCTOR_FLAGS } as const;

/** A task's size flag as a flag of the command line. */
function sizeSpec(flag: SizeFlag): FlagSpec {
  return { kind: flag.list ? 'ints' : 'int', min: flag.min, max: flag.max, help: flag.help, ...(flag.why ? { maxWhy: flag.why } : {}) };
}

/** The flags of `compare --task <task>` for a task other than `mlp`: the shared ones, then the task's size flags. */
export function taskFlags(task: TaskDefinition): Record<string, FlagSpec> {
  const shared: Record<string, FlagSpec> = {
    task: TASK_FLAG,
    backend: COMMON.backend as FlagSpec,
    out: COMMON.out as FlagSpec,
    steps: SHAPE.steps as FlagSpec,
    batch: SHAPE.batch as FlagSpec,
    seed: SHAPE.seed as FlagSpec,
    only: { kind: 'list', item: 'run', help: `run only these runs of the task (comma-separated ids, e.g. ${task.runs(task.defaults)[0]?.id ?? 'id'})` },
  };
  return { ...shared, ...Object.fromEntries(Object.entries(task.sizeFlags).map(([flag, spec]) => [flag, sizeSpec(spec)])) };
}

/** The tasks (`mlp` included) whose `compare` takes `--flag`. */
function tasksTaking(flag: string): TaskName[] {
  return TASKS.filter((name) => {
    const def = TASK_DEFINITIONS[name];
    return name === 'mlp' ? flag in COMPARE_FLAGS : def !== undefined && flag in taskFlags(def);
  });
}

const COMMANDS = ['run', 'compare', 'help', 'doctor'] as const;

/** Other tools' spellings of the flags (PyTorch scripts, Keras), with the flags that mean the same here (the first one the command takes). */
const FLAG_ALIASES: Readonly<Record<string, string | readonly string[]>> = {
  'learning-rate': 'lr',
  'batch-size': 'batch',
  epochs: ['steps', 'budget'],
  iterations: ['steps', 'budget'],
  steps: 'budget',
  'max-steps': 'budget',
  target: 'label',
  'label-column': 'label',
  'target-column': 'label',
  y: 'label',
  dataset: 'data',
  csv: 'data',
  'model-dir': 'model',
  'model-path': 'model',
  weights: 'model',
  remedy: 'remedies',
  'save-dir': 'save',
  'output-dir': 'out',
  layers: 'depth',
  'num-layers': 'depth',
  hidden: 'width',
  units: 'width',
  'hidden-size': 'width',
  optim: 'optimizer',
  'max-norm': 'clip',
  'clip-norm': 'clip',
  'grad-clip': 'clip',
  'clip-grad-norm': 'clip',
  normalization: 'norm',
  initializer: 'init',
  device: 'backend',
  output: 'out',
  experiments: 'only',
};

/** ` (did you mean --x?)` for a flag: another tool's spelling, snake_case, or the closest (see `suggest`). */
function suggestFlag(flag: string, valid: readonly string[]): string {
  const kebab = flag
    .replace(/_/g, '-')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();
  const alias = [FLAG_ALIASES[kebab] ?? []].flat().find((a) => valid.includes(a));
  if (alias !== undefined) return ` (did you mean --${alias}?)`;
  if (kebab !== flag && valid.includes(kebab)) return ` (did you mean --${kebab}?)`;
  return suggest(kebab, valid, '--');
}

/** ` (did you mean 'x'?)` for the closest candidate (core's `suggestOption`: within a few edits, or a prefix), else ''. */
function suggest(word: string, candidates: readonly string[], prefix = ''): string {
  const s = suggestOption(word, candidates);
  return s === undefined ? '' : ` (did you mean ${prefix}${s.key}?)`;
}

/** Whether float32 (the tensors' precision) holds `n` without overflowing or flushing to a subnormal: what core's checkNumberOption accepts. */
function representable(n: number): boolean {
  try {
    checkNumberOption('value', n);
    return true;
  } catch {
    return false;
  }
}

function parseValue(command: string, flag: string, spec: FlagSpec, raw: string): unknown {
  const name = `--${flag}`;
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw new UsageError(name, `${name} needs a non-empty value`);
      return raw;
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0) throw new UsageError(name, `${name} needs a comma-separated list`);
      const values = spec.values?.();
      const unknown = values === undefined ? undefined : items.find((item) => !values.includes(item));
      if (unknown !== undefined && values !== undefined)
        throw new UsageError(
          name,
          `${name}: unknown ${spec.item ?? 'value'} '${unknown}'${suggest(unknown, values, "'").replace(/\?\)$/, "'?)")}: valid ids are ${values.join(', ')}`,
        );
      return items;
    }
    case 'enum': {
      const values = spec.values?.() ?? [];
      const hit = values.find((v) => v === raw) ?? values.find((v) => v.toLowerCase() === raw.toLowerCase());
      if (hit === undefined)
        throw new UsageError(
          name,
          `${name} '${raw}' is not valid for '${command}'${suggest(raw, values, "'").replace(/\?\)$/, "'?)")}: use one of ${values.join(', ')}`,
        );
      return hit;
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(v)) return true;
      if (['false', 'no', 'off', '0'].includes(v)) return false;
      throw new UsageError(name, `${name} '${raw}' is not valid: use ${name} alone, --no-${flag}, or ${name}=true|false`);
    }
    case 'ints': {
      const items = raw.split(',').map((s) => s.trim());
      if (items.length === 0 || items.some((item) => item === ''))
        throw new UsageError(name, `${name} needs a comma-separated list of whole numbers, e.g. ${name} 50,100, got '${raw}'`);
      const values = items.map((item) => parseValue(command, flag, { ...spec, kind: 'int' }, item) as number);
      const twice = values.find((v, i) => values.indexOf(v) !== i);
      if (twice !== undefined) throw new UsageError(name, `${name} lists ${twice} twice: give each value once`);
      return values;
    }
    case 'int':
    case 'number': {
      if (flag === 'clip' && ['none', 'off', 'no'].includes(raw.toLowerCase())) return 0;
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      const what = spec.kind === 'int' ? 'a whole number' : 'a number';
      const bound = spec.min === undefined ? '' : spec.kind === 'int' ? ` ≥ ${spec.min}` : ` > ${spec.min}`;
      if (!Number.isFinite(n) || (spec.kind === 'int' && !Number.isSafeInteger(n))) throw new UsageError(name, `${name} must be ${what}${bound}, got '${raw}'`);
      if (spec.min !== undefined && (spec.kind === 'int' ? n < spec.min : n <= spec.min))
        throw new UsageError(name, `${name} must be ${what}${bound}, got ${raw}${spec.why ? `: ${spec.why}` : ''}`);
      if (spec.max !== undefined && n > spec.max)
        throw new UsageError(name, `${name} ${raw} is too large: at most ${spec.max}${spec.maxWhy ? ` (${spec.maxWhy})` : ''}; use ${name} ≤ ${spec.max}`);
      if (flag === 'clip' && n < 0) throw new UsageError(name, `${name} must be a positive max norm, or 0 / none for no clipping, got ${raw}`);
      if (spec.kind === 'number' && !representable(n))
        throw new UsageError(name, `${name} must be representable in float32 (between 1.2e-38 and 3.4e38), got ${raw}`);
      return n;
    }
  }
}

/** Parses `--flag value`, `--flag=value`, bare booleans and `--no-flag` against `specs`. */
function parseFlags(
  command: string,
  args: readonly string[],
  specs: Record<string, FlagSpec>,
  notHere?: (flag: string) => string | undefined,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const valid = Object.keys(specs);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(arg, `unexpected argument '${arg}' for '${command}': flags look like --depth 20 (see gradient-lab help ${command})`);
    }
    const eq = arg.indexOf('=');
    let flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (!(flag in specs) && flag.startsWith('no-') && specs[flag.slice(3)]?.kind === 'bool' && inline === undefined) {
      flag = flag.slice(3);
      inline = 'false';
    }
    const spec = specs[flag];
    const elsewhere = spec ? undefined : notHere?.(flag);
    if (elsewhere !== undefined) throw new UsageError(`--${flag}`, elsewhere);
    if (!spec)
      throw new UsageError(
        `--${flag}`,
        `unknown flag --${flag} for '${command}'${suggestFlag(flag, valid)}: valid flags are ${valid.map((f) => `--${f}`).join(', ')}`,
      );
    if (out.has(flag)) throw new UsageError(`--${flag}`, `--${flag} is given twice: give it once`);
    let raw = inline;
    if (raw === undefined) {
      const next = args[i + 1];
      if (spec.kind === 'bool') {
        if (next !== undefined && /^(true|false|yes|no|on|off|1|0)$/i.test(next)) {
          raw = next;
          i++;
        } else raw = 'true';
      } else {
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          const values = spec.values?.();
          throw new UsageError(`--${flag}`, `--${flag} needs a value (${spec.help}${values ? `: one of ${values.join(', ')}` : ''})`);
        }
        raw = next;
        i++;
      }
    }
    out.set(flag, parseValue(command, flag, spec, raw));
  }
  return out;
}

/** The value of `--task` among `compare`'s arguments (`mlp` when absent); an unknown task is a UsageError listing them. */
function taskOf(args: readonly string[]): TaskName {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const raw = arg === '--task' ? args[i + 1] : arg.startsWith('--task=') ? arg.slice('--task='.length) : undefined;
    if (arg !== '--task' && raw === undefined) continue;
    if (raw === undefined || (arg === '--task' && raw.startsWith('--'))) throw new UsageError('--task', `--task needs a value: one of ${TASKS.join(', ')}`);
    const known = TASKS.find((t) => t === raw.toLowerCase());
    if (known !== undefined) return known;
    const closest = closestTask(raw);
    throw new UsageError(
      '--task',
      `--task '${raw}' is not a task of 'compare'${closest ? ` (did you mean '${closest}'?)` : ''}: use one of ${TASKS.join(', ')}`,
    );
  }
  return 'mlp';
}

/** What people call the tasks' subjects, with the task that covers it. */
const TASK_ALIASES: Readonly<Record<string, TaskName>> = {
  mnist: 'mlp',
  dense: 'mlp',
  rnn: 'adding',
  lstm: 'adding',
  gru: 'adding',
  recurrent: 'adding',
  sequence: 'adding',
  conv: 'cnn',
  convnet: 'cnn',
  resnet: 'cnn',
  attention: 'transformer',
  encoder: 'transformer',
};

/** The task closest to `raw`: an alias, core's `suggestOption` (a few edits), else the longest shared prefix of 3 or more letters. */
function closestTask(raw: string): TaskName | undefined {
  const word = raw.toLowerCase();
  const alias = TASK_ALIASES[word];
  if (alias !== undefined) return alias;
  const near = suggestOption(word, TASKS)?.key as TaskName | undefined;
  if (near !== undefined) return near;
  const shared = (t: string) => [...t].findIndex((c, i) => word[i] !== c);
  const prefix = (t: string) => (shared(t) < 0 ? t.length : shared(t));
  const best = [...TASKS].sort((x, y) => prefix(y) - prefix(x))[0] as TaskName;
  return prefix(best) >= 3 ? best : undefined;
}

/** The settings of a task's runs: its defaults, changed by the flags of `cmd`. */
export function taskSettings(task: TaskDefinition, cmd: Pick<CompareCommand, 'steps' | 'batch' | 'seed' | 'sizes' | 'lists'>): TaskSettings {
  return {
    steps: cmd.steps,
    batch: cmd.batch,
    seed: cmd.seed,
    sizes: { ...task.defaults.sizes, ...cmd.sizes },
    lists: { ...task.defaults.lists, ...cmd.lists },
  };
}

/** `compare [--task t] …`: the flags of the task (an `mlp` flag with another task, or another task's flag, names both). */
function parseCompare(rest: readonly string[]): CompareCommand {
  const task = taskOf(rest);
  const def = task === 'mlp' ? undefined : TASK_DEFINITIONS[task];
  if (task !== 'mlp' && def === undefined) {
    const available = TASKS.filter((t) => t === 'mlp' || TASK_DEFINITIONS[t] !== undefined);
    throw new UsageError('--task', `--task ${task} is not available in this build: use one of ${available.join(', ')}`);
  }
  const specs = def === undefined ? COMPARE_FLAGS : taskFlags(def);
  const notHere = (flag: string) => {
    const takers = tasksTaking(flag);
    if (takers.length === 0) return undefined;
    return `--${flag} does not apply to --task ${task}: it is a flag of ${takers.map((t) => `--task ${t}`).join(', ')}; --task ${task} takes ${Object.keys(
      specs,
    )
      .map((f) => `--${f}`)
      .join(', ')}`;
  };
  const flags = parseFlags('compare', rest, specs, notHere);
  const get = <T>(flag: string, fallback: T): T => (flags.has(flag) ? (flags.get(flag) as T) : fallback);
  const only = get<string[] | undefined>('only', undefined);
  const common = {
    kind: 'compare' as const,
    task,
    backend: get('backend', COMPARE_DEFAULTS.backend),
    out: get('out', COMPARE_DEFAULTS.out),
    depth: get('depth', COMPARE_DEFAULTS.depth),
    width: get('width', COMPARE_DEFAULTS.width),
    samplesPerDigit: get<number | undefined>('samples-per-digit', undefined),
    reports: get('reports', COMPARE_DEFAULTS.reports),
    only,
  };
  if (def === undefined)
    return {
      ...common,
      steps: get('steps', COMPARE_DEFAULTS.steps),
      batch: get('batch', COMPARE_DEFAULTS.batch),
      seed: get('seed', COMPARE_DEFAULTS.seed),
      sizes: {},
      lists: {},
    };
  const sizes: Record<string, number> = {};
  const lists: Record<string, readonly number[]> = {};
  for (const [flag, spec] of Object.entries(def.sizeFlags))
    if (flags.has(flag)) {
      if (spec.list) lists[flag] = flags.get(flag) as number[];
      else sizes[flag] = flags.get(flag) as number;
    }
  const cmd: CompareCommand = {
    ...common,
    steps: get('steps', def.defaults.steps),
    batch: get('batch', def.defaults.batch),
    seed: get('seed', def.defaults.seed),
    sizes,
    lists,
  };
  if (only !== undefined) checkRunIds(def, taskSettings(def, cmd), only);
  return cmd;
}

/** Every id of `--only` must be a run of the task with these settings (`lstm@200` needs `--lengths …,200`). */
function checkRunIds(def: TaskDefinition, settings: TaskSettings, only: readonly string[]): void {
  const ids = def.runs(settings).map((r) => r.id);
  const unknown = only.find((id) => !ids.includes(id));
  if (unknown === undefined) return;
  const sizeHint = Object.entries(def.sizeFlags)
    .map(([flag, spec]) => `--${flag} (${spec.help})`)
    .join(', ');
  throw new UsageError(
    '--only',
    `--only: '${unknown}' is not a run of --task ${def.name} with these settings${suggest(unknown, ids, "'").replace(/\?\)$/, "'?)")}: valid ids are ${ids.join(', ')}${sizeHint ? `; other sizes run with ${sizeHint}` : ''}`,
  );
}

/**
 * Parses the arguments after the program name. No arguments, `help`, `--help` or `-h` ask for help.
 *
 * @throws UsageError for an unknown command or flag, a missing or invalid value, or an impossible
 *   configuration (depth 0 …); the message lists what is valid.
 */
export function parseArgs(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = rest[0];
    return { kind: 'help', topic: topic === 'run' || topic === 'compare' || topic === 'doctor' ? topic : undefined };
  }
  if (first === 'run' || first === 'compare' || first === 'doctor') {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', topic: first };
  } else {
    throw new UsageError(
      first,
      `unknown command '${first}'${suggest(first, COMMANDS, "'").replace(/\?\)$/, "'?)")}: use one of ${COMMANDS.join(', ')} (gradient-lab help)`,
    );
  }
  if (first === 'compare') return parseCompare(rest);
  if (first === 'doctor') return parseDoctor(rest);
  const flags = parseFlags(first, rest, RUN_FLAGS);
  const get = <T>(flag: string, fallback: T): T => (flags.has(flag) ? (flags.get(flag) as T) : fallback);
  const d = DEFAULT_CONFIG;
  const config: LabConfig = {
    name: get('name', d.name),
    depth: get('depth', d.depth),
    width: get('width', d.width),
    activation: get<ActivationFlag>('activation', d.activation),
    init: get<InitFlag>('init', d.init),
    initScale: get('init-scale', d.initScale),
    norm: get<NormFlag>('norm', d.norm),
    residual: get('residual', d.residual),
    optimizer: get('optimizer', d.optimizer),
    lr: get('lr', d.lr),
    schedule: get<ScheduleFlag>('schedule', d.schedule),
    clip: get('clip', d.clip),
    ...(flags.has('guard') ? { guard: flags.get('guard') as boolean } : {}),
    ...(flags.has('corrupt-every') ? { corruptEvery: flags.get('corrupt-every') as number } : {}),
    steps: get('steps', d.steps),
    batch: get('batch', d.batch),
    seed: get('seed', d.seed),
  };
  return {
    kind: 'run',
    config,
    backend: get('backend', 'auto'),
    out: get<string | undefined>('out', undefined),
    samplesPerDigit: get<number | undefined>('samples-per-digit', undefined),
    reports: get('reports', COMPARE_DEFAULTS.reports),
  };
}

/** `doctor …`: `--model` and `--data` are required; `--apply` and `--save` go together. */
function parseDoctor(rest: readonly string[]): DoctorCommand {
  const flags = parseFlags('doctor', rest, DOCTOR_FLAGS);
  const get = <T>(flag: string, fallback: T): T => (flags.has(flag) ? (flags.get(flag) as T) : fallback);
  for (const [flag, what] of [
    ['model', 'the saved tfjs-layers model: --model <folder with model.json> or --model <path>/model.json'],
    ['data', 'the data to diagnose it on: --data <file.csv|file.json|file.npy>'],
  ] as const)
    if (!flags.has(flag)) throw new UsageError(`--${flag}`, `doctor needs --${flag}: ${what}`);
  if (flags.has('save') && !flags.has('apply'))
    throw new UsageError('--save', "--save needs --apply <remedy>: the remedy to apply to the copy it saves (a name from the doctor's table)");
  if (flags.has('apply') && !flags.has('save'))
    throw new UsageError('--apply', '--apply needs --save <folder>: where to write the remedied model (the original is never changed)');
  return {
    kind: 'doctor',
    model: get('model', ''),
    data: get('data', ''),
    label: get<string | undefined>('label', undefined),
    task: get<DoctorTask | undefined>('task', undefined),
    budget: get('budget', DOCTOR_DEFAULTS.budget),
    batch: get('batch', DOCTOR_DEFAULTS.batch),
    lr: get<number | undefined>('lr', undefined),
    optimizer: get<string | undefined>('optimizer', undefined),
    curvature: get('curvature', false),
    remedies: get<string[] | undefined>('remedies', undefined),
    backend: get('backend', DOCTOR_DEFAULTS.backend),
    out: get('out', DOCTOR_DEFAULTS.out),
    apply: get<string | undefined>('apply', undefined),
    save: get<string | undefined>('save', undefined),
    seed: get('seed', DOCTOR_DEFAULTS.seed),
  };
}

/** The usage text of the CLI, or of one command. */
export function usage(topic?: HelpTopic): string {
  const describe = (specs: Record<string, FlagSpec>) =>
    Object.entries(specs).map(([flag, spec]) => {
      const values = spec.values?.();
      const arg =
        spec.kind === 'bool' ? '' : spec.kind === 'list' ? ' <a,b,…>' : values ? ` <${values.join('|')}>` : ` <${spec.kind === 'string' ? 'text' : spec.kind}>`;
      return `  --${flag}${arg}\n      ${spec.help}`;
    });
  const run = [
    'gradient-lab run [flags]    train one configuration on MNIST, print the gradient report and the test accuracy',
    `  defaults: --depth ${DEFAULT_CONFIG.depth} --width ${DEFAULT_CONFIG.width} --activation ${DEFAULT_CONFIG.activation} --init ${DEFAULT_CONFIG.init} --norm none --optimizer ${DEFAULT_CONFIG.optimizer} --lr ${DEFAULT_CONFIG.lr} --schedule constant --clip none --steps ${DEFAULT_CONFIG.steps} --batch ${DEFAULT_CONFIG.batch} --seed ${DEFAULT_CONFIG.seed} --backend auto`,
    ...describe(RUN_FLAGS),
  ];
  const tasks = TASKS.flatMap((name) => {
    const def = TASK_DEFINITIONS[name];
    if (def === undefined) return [];
    const d = def.defaults;
    const sizes = Object.entries(def.sizeFlags).map(([flag, spec]) => ({ flag, spec: sizeSpec(spec) }));
    return [
      '',
      `gradient-lab compare --task ${name} [flags]    ${def.title.replace(/^gradient-lab: /, '')}`,
      `  defaults: --steps ${d.steps} --batch ${d.batch} --seed ${d.seed} --backend auto --out ${COMPARE_DEFAULTS.out}${def.measuredTime ? ` (${def.measuredTime})` : ''}`,
      '  takes --backend --out --steps --batch --seed --only <run ids>, and',
      ...sizes.map(({ flag, spec }) => `  --${flag} <${spec.kind === 'ints' ? 'a,b,…' : 'int'}>\n      ${spec.help} (${spec.min}–${spec.max})`),
      `  run ids: ${def
        .runs(d)
        .map((r) => r.id)
        .join(', ')}`,
    ];
  });
  const compare = [
    'gradient-lab compare [flags]    run a comparison (--task mlp|adding|cnn|transformer, default mlp) and write a report',
    '',
    'gradient-lab compare [--task mlp] [flags]    the MNIST MLP matrix (vanishing baseline, each remedy, exploding ± clipping)',
    `  defaults: --steps ${COMPARE_DEFAULTS.steps} --batch ${COMPARE_DEFAULTS.batch} --depth ${COMPARE_DEFAULTS.depth} --width ${COMPARE_DEFAULTS.width} --seed ${COMPARE_DEFAULTS.seed} --backend auto --out ${COMPARE_DEFAULTS.out}`,
    ...describe(COMPARE_FLAGS),
    ...tasks,
  ];
  const d = DOCTOR_DEFAULTS;
  const doctor = [
    'gradient-lab doctor --model <dir|model.json> --data <file> [flags]    diagnose your own tfjs-layers model on your data, try the remedies on copies, rank them',
    `  defaults: --budget ${d.budget} --batch ${d.batch} --seed ${d.seed} --backend auto --out ${d.out}`,
    ...describe(DOCTOR_FLAGS),
    '  e.g. gradient-lab doctor --model ./my-model --data train.csv --label species',
    '       gradient-lab doctor --model ./my-model --data train.csv --apply relu-he --save ./my-model-fixed',
  ];
  if (topic === 'run') return run.join('\n');
  if (topic === 'compare') return compare.join('\n');
  if (topic === 'doctor') return doctor.join('\n');
  return [
    'gradient-lab: vanishing and exploding gradients on real MNIST digits, and a doctor for your own model',
    '',
    ...run,
    '',
    ...compare,
    '',
    ...doctor,
    '',
    'gradient-lab help [run|compare|doctor]',
  ].join('\n');
}
