// `pnpm bench`: runs every backend's benchmarks, each in its own Node process (a backend is chosen once
// per process, and one backend's allocations never disturb another's timings), then writes
// results/README.md from the result files and prints it.
//
//   node dist/main.js [--backends cpu,wasm,webgpu] [--quick] [--only optimizer,e2e,overhead,peer,profiles,arch,modern] [--out dir]
//   node dist/main.js --readme [--out dir]    (only rewrites README.md from the result files)
//   node dist/main.js profile [--backend wasm] [--model mlp|wide] [--fast-paths on|off|both] [--library …] [--top n] [--out dir]
//                                             (profiles one training step, in a process of its own: run-profile.ts)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_BACKENDS, type BenchmarkName, parseMainFlags, parseProfileFlags } from './args.js';
import { type BackendResult, FORMAT, readme } from './report.js';

interface MainArgs {
  readonly backends: readonly string[];
  readonly quick: boolean;
  readonly readmeOnly: boolean;
  readonly only?: readonly BenchmarkName[];
  readonly out: string;
}

function parseArgs(argv: readonly string[], appDir: string): MainArgs {
  const { out, ...flags } = parseMainFlags(argv);
  // --quick measures nothing worth keeping and --only half of it: neither overwrites the committed results.
  const scratch = flags.quick || flags.only !== undefined;
  return { ...flags, out: out ?? (scratch ? join(tmpdir(), 'gradkit-bench-partial') : join(appDir, 'results')) };
}

/** `main.js profile …`: checks the flags here, then profiles in a child process (tfjs is never loaded in this one). */
function profile(argv: readonly string[], here: string): number {
  try {
    parseProfileFlags(argv);
  } catch (e) {
    console.error(`bench profile: ${(e as Error).message}`);
    return 2;
  }
  const child = spawnSync(process.execPath, [join(here, 'run-profile.js'), ...argv], { stdio: 'inherit', cwd: join(here, '..') });
  return child.status ?? 1;
}

function main(): number {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const appDir = join(here, '..');
  if (process.argv[2] === 'profile') return profile(process.argv.slice(3), here);
  let args: MainArgs;
  try {
    args = parseArgs(process.argv.slice(2), appDir);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  mkdirSync(args.out, { recursive: true });
  const flags = [...(args.quick ? ['--quick'] : []), ...(args.only ? ['--only', args.only.join(',')] : [])];
  const command = `pnpm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''} (node apps/bench/dist/main.js, one process per backend)`;
  const failures: string[] = [];
  const started = performance.now();
  for (const backend of args.readmeOnly ? [] : args.backends) {
    const file = join(args.out, `${backend}.json`);
    const child = spawnSync(process.execPath, [join(here, 'run-backend.js'), backend, '--out', args.out, '--command', command, ...flags], {
      stdio: 'inherit',
      cwd: appDir,
    });
    if (child.status !== 0) {
      failures.push(`${backend}: the run failed (exit ${child.status ?? child.signal}); see its output above`);
      // Never leave an older run's numbers in place as if they were this run's.
      rmSync(file, { force: true });
    }
  }
  // Backends not run this time keep their last results (dated in the README), when in this format.
  const results: BackendResult[] = BENCH_BACKENDS.map((b) => join(args.out, `${b}.json`))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as BackendResult)
    .filter((r) => r.format === FORMAT);
  const text = readme(results, failures);
  writeFileSync(join(args.out, 'README.md'), text);
  console.log(`\n${text}`);
  console.log(`bench: wrote ${join(args.out, 'README.md')} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (const f of failures) console.error(`bench: ${f}`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = main();
