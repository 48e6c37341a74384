// One backend's benchmarks in one process: `node dist/run-backend.js <cpu|wasm|webgpu> [--quick] [--only optimizer,e2e,overhead,peer,profiles,arch,modern] [--out dir]`.
// Starts the backend with useBackend, runs its plan, writes <out>/<backend>.json and prints its tables.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BackendName, useBackend } from '@gradkit/core';
import { type ArchResult, benchArch } from './arch.js';
import { type BenchmarkName, parseBackendFlags } from './args.js';
import { benchEndToEnd, type EndToEndResult } from './e2e.js';
import { describeBackend, machineInfo, sourceInfo } from './machine.js';
import { benchModern, type ModernResult } from './modern.js';
import { benchOptimizerStep } from './optimizer-step.js';
import { benchMonitoringOverhead, type OverheadResult } from './overhead.js';
import { benchPeer, type PeerResult } from './peer.js';
import { fullPlan, quickPlan } from './plan.js';
import { type BenchProfile, benchProfiles } from './profile.js';
import {
  type BackendResult,
  endToEndTable,
  FORMAT,
  floorTable,
  ms,
  optimizerName,
  optimizerTable,
  overheadTable,
  pct,
  profileTable,
  targetTable,
  times,
} from './report.js';
import { archLossTable, archMemoryTable, archTable } from './report-arch.js';
import { modernSection } from './report-modern.js';
import { lossTable, netLabel, peerTable, profileSummaryTable } from './report-peer.js';

/** Parsed command line of a backend run. */
export interface BackendArgs {
  readonly backend: BackendName;
  readonly quick: boolean;
  /** Run only these benchmarks (the others' results are left empty). */
  readonly only?: readonly BenchmarkName[];
  readonly out: string;
  readonly command: string;
  /** With `only`: keep the other benchmarks' results of the file being replaced. */
  readonly merge?: boolean;
}

/** Parses `<backend> [--quick] [--only optimizer,e2e,overhead,peer,profiles,arch,modern] [--out dir] [--command text]`; throws a message (with the closest flag) for anything else. */
export function parseBackendArgs(argv: readonly string[], defaultOut: string): BackendArgs {
  const { out, command, ...flags } = parseBackendFlags(argv);
  return { ...flags, out: out ?? defaultOut, command: command ?? 'node dist/run-backend.js' };
}

/** Runs the plan of `args.backend` and writes its result file; returns the result. */
export async function runBackend(args: BackendArgs, log: (line: string) => void = console.log): Promise<BackendResult> {
  const started = new Date();
  const machine = machineInfo();
  const info = await useBackend(args.backend);
  const described = describeBackend(info);
  log(`[${args.backend}] ${described}; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${machine.loadAverageAtStart}`);
  const full = args.quick ? quickPlan() : fullPlan(args.backend);
  const runs = (b: BenchmarkName) => args.only === undefined || args.only.includes(b);
  const plan = {
    ...full,
    overhead: runs('overhead') ? full.overhead : [],
    optimizerStep: runs('optimizer') ? full.optimizerStep : { ...full.optimizerStep, layouts: [] },
    endToEnd: runs('e2e') ? full.endToEnd : null,
    peer: runs('peer') ? full.peer : [],
    profiles: runs('profiles') ? full.profiles : null,
    arch: runs('arch') ? full.arch : [],
    modern: runs('modern') ? full.modern : null,
  };
  const t0 = performance.now();

  const overhead: OverheadResult[] = [];
  for (const o of plan.overhead) {
    log(`[${args.backend}] monitoring overhead, ${o.optimizer ?? 'sgd'} …`);
    const r = await benchMonitoringOverhead(o);
    overhead.push(r);
    const oh = r.overhead.monitorGradients;
    log(
      `[${args.backend}]   plain ${ms(r.variants.plain?.median ?? Number.NaN)} ms/step, monitorGradients ${ms(r.variants.monitorGradients?.median ?? Number.NaN)} ms/step: ${oh ? pct(oh.ofMedians) : '?'}`,
    );
  }

  if ((plan.optimizerStep.layouts?.length ?? 1) > 0) log(`[${args.backend}] optimizer step vs tf.train …`);
  const optimizerStep = await benchOptimizerStep(plan.optimizerStep, (row) =>
    log(
      `[${args.backend}]   ${optimizerName(row.optimizer).padEnd(24)} ${row.layout.padEnd(10)} gradkit ${ms(row.gradkit.median)} ms (${row.gradkit.path}), tfjs ${ms(row.tfjs.median)} ms: ${times(row.speedup)}; copy floor ${ms(row.floor.ms)} ms${row.submits ? `; submits/step ${row.submits.gradkit} (tfjs ${row.submits.tfjs})` : ''}${row.submits?.errors ? ` ⚠ WebGPU rejected work: ${JSON.stringify(row.submits.errors)}` : ''}`,
    ),
  );

  let endToEnd: EndToEndResult | null = null;
  if (plan.endToEnd) {
    log(`[${args.backend}] end to end: gradkit vs tfjs-layers …`);
    endToEnd = await benchEndToEnd(plan.endToEnd);
    const v = endToEnd.variants;
    log(
      `[${args.backend}]   gradkit step ${ms(v['gradkit step'].median)} ms (${endToEnd.path}), model.fit ${ms(v['model.fit'].median)} ms: ${times(endToEnd.speedupOverFit)}; minimize ${ms(v['gradkit minimize'].median)} ms, trainOnBatch ${ms(v.trainOnBatch.median)} ms: ${times(endToEnd.speedupOverTrainOnBatch)}`,
    );
  }

  const peer: PeerResult[] = [];
  for (const o of plan.peer) {
    log(`[${args.backend}] peer: gradkit vs tfjs-layers vs jax-js, ${o.model ?? 'custom'} …`);
    const r = await benchPeer(o);
    peer.push(r);
    const v = r.variants;
    const at = (name: keyof typeof v) => (v[name] ? `${ms(v[name].median)} ms` : 'n/a');
    log(
      `[${args.backend}]   ${netLabel(r)}: gradkit ${at('gradkit')} (fast paths off ${at('gradkit, fast paths off')}), tfjs-layers ${at('tfjs-layers')} (+ gradkit ${at('tfjs-layers + gradkit')}), jax-js ${at('jax-js')}${r.unavailable['jax-js'] ? ` (${r.unavailable['jax-js']})` : ''}; losses agree to ${Math.max(...r.lossCheck.spread).toExponential(1)}`,
    );
  }

  let profiles: BenchProfile[] = [];
  if (plan.profiles) {
    log(`[${args.backend}] profiles of the MLP's training step …`);
    profiles = await benchProfiles(plan.profiles);
  }

  const arch: ArchResult[] = [];
  for (const o of plan.arch) {
    log(`[${args.backend}] arch: gradkit vs tfjs-layers, ${o.model} …`);
    const r = await benchArch(o);
    arch.push(r);
    const at = (v: keyof typeof r.variants) => (r.variants[v] ? `${ms(r.variants[v].median)} ms` : `n/a (${r.unavailable[v] ?? 'not run'})`);
    log(`[${args.backend}]   ${r.label}: gradkit ${at('gradkit')}, tfjs-layers ${at('tfjs-layers')} (+ gradkit ${at('tfjs-layers + gradkit')})`);
  }

  let modern: ModernResult | null = null;
  if (plan.modern) {
    log(`[${args.backend}] modern optimizers (issue 16): step vs tf.train.adam, Newton–Schulz, training step …`);
    modern = await benchModern(
      plan.modern,
      {
        measuredAt: started.toISOString(),
        command: args.command,
        described,
        machine: `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart} at the start`,
      },
      (row) =>
        log(
          `[${args.backend}]   ${optimizerName(row.optimizer).padEnd(24)} ${row.layout.padEnd(10)} gradkit ${ms(row.gradkit.median)} ms (${row.gradkit.path}), tf.train.adam ${ms(row.tfjs.median)} ms${row.submits ? `; submits/step ${row.submits.gradkit}` : ''}`,
        ),
    );
    for (const r of modern.newtonSchulz)
      log(
        `[${args.backend}]   Newton–Schulz ${r.shape.join(' × ')}: ${ms(r.ms.median)} ms, ${r.kernels} kernels${r.dispatches !== undefined ? `, ${r.dispatches} dispatches, ${r.submits} submits (muon step: ${r.muonStepSubmits})` : ''}`,
      );
    for (const [name, v] of Object.entries(modern.training?.variants ?? {}))
      log(`[${args.backend}]   training step, ${name}: ${ms(v.median)} ms${v.path ? ` (${v.path})` : ''}`);
  }

  let result: BackendResult = {
    format: FORMAT,
    backend: args.backend,
    backendInfo: { ...info, described },
    machine,
    command: args.command,
    source: sourceInfo(process.cwd()),
    startedAt: started.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    overhead,
    optimizerStep,
    endToEnd,
    peer,
    profiles,
    arch,
    modern,
    notes: plan.notes,
  };
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `${args.backend}.json`);
  if (args.merge && args.only) result = merged(file, result, args.only);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log('');
  if (overhead.length > 0) log(`${overheadTable([result])}\n\n${profileTable([result])}\n`);
  if (optimizerStep.rows.length > 0) log(`${optimizerTable(optimizerStep.rows)}\n\n${floorTable(optimizerStep.rows)}\n`);
  if (endToEnd) log(`${endToEndTable([result])}\n`);
  if (peer.length > 0) log(`${peerTable([result])}\n\n${lossTable([result])}\n`);
  if (profiles.length > 0) log(`${profileSummaryTable([result])}\n`);
  if (arch.length > 0) log(`${archTable([result])}\n\n${archMemoryTable([result])}\n\n${archLossTable([result])}\n`);
  if (modern) log(`${modernSection([result])}\n`);
  log(`${targetTable([result])}\n`);
  log(`[${args.backend}] wrote ${file} (${result.seconds.toFixed(0)} s)`);
  return result;
}

/** The benchmarks' fields of a result file. */
const FIELDS: Readonly<Record<BenchmarkName, keyof BackendResult>> = {
  optimizer: 'optimizerStep',
  e2e: 'endToEnd',
  overhead: 'overhead',
  peer: 'peer',
  profiles: 'profiles',
  arch: 'arch',
  modern: 'modern',
};

/**
 * `--merge`: the result file as it was (when in this format), with the fields of the benchmarks that
 * ran (`only`) replaced by this run's; its run metadata (command, date, source) stay the file's, and
 * each merged benchmark records its own where it has them (`modern.measuredAt`).
 */
export function merged(file: string, fresh: BackendResult, only: readonly BenchmarkName[]): BackendResult {
  if (!existsSync(file)) return fresh;
  const old = JSON.parse(readFileSync(file, 'utf8')) as BackendResult;
  if (old.format !== FORMAT || old.backend !== fresh.backend) return fresh;
  return { ...old, ...Object.fromEntries(only.map((b) => [FIELDS[b], fresh[FIELDS[b]]])) };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  let args: BackendArgs;
  try {
    args = parseBackendArgs(process.argv.slice(2), join(process.cwd(), 'results'));
  } catch (e) {
    console.error(`run-backend: ${(e as Error).message}`);
    process.exit(2);
  }
  runBackend(args).then(
    () => process.exit(0),
    (e) => {
      console.error(`run-backend (${args.backend}): ${(e as Error).stack ?? e}`);
      process.exit(1);
    },
  );
}
