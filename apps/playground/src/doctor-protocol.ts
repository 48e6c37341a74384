// Messages between the page's "bring your own model" panel and the doctor worker. The user's files
// travel as ArrayBuffers (read in the page with File.arrayBuffer(); nothing leaves the browser).
import type { BackendInfo } from '@gradkit/core';
import type { DoctorSettings, Finding, RemedyAction, SpikeStats, Verdict } from '@gradkit/diagnostics';
import type { BackendName } from './config.js';

/** One file the user picked: its name (as on disk) and its bytes. */
export interface PickedFile {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

/** What the user picked: the model's `model.json`, its weight files and the data file. */
export interface DoctorFiles {
  readonly model: PickedFile;
  readonly weights: readonly PickedFile[];
  readonly data: PickedFile;
}

/** The panel's settings, as `gradient-lab doctor`'s flags (`--label`, `--task`, `--budget`, `--batch`, `--lr`, `--optimizer`). */
export interface DoctorPanelSettings {
  /** The label column of a CSV (default: the last one). */
  readonly label?: string;
  /** `classify` or `regress` (default: from the model's output layer). */
  readonly task?: 'classify' | 'regress';
  /** Optimizer steps of the baseline and of each remedy. */
  readonly budget: number;
  /** Samples per step. */
  readonly batch: number;
  /** The learning rate (default: the model's compiled optimizer's, else the doctor's default). */
  readonly learningRate?: number;
  /** The optimizer by tfjs name (default: the model's compiled one, else the doctor's default). */
  readonly optimizer?: string;
  /** Seed of the batch order. */
  readonly seed: number;
}

/**
 * Page → worker: diagnose the model on the data and try the remedies. A worker whose diagnosis is done
 * takes the next one on the same backend (its compiled WebGPU shaders are reused); any other case
 * gets a fresh worker (Stop terminates it).
 */
export interface DoctorStartMessage {
  readonly type: 'doctor';
  readonly files: DoctorFiles;
  readonly settings: DoctorPanelSettings;
  /** Backends to try, in order (the chosen one first). */
  readonly backends: readonly BackendName[];
  /** Absolute URL of the site root (tfjs-wasm/ lives there). */
  readonly base: string;
}

/** Page → worker, after `done`: the files of the model with the remedy `name` applied (from the user's weights, untrained). */
export interface DoctorSaveMessage {
  readonly type: 'save';
  readonly name: string;
  /** Echoed in the reply (the page shows only the reply to its latest request). */
  readonly id: number;
}

/** The diagnosis as the page shows it (plain data). */
export interface DoctorDiagnosisView {
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
  readonly settings: DoctorSettings;
  readonly initialLoss: number;
  readonly finalLoss: number;
  readonly spikes: SpikeStats;
  readonly remedies: readonly RemedyAction[];
}

/** One row of the ranked table: the remedy's name, its cells, whether it is recommended and whether it was applied (its model can be downloaded). */
export interface DoctorRowView {
  readonly name: string;
  readonly cells: readonly string[];
  readonly recommended: boolean;
  readonly applied: boolean;
}

/** What failed: the user's files (`input`: a message for them), the backend, or the doctor itself. */
export type DoctorFailureKind = 'input' | 'backend' | 'doctor';

/** Worker → page. */
export type DoctorWorkerMessage =
  | { readonly type: 'status'; readonly text: string }
  | { readonly type: 'backend'; readonly info: BackendInfo; readonly threadCount: number }
  /** What the doctor read and decided (the CLI's settings lines, e.g. "loss inferred from the output layer: …"). */
  | { readonly type: 'notes'; readonly lines: readonly string[] }
  | { readonly type: 'progress'; readonly phase: string; readonly step: number; readonly total: number; readonly loss?: number }
  | { readonly type: 'diagnosis'; readonly diagnosis: DoctorDiagnosisView }
  | {
      readonly type: 'trial';
      /** The ranked table as the CLI prints it (`doctorTableRows` of `@gradkit/gradient-lab/doctor`): baseline first. */
      readonly header: readonly string[];
      readonly rows: readonly DoctorRowView[];
      /** The recommendation, or "nothing to change" and why (the CLI's words). */
      readonly recommendation: string;
      readonly recommended?: string;
      /** report.json's text (the CLI's format). */
      readonly reportJson: string;
      readonly seconds: number;
    }
  /** The remedied model's files: `model.json` (naming `weights.bin`) and `weights.bin`. */
  | { readonly type: 'remedied'; readonly id: number; readonly name: string; readonly modelJson: string; readonly weights: ArrayBuffer }
  | { readonly type: 'error'; readonly kind: DoctorFailureKind; readonly message: string };
