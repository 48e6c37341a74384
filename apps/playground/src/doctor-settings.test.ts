import { describe, expect, it } from 'vitest';
import { DOCTOR_DEFAULTS, type DoctorFields, doctorSettingsFrom } from './doctor-settings.js';

const empty: DoctorFields = { label: '', task: '', budget: '', batch: '', lr: '', optimizer: '', seed: '' };

describe('doctorSettingsFrom', () => {
  it('fills the defaults for empty fields and leaves the model-given ones out', () => {
    expect(doctorSettingsFrom(empty)).toEqual({ settings: { ...DOCTOR_DEFAULTS }, problems: [] });
  });

  it('reads every field', () => {
    const { settings } = doctorSettingsFrom({ label: ' species ', task: 'classify', budget: '40', batch: '16', lr: '0.05', optimizer: 'sgd', seed: '3' });
    expect(settings).toEqual({ label: 'species', task: 'classify', budget: 40, batch: 16, learningRate: 0.05, optimizer: 'sgd', seed: 3 });
  });

  it('names each bad field and its value', () => {
    const { settings, problems } = doctorSettingsFrom({ ...empty, budget: '2.5', batch: '0', lr: '-1', task: 'cluster', optimizer: 'SGD', seed: 'x' });
    expect(settings).toBeUndefined();
    expect(problems).toEqual([
      "budget must be a whole number from 1 to 5000 (got '2.5')",
      "batch must be a whole number from 1 to 65536 (got '0')",
      "seed must be a whole number from 0 to 2147483647 (got 'x')",
      "learning rate must be a positive number (got '-1')",
      "task must be classify or regress (got 'cluster')",
      "optimizer must be one of sgd, momentum, adam, rmsprop, adagrad, adadelta, adamax (got 'SGD')",
    ]);
    expect(doctorSettingsFrom({ ...empty, lr: 'Infinity' }).problems).toEqual(["learning rate must be a positive number (got 'Infinity')"]);
  });
});
