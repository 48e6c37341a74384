// `gradient-lab doctor`: loads the user's saved tfjs-layers model and data, runs the doctor with a
// progress bar per phase, prints the settings (with where each came from), the verdict and findings,
// the ranked remedies and the recommendation, writes report.html + report.json, and with `--apply
// <name> --save <dir>` saves the remedied model. Returns the exit code: 0, 1 for a bad file or a
// refusal (`gradient-lab: <message>`), 2 for a usage error.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GradkitError } from '@gradkit/core';
import { applyRemedy, type DoctorProgress, type LayersModelLike, type ModelDiagnosis, savableOptimizer } from '@gradkit/diagnostics';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DoctorCommand } from '../args.js';
import { EXIT, Exit, type LabIO, startBackend } from '../cli-io.js';
import { ProgressBar } from '../progress.js';
import { num } from '../table.js';
import { type Dataset, readDataset } from './data-files.js';
import { DoctorInputError } from './doctor-errors.js';
import type { DoctorReportContext } from './doctor-report.js';
import { checkReportDir, writeDoctorReport } from './doctor-report-html.js';
import { findingLines, formatDoctorTable, recommendationText, settingsLines } from './doctor-table.js';
import type { LoadedModel } from './model-artifacts.js';
import { loadModelFromDisk, saveModelToDir } from './model-files.js';
import { type DoctorRun, describeDataset, describeModel, remediesToTry, runDoctor, summarizeModel, taskNote } from './run-doctor.js';

/** Prints `gradient-lab: <message>` and ends the command with exit 1. */
function refuse(io: LabIO, message: string): never {
  io.stderr.write(`gradient-lab: ${message}\n`);
  throw new Exit(EXIT.failure);
}

/** The remedies the diagnosis offered, for messages: `a, b (not applicable: why)`. */
function offered(d: ModelDiagnosis): string {
  if (d.remedies.length === 0) return `the diagnosis (verdict ${d.verdict}) offered no remedies`;
  return `the diagnosis offered ${d.remedies.map((r) => (r.applicable ? r.name : `${r.name} (not applicable: ${r.whyNot ?? 'no reason given'})`)).join(', ')}`;
}

/**
 * Why `--apply` or `--remedies` cannot be followed, or undefined: every name must be a remedy the
 * diagnosis offered, and `--apply`'s one it can apply to this model.
 */
export function remedyNamesProblem(cmd: Pick<DoctorCommand, 'apply' | 'remedies'>, d: ModelDiagnosis): string | undefined {
  const names = d.remedies.map((r) => r.name);
  const unknown = cmd.remedies?.find((n) => !names.includes(n));
  if (unknown !== undefined) return `--remedies: '${unknown}' is not a remedy for this model: ${offered(d)}`;
  if (cmd.apply === undefined) return undefined;
  const action = d.remedies.find((r) => r.name === cmd.apply);
  if (action === undefined) return `--apply ${cmd.apply}: not a remedy for this model: ${offered(d)}`;
  if (!action.applicable) return `--apply ${cmd.apply}: cannot be applied to this model: ${action.whyNot ?? 'no reason given'}; ${offered(d)}`;
  return undefined;
}

/** Refuses `--save <dir>` before any work when it already holds a saved model (nothing is overwritten). */
function checkSaveDir(dir: string): void {
  for (const name of ['model.json', 'weights.bin'])
    if (existsSync(join(dir, name)))
      throw new DoctorInputError(dir, `--save ${dir} already holds ${name}: the doctor never overwrites a model; name a new or empty folder`);
}

/** One progress bar per phase (baseline, curvature, each remedy), finished when the next begins. */
class PhaseBars {
  private bar: ProgressBar | undefined;
  private phase: string | undefined;
  private last: DoctorProgress | undefined;
  private index = 0;
  /** Remedies to try (for the `[k/n]` labels). */
  total = 1;
  /** Bars drawn since the diagnosis (0: no remedy was tried). */
  remedyBars = 0;

  constructor(private readonly io: LabIO) {}

  update(p: DoctorProgress): void {
    if (p.phase !== this.phase) {
      this.finish();
      this.phase = p.phase;
      const remedy = p.phase !== 'baseline' && p.phase !== 'curvature';
      if (remedy) {
        this.index++;
        this.remedyBars++;
      }
      const label = remedy ? `[${this.index}/${this.total}] ${p.phase}` : p.phase;
      this.bar = new ProgressBar(this.io.stdout, { label, total: p.total });
    }
    this.last = p;
    this.bar?.update(p.step, p.loss === undefined ? '' : `loss ${num(p.loss)}`);
  }

  finish(extra?: string): void {
    const p = this.last;
    if (this.bar !== undefined && p !== undefined) this.bar.finish(p.step, extra ?? (p.loss === undefined ? '' : `loss ${num(p.loss)}`));
    this.bar = undefined;
    this.phase = undefined;
  }
}

async function readData(io: LabIO, cmd: DoctorCommand, loaded: LoadedModel): Promise<Dataset> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(cmd.data));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    refuse(
      io,
      code === 'ENOENT'
        ? `--data ${cmd.data}: no such file: name a .csv, .json or .npy file`
        : code === 'EISDIR'
          ? `--data ${cmd.data} is a folder: name a .csv, .json or .npy file`
          : `--data ${cmd.data} could not be read (${code ?? (e as Error).message})`,
    );
  }
  return readDataset(bytes, cmd.data, {
    inputShape: loaded.inputShape,
    outputUnits: loaded.outputShape.at(-1) ?? 1,
    ...(loaded.outputActivation === undefined ? {} : { outputActivation: loaded.outputActivation }),
    ...(cmd.label === undefined ? {} : { label: cmd.label }),
    ...(cmd.task === undefined ? {} : { task: cmd.task }),
  });
}

/** tf.train's optimizers, by the class names tfjs serializes them under (lower-cased). */
const TF_TRAIN = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'];

/** `tf.train.adam(0.001)` for one of tfjs's own optimizers (from its class name and config); undefined for others (gradkit's adapters). */
export function optimizerCode(optimizer: unknown): string | undefined {
  const o = optimizer as { getClassName?: () => string; getConfig?: () => Record<string, unknown> };
  if (typeof o?.getClassName !== 'function' || typeof o.getConfig !== 'function') return undefined;
  const name = String(o.getClassName()).toLowerCase();
  if (!TF_TRAIN.includes(name)) return undefined;
  const c = o.getConfig();
  return name === 'momentum' ? `tf.train.momentum(${c.learningRate}, ${c.momentum})` : `tf.train.${name}(${c.learningRate})`;
}

/** `--apply <name> --save <dir>`: the remedied copy, compiled as the doctor trained it, saved as a tfjs-layers model; prints how to load, compile and train it. */
async function applyAndSave(io: LabIO, cmd: DoctorCommand, model: LayersModelLike, run: DoctorRun): Promise<void> {
  const action = run.diagnosis.remedies.find((r) => r.name === cmd.apply);
  if (action === undefined || cmd.save === undefined) return;
  const remedied = applyRemedy(model, action, run.settings);
  const copy = remedied.target as unknown as tfl.LayersModel;
  const loss = run.settings.loss.value;
  const savable = savableOptimizer(action, run.settings);
  try {
    const optimizer = optimizerCode(savable);
    if (savable !== undefined) copy.compile({ optimizer: savable, loss });
    const saved = await saveModelToDir(copy, cmd.save);
    const compile = saved.hasTrainingConfig
      ? [`  model.json holds the compile the doctor trained it with (${optimizer}, loss '${loss}'): loadLayersModel compiles it.`]
      : [
          optimizer === undefined
            ? `  model.compile({ optimizer: /* the remedy's optimizer, below */, loss: '${loss}' });`
            : `  model.compile({ optimizer: ${optimizer}, loss: '${loss}' });`,
        ];
    io.stdout.write(
      [
        '',
        `saved the model with ${action.name} applied to ${resolve(cmd.save)}:`,
        `  ${saved.modelJsonPath}`,
        `  ${saved.weightsPath}`,
        'load it with tfjs-node (in a browser: tf.io.browserFiles([modelJson, weightsBin])):',
        `  const model = await tf.loadLayersModel('file://${resolve(saved.modelJsonPath)}');`,
        'compile it as the doctor trained it:',
        ...compile,
        `the remedy as code (${action.title}):`,
        ...action.code.split('\n').map((line) => `  ${line}`),
        '',
      ].join('\n'),
    );
  } finally {
    copy.dispose();
    if ('dispose' in remedied.optimizer) (remedied.optimizer as tf.Optimizer).dispose();
    savable?.dispose();
  }
}

/** Runs `gradient-lab doctor` (see the file comment); `argv` is the whole command line, for the report. */
export async function doctorCommand(cmd: DoctorCommand, io: LabIO, argv: readonly string[]): Promise<number> {
  const started = performance.now();
  let model: tfl.LayersModel | undefined;
  try {
    checkReportDir(cmd.out);
    if (cmd.save !== undefined) checkSaveDir(cmd.save);
    const { line } = await startBackend(cmd.backend, io);
    const loaded = await loadModelFromDisk(cmd.model);
    model = loaded.model;
    const target = model as unknown as LayersModelLike;
    const summary = summarizeModel(target);
    io.stdout.write(`model: ${describeModel(summary)}${loaded.hasTrainingConfig ? '' : ' (saved without its training config)'}\n`);
    const dataset = await readData(io, cmd, loaded);
    const dataLine = describeDataset(dataset);
    io.stdout.write(`data: ${dataLine}\n${dataset.notes.map((n) => `  ${n}\n`).join('')}\n`);

    const bars = new PhaseBars(io);
    // --apply tries its remedy (with those --remedies names, if any)
    const toTry = cmd.apply === undefined ? cmd.remedies : [...new Set([...(cmd.remedies ?? []), cmd.apply])];
    const run = await runDoctor(target, dataset, {
      budget: cmd.budget,
      batchSize: cmd.batch,
      seed: cmd.seed,
      curvature: cmd.curvature,
      ...(cmd.task === undefined ? {} : { task: cmd.task }),
      ...(cmd.optimizer === undefined ? {} : { optimizer: cmd.optimizer }),
      ...(cmd.lr === undefined ? {} : { learningRate: cmd.lr }),
      ...(toTry === undefined ? {} : { remedies: toTry }),
      onProgress: (p) => {
        if (bars.remedyBars === 0 && p.phase !== 'baseline' && p.phase !== 'curvature') io.stdout.write('\n');
        bars.update(p);
      },
      onDiagnosis: (d) => {
        bars.finish(`${d.verdict}  final loss ${num(d.finalLoss)}`);
        const problem = remedyNamesProblem(cmd, d);
        if (problem !== undefined) refuse(io, problem);
        bars.total = remediesToTry(d, toTry).length;
        const note = d.settings.loss.source === 'option' ? { lossNote: taskNote(target, cmd.task ?? dataset.task, cmd.task !== undefined) } : {};
        io.stdout.write(`\n${settingsLines(d.settings, { hasTrainingConfig: loaded.hasTrainingConfig, ...note }).join('\n')}\n\n`);
        io.stdout.write(`${findingLines(d).join('\n')}\n`);
      },
    });
    bars.finish();
    io.stdout.write(`\n${formatDoctorTable(run.trial)}\n\n${recommendationText(run.trial)}\n`);

    const context: DoctorReportContext = {
      command: `gradient-lab ${argv.join(' ')}`.trim(),
      backend: line,
      model: { ...summary, source: loaded.modelJsonPath, hasTrainingConfig: loaded.hasTrainingConfig },
      data: { source: cmd.data, samples: dataset.n, description: dataLine },
      seconds: (performance.now() - started) / 1000,
    };
    const paths = writeDoctorReport(cmd.out, run, context);
    io.stdout.write(`\nreport: ${paths.html}\n        ${paths.json}\n`);
    if (cmd.apply !== undefined) await applyAndSave(io, cmd, target, run);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof GradkitError)) throw e;
    io.stderr.write(`gradient-lab: ${e.message}\n`);
    if (io.debug ?? Boolean(process.env.GRADIENT_LAB_DEBUG)) io.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.failure;
  } finally {
    // a model loaded with its training config holds an optimizer it does not own (dispose() leaves it)
    model?.optimizer?.dispose();
    model?.dispose();
  }
}
