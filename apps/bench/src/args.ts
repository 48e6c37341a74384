// The command-line vocabulary shared by main.ts and run-backend.ts (kept free of tfjs: main.ts never loads it).
// Every mistake is an Error whose message says what was wrong, lists what is valid and suggests the closest.

/** The benchmarks a run can be limited to with `--only`. */
export const BENCHMARKS = ['optimizer', 'e2e', 'overhead', 'peer', 'profiles', 'arch', 'modern'] as const;
/** One of `BENCHMARKS`. */
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** The backends a bench run measures. */
export const BENCH_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

/** Edit distance (Levenshtein), for "did you mean" (core has one too, but importing @gradkit/core would load tfjs here). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length] as number;
}

/** ` (did you mean x?)` for the candidate closest to `word` within 2 edits (case and `_`/`-` ignored), else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '-');
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(norm(word), norm(c));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/** Parses a comma-separated list of `valid` names (`flag` names it in errors). */
function parseList<T extends string>(flag: string, v: string, valid: readonly T[]): T[] {
  const names = v.split(',').map((s) => s.trim());
  const bad = names.find((n) => !(valid as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0)
    throw new Error(`${flag} takes a comma-separated list of ${valid.join(', ')}; got '${v}'${bad === undefined ? '' : didYouMean(bad, valid)}`);
  return names as T[];
}

/** Parses `--only`'s value: a comma-separated list of `BENCHMARKS`. */
export function parseOnly(v: string): BenchmarkName[] {
  return parseList('--only', v, BENCHMARKS);
}

/** A command line's flags: those that take a value, and those that stand alone. */
interface FlagSet {
  readonly valued: readonly string[];
  readonly bare: readonly string[];
  readonly usage: string;
}

/** Walks `argv` against `flags`: `--flag value`, `--flag=value`, bare flags; positional arguments go to `positional`. */
function walk(argv: readonly string[], flags: FlagSet, onFlag: (flag: string, value: string | undefined) => void, positional?: (arg: string) => void): void {
  const all = [...flags.valued, ...flags.bare];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('-') && positional) {
      positional(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flags.valued.includes(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new Error(`${flag} needs a value (usage: ${flags.usage})`);
      onFlag(flag, value);
    } else if (flags.bare.includes(flag) && eq < 0) onFlag(flag, undefined);
    else if (flags.bare.includes(flag)) throw new Error(`${flag} takes no value (usage: ${flags.usage})`);
    else throw new Error(`unknown argument '${arg}'${didYouMean(flag, all)} (usage: ${flags.usage})`);
  }
}

/** What `node dist/main.js …` was asked for; `out` is undefined when not given. */
export interface MainFlags {
  readonly backends: readonly (typeof BENCH_BACKENDS)[number][];
  readonly quick: boolean;
  readonly readmeOnly: boolean;
  readonly only?: readonly BenchmarkName[];
  readonly out?: string;
}

const MAIN: FlagSet = {
  valued: ['--backends', '--only', '--out'],
  bare: ['--quick', '--readme'],
  usage:
    'main.js [--backends cpu,wasm,webgpu] [--quick] [--only optimizer,e2e,overhead,peer,profiles,arch,modern] [--readme] [--out dir], or main.js profile [options]',
};

/** Parses main.js's arguments; throws an Error naming the flag (with a suggestion) for anything else. */
export function parseMainFlags(argv: readonly string[]): MainFlags {
  let backends: MainFlags['backends'] = [...BENCH_BACKENDS];
  let quick = false;
  let readmeOnly = false;
  let only: BenchmarkName[] | undefined;
  let out: string | undefined;
  walk(argv, MAIN, (flag, value) => {
    if (flag === '--quick') quick = true;
    else if (flag === '--readme') readmeOnly = true;
    else if (flag === '--backends') backends = parseList('--backends', value as string, BENCH_BACKENDS);
    else if (flag === '--only') only = parseOnly(value as string);
    else out = value;
  });
  return { backends, quick, readmeOnly, ...(only ? { only } : {}), ...(out === undefined ? {} : { out }) };
}

/** What `node dist/run-backend.js <backend> …` was asked for; `out` and `command` are undefined when not given. */
export interface BackendFlags {
  readonly backend: (typeof BENCH_BACKENDS)[number];
  readonly quick: boolean;
  readonly only?: readonly BenchmarkName[];
  readonly out?: string;
  readonly command?: string;
  /** Keep the other benchmarks' results of the file being replaced (with `--only`): `--merge`. */
  readonly merge?: true;
}

const BACKEND: FlagSet = {
  valued: ['--only', '--out', '--command'],
  bare: ['--quick', '--merge'],
  usage: 'run-backend.js <cpu|wasm|webgpu> [--quick] [--only optimizer,e2e,overhead,peer,profiles,arch,modern] [--merge] [--out dir] [--command text]',
};

/** Parses run-backend.js's arguments; throws an Error naming the argument (with a suggestion) for anything else. */
export function parseBackendFlags(argv: readonly string[]): BackendFlags {
  let backend: string | undefined;
  let quick = false;
  let only: BenchmarkName[] | undefined;
  let out: string | undefined;
  let command: string | undefined;
  let merge = false;
  walk(
    argv,
    BACKEND,
    (flag, value) => {
      if (flag === '--quick') quick = true;
      else if (flag === '--merge') merge = true;
      else if (flag === '--only') only = parseOnly(value as string);
      else if (flag === '--out') out = value;
      else command = value;
    },
    (arg) => {
      if (backend !== undefined) throw new Error(`unexpected argument '${arg}': the backend is already '${backend}' (usage: ${BACKEND.usage})`);
      backend = arg;
    },
  );
  if (backend === undefined || !(BENCH_BACKENDS as readonly string[]).includes(backend))
    throw new Error(`name a backend: cpu, wasm or webgpu (got ${backend === undefined ? 'nothing' : `'${backend}'${didYouMean(backend, BENCH_BACKENDS)}`})`);
  return {
    backend: backend as BackendFlags['backend'],
    quick,
    ...(merge ? { merge: true as const } : {}),
    ...(only ? { only } : {}),
    ...(out === undefined ? {} : { out }),
    ...(command === undefined ? {} : { command }),
  };
}

/** The nets of the peer benchmark and of `profile` (their layers are in peer.ts). */
export const PEER_MODEL_NAMES = ['mlp', 'wide'] as const;
/** The libraries `profile` can profile. */
export const PROFILE_LIBRARY_NAMES = ['gradkit', 'tfjs-layers'] as const;

/** What `node dist/main.js profile …` (or `run-profile.js …`) was asked for; `out` is undefined when not given. */
export interface ProfileFlags {
  readonly backend: (typeof BENCH_BACKENDS)[number];
  readonly model: (typeof PEER_MODEL_NAMES)[number];
  /** The fast-path settings to profile, in order. */
  readonly fastPaths: readonly boolean[];
  readonly libraries: readonly (typeof PROFILE_LIBRARY_NAMES)[number][];
  /** Kernels listed per profile, slowest first. */
  readonly top: number;
  readonly out?: string;
}

const PROFILE: FlagSet = {
  valued: ['--backend', '--model', '--fast-paths', '--library', '--top', '--out'],
  bare: [],
  usage: 'main.js profile [--backend cpu|wasm|webgpu] [--model mlp|wide] [--fast-paths on|off|both] [--library gradkit,tfjs-layers] [--top n] [--out dir]',
};

/** One of `valid`, or an Error naming `flag` with the closest valid value. */
function oneOf<T extends string>(flag: string, v: string, valid: readonly T[]): T {
  if ((valid as readonly string[]).includes(v)) return v as T;
  throw new Error(`${flag} takes one of ${valid.join(', ')}; got '${v}'${didYouMean(v, valid)} (usage: ${PROFILE.usage})`);
}

/** Parses the profile command's arguments (defaults: wasm, mlp, fast paths on, both libraries, top 12). */
export function parseProfileFlags(argv: readonly string[]): ProfileFlags {
  let backend: ProfileFlags['backend'] = 'wasm';
  let model: ProfileFlags['model'] = 'mlp';
  let fastPaths: boolean[] = [true];
  let libraries: ProfileFlags['libraries'] = [...PROFILE_LIBRARY_NAMES];
  let top = 12;
  let out: string | undefined;
  walk(argv, PROFILE, (flag, value) => {
    const v = value as string;
    if (flag === '--backend') backend = oneOf(flag, v, BENCH_BACKENDS);
    else if (flag === '--model') model = oneOf(flag, v, PEER_MODEL_NAMES);
    else if (flag === '--fast-paths') fastPaths = { on: [true], off: [false], both: [true, false] }[oneOf(flag, v, ['on', 'off', 'both'] as const)];
    else if (flag === '--library') libraries = parseList(flag, v, PROFILE_LIBRARY_NAMES);
    else if (flag === '--top') {
      top = Number(v);
      if (!Number.isInteger(top) || top < 1) throw new Error(`--top takes a whole number ≥ 1 (kernels listed per profile); got '${v}'`);
    } else out = v;
  });
  return { backend, model, fastPaths, libraries, top, ...(out === undefined ? {} : { out }) };
}
