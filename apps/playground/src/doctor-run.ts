// The doctor on the user's files, in the worker, through gradient-lab's browser-safe entry
// (`@gradkit/gradient-lab/doctor`), as `gradient-lab doctor` runs it: the readers
// (`artifactsFromFiles`, `loadLayersModelFromArtifacts`, `readDataset`), the orchestration
// (`runDoctor`: the loss, the diagnosis, each remedy ranked), and the CLI's words (`describeModel`,
// `describeDataset`, `settingsLines`, `doctorTableRows`, `recommendationText`, report.json).
import { applyRemedy, type DoctorProgress, type LayersModelLike, type ModelDiagnosis, type RemedyAction, savableOptimizer } from '@gradkit/diagnostics';
import {
  artifactsFromFiles,
  DOCTOR_TABLE_HEADER,
  type DoctorRun,
  describeDataset,
  describeModel,
  doctorReportJson,
  doctorTableRows,
  loadLayersModelFromArtifacts,
  modelToFiles,
  readDataset,
  recommendationText,
  runDoctor,
  settingsLines,
  summarizeModel,
} from '@gradkit/gradient-lab/doctor';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DoctorPanelSettings, DoctorRowView } from './doctor-protocol.js';

/** The user's files and settings, and where the doctor says what it does. */
export interface DoctorRunInput {
  readonly modelJson: Uint8Array;
  readonly modelName: string;
  readonly weights: ReadonlyMap<string, Uint8Array>;
  readonly data: Uint8Array;
  readonly dataName: string;
  readonly settings: DoctorPanelSettings;
  /** The backend, in words (for report.json). */
  readonly backend: string;
  /** What the doctor read and decided (the model, the data, the settings with where each came from). */
  readonly onNotes: (lines: readonly string[]) => void;
  readonly onProgress: (progress: DoctorProgress) => void;
  /** The baseline's diagnosis, before the remedies are tried. */
  readonly onDiagnosis: (diagnosis: ModelDiagnosis) => void;
}

/** The loaded model (the worker keeps it to apply a remedy on request), the run and the CLI's table, recommendation and report.json. */
export interface DoctorRunResult {
  readonly model: LayersModelLike;
  readonly run: DoctorRun;
  readonly header: readonly string[];
  readonly rows: readonly DoctorRowView[];
  readonly recommendation: string;
  readonly reportJson: string;
}

/** Reads the files, runs the doctor (see the file's comment); the model is the caller's to dispose. */
export async function runDoctorOnFiles(input: DoctorRunInput): Promise<DoctorRunResult> {
  const started = performance.now();
  const { settings } = input;
  const loaded = await loadLayersModelFromArtifacts(artifactsFromFiles(input.modelJson, input.weights, input.modelName), input.modelName);
  const model = loaded.model as unknown as LayersModelLike;
  try {
    const dataset = readDataset(input.data, input.dataName, {
      inputShape: loaded.inputShape,
      outputUnits: loaded.outputShape.at(-1) ?? 1,
      ...(loaded.outputActivation === undefined ? {} : { outputActivation: loaded.outputActivation }),
      ...(settings.label === undefined ? {} : { label: settings.label }),
      ...(settings.task === undefined ? {} : { task: settings.task }),
    });
    const summary = summarizeModel(model);
    const dataLine = describeDataset(dataset);
    const notes = [
      `model: ${describeModel(summary)}${loaded.hasTrainingConfig ? '' : ' (saved without its training config)'}`,
      `data: ${dataLine}`,
      ...dataset.notes,
    ];
    input.onNotes(notes);
    const run = await runDoctor(model, dataset, {
      budget: settings.budget,
      batchSize: settings.batch,
      seed: settings.seed,
      ...(settings.task === undefined ? {} : { task: settings.task }),
      ...(settings.optimizer === undefined ? {} : { optimizer: settings.optimizer }),
      ...(settings.learningRate === undefined ? {} : { learningRate: settings.learningRate }),
      onProgress: input.onProgress,
      onDiagnosis: (d) => {
        const lossNote = d.settings.loss.source === 'option' && settings.task !== undefined ? { lossNote: `task ${settings.task}` } : {};
        input.onNotes([...notes, ...settingsLines(d.settings, { hasTrainingConfig: loaded.hasTrainingConfig, ...lossNote })]);
        input.onDiagnosis(d);
      },
    });
    const applied = new Set(run.trial.remedies.filter((r) => r.applied).map((r) => r.name));
    return {
      model,
      run,
      header: [...DOCTOR_TABLE_HEADER],
      rows: doctorTableRows(run.trial).map((r) => ({ name: r.name, cells: [...r.cells], recommended: r.recommended, applied: applied.has(r.name) })),
      recommendation: recommendationText(run.trial),
      reportJson: doctorReportJson(run, {
        command: `playground: bring your own model ${JSON.stringify(settings)}`,
        backend: input.backend,
        model: { ...summary, source: input.modelName, hasTrainingConfig: loaded.hasTrainingConfig },
        data: { source: input.dataName, samples: dataset.n, description: dataLine },
        seconds: (performance.now() - started) / 1000,
      }),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The files of `model` with `action` applied (a copy from the user's weights, not trained), compiled
 * as the doctor trained it, as `gradient-lab doctor --apply <name> --save <dir>` writes them.
 */
export async function remediedFiles(model: LayersModelLike, action: RemedyAction, run: DoctorRun): Promise<{ modelJson: string; weights: ArrayBuffer }> {
  const remedied = applyRemedy(model, action, run.settings);
  const copy = remedied.target as unknown as tfl.LayersModel;
  // Compiled with tf.train's optimizer where there is one, so that plain tf.loadLayersModel reads model.json.
  const savable = savableOptimizer(action, run.settings);
  try {
    if (savable !== undefined) copy.compile({ optimizer: savable, loss: run.settings.loss.value });
    const { modelJson, weightsBin } = await modelToFiles(copy);
    return { modelJson: JSON.stringify(modelJson), weights: weightsBin.slice().buffer };
  } finally {
    copy.dispose();
    if ('dispose' in remedied.optimizer) (remedied.optimizer as tf.Optimizer).dispose();
    savable?.dispose();
  }
}
