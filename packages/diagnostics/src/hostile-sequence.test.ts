// The hostile user and the reports' temporal profiles and attention statistics: a hand-edited or
// half-written report given to toJSON, fromJSON, formatText and toHTML gets a typed ValueError naming
// the path of the bad value, never a raw TypeError from the renderers.
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { formatText, fromJSON, type GradientReport, inspectGradients, toHTML, toJSON } from './index.js';

// A real report of a 2×2 gradient, with a temporal profile and attention statistics added.
const g = tf.ones([2, 2]);
const base: GradientReport = {
  ...(await inspectGradients({ w: g })),
  temporal: [{ layer: 'rnn', steps: [0, 1, 2], gradNorm: [0.01, 0.1, 1], firstLastRatio: 0.01, decayPerStep: 0.1 }],
  attention: [{ layer: 'attn', entropy: 1, maxEntropy: 2, logitMaxAbs: 3, logitStd: 1 }],
};
g.dispose();
const profile = base.temporal?.[0] as object;
const stats = base.attention?.[0] as object;
const withTemporal = (t: unknown) => ({ ...base, temporal: t }) as unknown as GradientReport;
const withAttention = (a: unknown) => ({ ...base, attention: a }) as unknown as GradientReport;
const text = (r: GradientReport) => JSON.stringify(r);

describe('diagnostics, hostile reports through time and attention', () => {
  hostileCases([
    { input: 'toJSON({ …, temporal: {} })', names: 'doc.temporal', run: () => toJSON(withTemporal({})) },
    { input: "toJSON({ …, temporal: ['rnn'] })", names: 'doc.temporal.0', run: () => toJSON(withTemporal(['rnn'])) },
    { input: 'toJSON({ …, temporal: [null] })', names: 'doc.temporal.0', run: () => toJSON(withTemporal([null])) },
    { input: 'toJSON({ …, temporal: [{ layer: 3 }] })', names: 'doc.temporal.0.layer', run: () => toJSON(withTemporal([{ ...profile, layer: 3 }])) },
    {
      input: 'toJSON({ …, temporal: [{ steps: [2, 1, 0] }] })',
      names: 'doc.temporal.0.steps',
      run: () => toJSON(withTemporal([{ ...profile, steps: [2, 1, 0] }])),
    },
    {
      input: 'toJSON({ …, temporal: [{ steps: [0, 0.5, 1] }] })',
      names: 'doc.temporal.0.steps',
      run: () => toJSON(withTemporal([{ ...profile, steps: [0, 0.5, 1] }])),
    },
    {
      input: 'toJSON({ …, temporal: [{ steps: [-1, 0, 1] }] })',
      names: 'doc.temporal.0.steps',
      run: () => toJSON(withTemporal([{ ...profile, steps: [-1, 0, 1] }])),
    },
    { input: 'toJSON({ …, temporal: [{ steps: "0-2" }] })', names: 'doc.temporal.0.steps', run: () => toJSON(withTemporal([{ ...profile, steps: '0-2' }])) },
    {
      input: 'toJSON({ …, temporal: [{ gradNorm: [1, 2] }] }) (3 steps)',
      names: 'doc.temporal.0.gradNorm',
      run: () => toJSON(withTemporal([{ ...profile, gradNorm: [1, 2] }])),
    },
    {
      input: "toJSON({ …, temporal: [{ gradNorm: ['1', 2, 3] }] })",
      names: 'doc.temporal.0.gradNorm',
      run: () => toJSON(withTemporal([{ ...profile, gradNorm: ['1', 2, 3] }])),
    },
    {
      input: 'toJSON({ …, temporal: [{ gradNorm: undefined }] })',
      names: 'doc.temporal.0.gradNorm',
      run: () => toJSON(withTemporal([{ ...profile, gradNorm: undefined }])),
    },
    {
      input: "toJSON({ …, temporal: [{ firstLastRatio: '0.01' }] })",
      names: 'doc.temporal.0.firstLastRatio',
      run: () => toJSON(withTemporal([{ ...profile, firstLastRatio: '0.01' }])),
    },
    {
      input: 'toJSON({ …, temporal: [{ decayPerStep: null }] })',
      names: 'doc.temporal.0.decayPerStep',
      run: () => toJSON(withTemporal([{ ...profile, decayPerStep: null }])),
    },
    { input: 'toJSON({ …, attention: {} })', names: 'doc.attention', run: () => toJSON(withAttention({})) },
    { input: 'toJSON({ …, attention: [7] })', names: 'doc.attention.0', run: () => toJSON(withAttention([7])) },
    { input: 'toJSON({ …, attention: [{ layer: null }] })', names: 'doc.attention.0.layer', run: () => toJSON(withAttention([{ ...stats, layer: null }])) },
    {
      input: "toJSON({ …, attention: [{ entropy: 'low' }] })",
      names: 'doc.attention.0.entropy',
      run: () => toJSON(withAttention([{ ...stats, entropy: 'low' }])),
    },
    {
      input: 'toJSON({ …, attention: [{ logitMaxAbs: [50] }] })',
      names: 'doc.attention.0.logitMaxAbs',
      run: () => toJSON(withAttention([{ ...stats, logitMaxAbs: [50] }])),
    },
    {
      input: 'toJSON([report, { …, attention: [{ logitStd: {} }] }])',
      names: 'doc.1.attention.0.logitStd',
      run: () => toJSON([base, withAttention([{ ...stats, logitStd: {} }])]),
    },
    {
      input: 'toJSON({ configs: [{ name, reports: [{ …, temporal: [{ layer: 1 }] }] }] })',
      names: 'doc.configs.0.reports.0.temporal.0.layer',
      run: () => toJSON({ configs: [{ name: 'a', reports: [withTemporal([{ ...profile, layer: 1 }])] }] }),
    },
    {
      input: 'fromJSON(text of { …, temporal: [{ gradNorm: [1] }] })',
      names: 'text.temporal.0.gradNorm',
      run: () => fromJSON(text(withTemporal([{ ...profile, gradNorm: [1] }]))),
    },
    {
      input: "fromJSON(text of { …, attention: [{ maxEntropy: 'ln 8' }] })",
      names: 'text.attention.0.maxEntropy',
      run: () => fromJSON(text(withAttention([{ ...stats, maxEntropy: 'ln 8' }]))),
    },
    { input: 'fromJSON(text of [report, { …, temporal: 5 }])', names: 'text.1.temporal', run: () => fromJSON(JSON.stringify([base, withTemporal(5)])) },
    {
      input: 'formatText({ …, temporal: [{ steps: null }] })',
      names: 'report.temporal.0.steps',
      run: () => formatText(withTemporal([{ ...profile, steps: null }])),
    },
    { input: 'formatText({ …, attention: [{}] })', names: 'report.attention.0.layer', run: () => formatText(withAttention([{}])) },
    {
      input: 'toHTML({ …, temporal: [{ gradNorm: {} }] })',
      names: 'input.temporal.0.gradNorm',
      run: () => toHTML(withTemporal([{ ...profile, gradNorm: {} }])),
    },
    { input: 'toHTML([report, { …, attention: "attn" }])', names: 'input.1.attention', run: () => toHTML([base, withAttention('attn')]) },
  ]);
});
