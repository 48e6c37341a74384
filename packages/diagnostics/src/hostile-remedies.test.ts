// The hostile user and the remedies: bad targets, diagnoses, actions, settings and remedy names given
// to remedyActions, applyRemedy and tryRemedies. Each gets a typed error naming the input, with the
// model's weights as they were.
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe } from 'vitest';
import { applyRemedy } from './apply-remedy.js';
import { asTarget, classification, mlp } from './doctor-test-support.js';
import type { DoctorSettings, RemedyAction } from './doctor-types.js';
import { remedyAction, remedyActions } from './remedy-actions.js';
import { fakeDiagnosis, finding } from './remedy-test-support.js';
import { tryRemedies } from './try-remedies.js';

const model = mlp('sigmoid', 2, 8, 4, 3);
const target = asTarget(model);
const data = classification(1, 16, 4, 3);
const d = fakeDiagnosis([finding('vanishing'), finding('exploding')], [1, 2, 3]);
const settings = d.settings;
const reluHe = remedyAction('relu-he', target, d, ['vanishing']);
const clip = remedyAction('clip-global-norm', target, d, ['exploding']);
const warmup = remedyAction('warmup', target, d);
const lowerLr = remedyAction('lower-lr', target, d);
const withRemedies = { ...d, remedies: [reluHe, clip] };

/** Watches the model's weights, then runs `call`. */
const watched = (call: () => unknown) => async (ctx: HostileContext) => {
  await ctx.watch(...model.getWeights());
  return call();
};
const apply = (action: unknown, s: unknown = settings) => watched(() => applyRemedy(target, action as RemedyAction, s as DoctorSettings));
const actions = (diagnosis: unknown, t: unknown = target) => watched(() => remedyActions(t as never, diagnosis as never));
const trial = (options: unknown, t: unknown = target) => watched(() => tryRemedies(t as never, options as never));

afterAll(() => {
  model.dispose();
  tf.dispose([data.x, data.y]);
});

describe('remedies, hostile', () => {
  hostileCases([
    // remedyActions
    { input: 'remedyActions(null, diagnosis)', names: 'target', run: actions(d, null) },
    { input: 'remedyActions({ module }, diagnosis) (no loss)', names: 'target.loss', run: actions(d, { module: { apply: () => null, params: {} } }) },
    { input: 'remedyActions(model, undefined)', names: 'diagnosis', run: actions(undefined) },
    { input: "remedyActions(model, { …, findings: 'vanishing' })", names: 'diagnosis.findings', run: actions({ ...d, findings: 'vanishing' }) },
    {
      input: "remedyActions(model, { …, findings: [{ kind: 'vanishingGradients' }] })",
      names: 'diagnosis.findings.0.kind',
      run: actions({ ...d, findings: [{ kind: 'vanishingGradients' }] }),
    },
    { input: 'remedyActions(model, { …, findings: [null] })', names: 'diagnosis.findings.0.kind', run: actions({ ...d, findings: [null] }) },
    { input: 'remedyActions(model, { …, reports: undefined })', names: 'diagnosis.reports', run: actions({ ...d, reports: undefined }) },
    { input: 'remedyActions(model, { …, settings: null })', names: 'diagnosis.settings', run: actions({ ...d, settings: null }) },
    {
      input: 'remedyActions(model, { …, settings: { optimizer: { learningRate: NaN } } })',
      names: 'diagnosis.settings',
      run: actions({ ...d, settings: { ...settings, optimizer: { ...settings.optimizer, learningRate: Number.NaN } } }),
    },
    {
      input: 'remedyActions(model, { …, settings: { budget: 0 } })',
      names: 'diagnosis.settings.budget',
      run: actions({ ...d, settings: { ...settings, budget: 0 } }),
    },
    { input: "remedyAction('relu_he', model, diagnosis)", names: 'remedies', run: watched(() => remedyAction('relu_he', target, d)) },
    // applyRemedy
    { input: 'applyRemedy(undefined, action, settings)', names: 'target', run: watched(() => applyRemedy(undefined as never, reluHe, settings)) },
    { input: 'applyRemedy(model, null, settings)', names: 'action', run: apply(null) },
    { input: "applyRemedy(model, 'relu-he', settings) (a name, not the action)", names: 'action', run: apply('relu-he') },
    { input: "applyRemedy(model, { …, name: 'dropout' }, settings)", names: 'action.name', run: apply({ ...reluHe, name: 'dropout' }) },
    { input: 'applyRemedy(model, { …, applicable: false }, settings)', names: 'action', run: apply({ ...reluHe, applicable: false, whyNot: 'no' }) },
    { input: 'applyRemedy(model, relu-he without params.layers, settings)', names: 'action.params.layers', run: apply({ ...reluHe, params: {} }) },
    {
      input: "applyRemedy(model, relu-he on layers ['nope'], settings)",
      names: 'action.params.layers',
      run: apply({ ...reluHe, params: { layers: ['nope'] } }),
    },
    {
      input: "applyRemedy(model, relu-he on layers 'dense_1', settings)",
      names: 'action.params.layers',
      run: apply({ ...reluHe, params: { layers: 'dense_1' } }),
    },
    { input: 'applyRemedy(model, clip at maxNorm NaN, settings)', names: 'action.params.maxNorm', run: apply({ ...clip, params: { maxNorm: Number.NaN } }) },
    { input: 'applyRemedy(model, clip at maxNorm -1, settings)', names: 'action.params.maxNorm', run: apply({ ...clip, params: { maxNorm: -1 } }) },
    { input: "applyRemedy(model, clip at maxNorm '1', settings)", names: 'action.params.maxNorm', run: apply({ ...clip, params: { maxNorm: '1' } }) },
    {
      input: 'applyRemedy(model, lower-lr at Infinity, settings)',
      names: 'action.params.learningRate',
      run: apply({ ...lowerLr, params: { learningRate: Number.POSITIVE_INFINITY } }),
    },
    {
      input: 'applyRemedy(model, warmup of 20 steps in a budget of 10, settings)',
      names: 'action.params.warmupSteps',
      run: apply({ ...warmup, params: { ...warmup.params, warmupSteps: 20, decaySteps: 10 } }),
    },
    { input: 'applyRemedy(model, action, null)', names: 'settings', run: apply(reluHe, null) },
    {
      input: "applyRemedy(model, action, { optimizer: { value: 'adamw' } })",
      names: 'settings.optimizer',
      run: apply(reluHe, { ...settings, optimizer: { ...settings.optimizer, value: 'adamw' } }),
    },
    {
      input: 'applyRemedy(model, action, { optimizer: { learningRate: 0 } })',
      names: 'settings.optimizer',
      run: apply(reluHe, { ...settings, optimizer: { ...settings.optimizer, learningRate: 0 } }),
    },
    { input: 'applyRemedy(model, action, { seed: 1.5 })', names: 'settings.seed', run: apply(reluHe, { ...settings, seed: 1.5 }) },
    // tryRemedies
    { input: 'tryRemedies(null, { data })', names: 'target', run: trial({ data }, null) },
    { input: 'tryRemedies(model)', names: 'tryRemedies', run: trial(undefined) },
    { input: "tryRemedies(model, { data, remedies: ['relu_he'] })", names: 'remedies', run: trial({ data, remedies: ['relu_he'] }) },
    { input: "tryRemedies(model, { data, remedies: 'relu-he' })", names: 'remedies', run: trial({ data, remedies: 'relu-he' }) },
    { input: 'tryRemedies(model, { data, remedies: [3] })', names: 'remedies', run: trial({ data, remedies: [3] }) },
    { input: 'tryRemedies(model, { data, remedies: null })', names: 'remedies', run: trial({ data, remedies: null }) },
    { input: 'tryRemedies(model, { data, lr: 0.1 }) (PyTorch)', names: 'lr', run: trial({ data, lr: 0.1 }) },
    { input: "tryRemedies(model, { data, remedy: ['relu-he'] })", names: 'remedy', run: trial({ data, remedy: ['relu-he'] }) },
    { input: 'tryRemedies(model, { data, diagnosis: {} })', names: 'diagnosis.findings', run: trial({ data, diagnosis: {} }) },
    { input: 'tryRemedies(model, { data, diagnosis: { … no remedies } })', names: 'diagnosis.remedies', run: trial({ data, diagnosis: d }) },
    { input: 'tryRemedies(model, { diagnosis })', names: 'data', run: trial({ diagnosis: withRemedies }) },
    { input: 'tryRemedies(model, { data: null, diagnosis })', names: 'data', run: trial({ data: null, diagnosis: withRemedies }) },
  ]);
});
