// runDoctor and its helpers (the playground's worker runs the same code): the model summary, the data
// line, the loss a task asks for, and a tiny run with progress, no leaked tensors and the model as it was.
import { expectNoLeaks } from '@gradkit/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { type Dataset, readDataset } from './data-files.js';
import { fakeDiagnosis } from './doctor-fixture.js';
import { backend, deepSigmoid } from './doctor-test-support.js';
import { describeDataset, describeModel, lossForTask, remediesToTry, runDoctor, summarizeModel } from './run-doctor.js';

const dense = (units: number, activation: string) => {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units, activation: activation as 'linear' })] });
  return m;
};

describe('summarizeModel and describeModel', () => {
  it('counts layers and parameters and gives the shapes without the batch dimension', () => {
    const model = deepSigmoid(2);
    try {
      const s = summarizeModel(model);
      // 4·8+8 + 8·8+8 + 8·3+3 = 139
      expect(s.params).toBe(139);
      expect(s.inputShape).toEqual([4]);
      expect(s.outputShape).toEqual([3]);
      expect(s.layers.map((l) => l.activation)).toEqual(['sigmoid', 'sigmoid', 'softmax']);
      expect(describeModel(s)).toBe(`${model.name}: 3 layers (Dense ×3), 139 parameters, input [4] → output [3]`);
    } finally {
      model.dispose();
    }
  });
});

describe('lossForTask', () => {
  it.each([
    ['softmax', 3, undefined, undefined],
    ['softmax', 3, 'classify', undefined],
    ['softmax', 3, 'regress', 'meanSquaredError'],
    ['sigmoid', 1, 'regress', 'meanSquaredError'],
    ['linear', 3, 'classify', 'categoricalCrossentropy'],
    ['linear', 1, 'classify', 'binaryCrossentropy'],
    ['linear', 2, 'regress', undefined],
  ] as const)('a %s output of %i units, --task %s → %s', (activation, units, task, loss) => {
    const model = dense(units, activation);
    try {
      expect(lossForTask(model as never, task)).toBe(loss);
    } finally {
      model.dispose();
    }
  });
});

describe('describeDataset and remediesToTry', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  it('says what was read: samples, shape, label column and classes', () => {
    const named = readDataset(bytes('a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n'), 'pets.csv', { inputShape: [2], outputUnits: 2, outputActivation: 'softmax' });
    expect(describeDataset(named)).toBe('3 samples of [2] from pets.csv, label column "kind": 2 classes (cat, dog)');
    const targets: Dataset = { ...named, task: 'regress' };
    expect(describeDataset(targets)).toBe('3 samples of [2] from pets.csv, label column "kind": regression targets');
    const ints: Dataset = { ...named, classes: undefined as never, labels: new Int32Array([0, 2, 2, 1]) };
    expect(describeDataset(ints)).toBe('3 samples of [2] from pets.csv, label column "kind": 3 classes seen (integer labels)');
  });

  it('tries every applicable remedy, or the ones named', () => {
    expect(remediesToTry(fakeDiagnosis())).toEqual(['relu-he', 'lower-lr']);
    expect(remediesToTry(fakeDiagnosis(), ['lower-lr'])).toEqual(['lower-lr']);
  });
});

// A fit compiles every shader on webgpu (SwiftShader in CI, ~30 s): the run is checked on cpu and wasm
// (and end to end on webgpu by doctor-examples.test.ts).
describe.skipIf(backend === 'webgpu')('runDoctor', () => {
  it('diagnoses, tries the named remedy, reports progress per phase, leaks nothing and leaves the model as it was', { timeout: 60_000 }, async () => {
    const model = deepSigmoid(4);
    const csv = ['x0,x1,x2,x3,y', ...Array.from({ length: 16 }, (_, i) => `${i % 4},${(i * 3) % 5},${i % 2},${(i * 7) % 3},${i % 3}`)].join('\n');
    const dataset = readDataset(new TextEncoder().encode(csv), 'd.csv', { inputShape: [4], outputUnits: 3, outputActivation: 'softmax' });
    const before = await Promise.all(model.getWeights().map((w) => w.data()));
    const phases: string[] = [];
    let diagnosed = 0;
    try {
      const run = await expectNoLeaks(() =>
        runDoctor(model, dataset, {
          budget: 2,
          batchSize: 8,
          remedies: ['relu-he'],
          onProgress: (p) => {
            if (phases.at(-1) !== p.phase) phases.push(p.phase);
          },
          onDiagnosis: () => diagnosed++,
        }),
      );
      expect(diagnosed).toBe(1);
      expect(phases).toEqual(['baseline', 'relu-he']);
      expect(run.settings).toMatchObject({ budget: 2, batchSize: 8, loss: { value: 'categoricalCrossentropy', source: 'inferred' } });
      expect(run.trial.remedies.map((r) => r.name)).toEqual(['relu-he']);
      expect(run.lossNote).toBeUndefined();
      const after = await Promise.all(model.getWeights().map((w) => w.data()));
      expect(after.map((w) => Array.from(w))).toEqual(before.map((w) => Array.from(w)));
    } finally {
      model.dispose();
    }
  });

  it('trains with the loss the task asks for and says why', { timeout: 60_000 }, async () => {
    const model = dense(1, 'sigmoid');
    const csv = ['a,b,y', ...Array.from({ length: 8 }, (_, i) => `${i},${i % 3},${i * 0.25}`)].join('\n');
    const dataset = readDataset(new TextEncoder().encode(csv), 'd.csv', { inputShape: [2], outputUnits: 1, outputActivation: 'sigmoid', task: 'regress' });
    try {
      const run = await runDoctor(model, dataset, { budget: 1, batchSize: 4, task: 'regress', remedies: [] });
      expect(run.settings.loss).toEqual({ value: 'meanSquaredError', source: 'option' });
      expect(run.lossNote).toBe("the labels are regression targets (--task regress); the model's own loss is binaryCrossentropy");
    } finally {
      model.dispose();
    }
  });
});
