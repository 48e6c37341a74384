// The "bring your own model" panel's settings from its form's text fields, as `gradient-lab doctor`'s
// flags: checked here, in the page, so a bad value is a message before any file is read.
import type { DoctorPanelSettings } from './doctor-protocol.js';

/** The panel's fields as the form gives them (text; empty means the default). */
export interface DoctorFields {
  readonly label: string;
  readonly task: string;
  readonly budget: string;
  readonly batch: string;
  readonly lr: string;
  readonly optimizer: string;
  readonly seed: string;
}

/** The panel's defaults: a short probe (the CLI's are longer; a browser tab should answer in seconds). */
export const DOCTOR_DEFAULTS = { budget: 60, batch: 32, seed: 0 } as const;

/** The largest budget the page accepts (each remedy trains that many steps too). */
export const MAX_BUDGET = 5000;

/** The optimizers the doctor takes by tfjs name (`--optimizer`). */
export const DOCTOR_OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;

/** The settings, or the problems with the fields (each naming the field and the value), as the page says them. */
export function doctorSettingsFrom(fields: DoctorFields): { settings?: DoctorPanelSettings; problems: string[] } {
  const problems: string[] = [];
  const int = (name: string, text: string, fallback: number, min: number, max: number) => {
    if (text.trim() === '') return fallback;
    const v = Number(text);
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name} must be a whole number from ${min} to ${max} (got '${text}')`);
    return v;
  };
  const budget = int('budget', fields.budget, DOCTOR_DEFAULTS.budget, 1, MAX_BUDGET);
  const batch = int('batch', fields.batch, DOCTOR_DEFAULTS.batch, 1, 65536);
  const seed = int('seed', fields.seed, DOCTOR_DEFAULTS.seed, 0, 2 ** 31 - 1);
  let learningRate: number | undefined;
  if (fields.lr.trim() !== '') {
    learningRate = Number(fields.lr);
    if (!(learningRate > 0 && Number.isFinite(learningRate))) problems.push(`learning rate must be a positive number (got '${fields.lr}')`);
  }
  const task = fields.task.trim();
  if (task !== '' && task !== 'classify' && task !== 'regress') problems.push(`task must be classify or regress (got '${fields.task}')`);
  const optimizer = fields.optimizer.trim();
  if (optimizer !== '' && !(DOCTOR_OPTIMIZERS as readonly string[]).includes(optimizer))
    problems.push(`optimizer must be one of ${DOCTOR_OPTIMIZERS.join(', ')} (got '${fields.optimizer}')`);
  if (problems.length) return { problems };
  const label = fields.label.trim();
  return {
    settings: {
      budget,
      batch,
      seed,
      ...(label ? { label } : {}),
      ...(task ? { task: task as 'classify' | 'regress' } : {}),
      ...(learningRate === undefined ? {} : { learningRate }),
      ...(optimizer ? { optimizer } : {}),
    },
    problems,
  };
}
