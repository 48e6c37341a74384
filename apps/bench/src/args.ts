// The command-line vocabulary shared by main.ts and run-backend.ts (kept free of tfjs: main.ts never loads it).

/** The benchmarks a run can be limited to with `--only`. */
export const BENCHMARKS = ['optimizer', 'e2e', 'overhead'] as const;
/** One of `BENCHMARKS`. */
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** Parses `--only`'s value: a comma-separated list of `BENCHMARKS`. */
export function parseOnly(v: string): BenchmarkName[] {
  const names = v.split(',').map((s) => s.trim());
  const bad = names.find((n) => !(BENCHMARKS as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0) throw new Error(`--only takes a comma-separated list of ${BENCHMARKS.join(', ')}; got '${v}'`);
  return names as BenchmarkName[];
}
