// The worker's doctor pipeline without a browser: a small deep sigmoid MLP saved as tfjs's model.save
// writes it (model.json without its training config + weights.bin), a CSV of its data; the run must
// say what it inferred, report progress and the diagnosis before the ranked table, produce the CLI's
// table and a report.json with the fields, a remedied model that tfjs-layers loads back with
// the remedy in it, and a DoctorInputError for a model.json that is not JSON, without leaking tensors.
// Every backend: the bad input; cpu and wasm: the whole run.

import type { RemedyAction } from '@gradkit/diagnostics';
import { DOCTOR_TABLE_HEADER, DoctorInputError, modelToFiles } from '@gradkit/gradient-lab/doctor';
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import type { DoctorPanelSettings } from './doctor-protocol.js';
import { type DoctorRunInput, remediedFiles, runDoctorOnFiles } from './doctor-run.js';

/** 6 Dense(8, sigmoid) layers, 4 inputs → 3 classes (softmax), seeded; not compiled (saved without a training config). */
function deepSigmoid(): tfl.LayersModel {
  const layers = Array.from({ length: 6 }, (_, k) =>
    tfl.layers.dense({
      units: 8,
      activation: 'sigmoid',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 10 + k }),
      ...(k === 0 ? { inputShape: [4] } : {}),
    }),
  );
  return tfl.sequential({
    layers: [...layers, tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 20 }) })],
  });
}

/** 48 rows: four features in [-1, 1) (a seeded LCG), the class = which third the first feature falls in. */
function csv(): string {
  let s = 7;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round(((2 * s) / 2 ** 31 - 1) * 1000) / 1000;
  };
  const rows = Array.from({ length: 48 }, () => {
    const x = [next(), next(), next(), next()];
    const first = x[0] as number;
    return [...x, first < -1 / 3 ? 0 : first < 1 / 3 ? 1 : 2].join(',');
  });
  return ['a,b,c,d,label', ...rows].join('\n');
}

const settings: DoctorPanelSettings = { budget: 4, batch: 16, seed: 0 };

async function input(over: Partial<DoctorRunInput> = {}): Promise<DoctorRunInput & { events: string[] }> {
  const model = deepSigmoid();
  const { modelJson, weightsBin } = await modelToFiles(model);
  model.dispose();
  const events: string[] = [];
  return {
    modelJson: new TextEncoder().encode(JSON.stringify(modelJson)),
    modelName: 'model.json',
    weights: new Map([['weights.bin', weightsBin]]),
    data: new TextEncoder().encode(csv()),
    dataName: 'data.csv',
    settings,
    backend: tf.getBackend(),
    onNotes: (lines) => events.push(`notes: ${lines.join(' | ')}`),
    onProgress: (p) => events.push(`progress ${p.phase} ${p.step}/${p.total}`),
    onDiagnosis: (d) => events.push(`diagnosis ${d.verdict}`),
    events,
    ...over,
  };
}

describe('runDoctorOnFiles', () => {
  // The whole run on cpu and wasm; on webgpu (SwiftShader in Node: 30 s+ of shader compiles for this
  // run) the Chromium test (tests/playground/doctor.mjs) runs the pipeline end to end instead.
  it.skipIf(currentBackend() === 'webgpu')(
    'runs the doctor on the files: notes, progress, the diagnosis, the CLI table, report.json, a remedied model; no leaks',
    async () => {
      const given = await input();
      await expectNoLeaks(async () => {
        const result = await runDoctorOnFiles(given);
        try {
          const { events } = given;
          const notes = events.filter((e) => e.startsWith('notes: '));
          expect(notes.at(-1)).toMatch(/model: .*7 layers \(Dense ×7\).*input \[4\] → output \[3\] \(saved without its training config\)/);
          expect(notes.at(-1)).toMatch(/data: .*48/);
          expect(notes.at(-1)).toMatch(/loss: categoricalCrossentropy \(inferred/);
          const diagnosed = events.findIndex((e) => e.startsWith('diagnosis '));
          expect(events[diagnosed]).toBe(`diagnosis ${result.run.diagnosis.verdict}`);
          expect(events.slice(0, diagnosed)).toContain(`progress baseline ${settings.budget}/${settings.budget}`);
          expect(result.header).toEqual([...DOCTOR_TABLE_HEADER]);
          expect(result.rows[0]?.name).toBe('baseline');
          const applied = result.run.trial.remedies.filter((r) => r.applied).map((r) => r.name);
          expect(result.rows.filter((r) => r.applied).map((r) => r.name)).toEqual(expect.arrayContaining(applied));
          expect(result.rows.filter((r) => r.applied)).toHaveLength(applied.length);
          const report = JSON.parse(result.reportJson);
          expect(report.verdict).toBe(result.run.diagnosis.verdict);
          expect(report.findings.map((f: { kind: string }) => f.kind)).toEqual(result.run.diagnosis.findings.map((f) => f.kind));
          expect(report.baseline.finalLoss).toBe(result.run.diagnosis.finalLoss);
          expect(report.remedies.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(result.run.trial.remedies.map((r) => r.name)));
          expect(report.recommended).toBe(result.run.trial.recommended?.name ?? null);
          expect(report.data).toMatchObject({ source: 'data.csv', samples: 48 });

          // The remedied copy loads back with tfjs-layers, with the remedy in it.
          const action = result.run.diagnosis.remedies.find((a) => a.applicable && ['relu-he', 'tanh-glorot'].includes(a.name));
          expect(
            action,
            `no activation remedy for ${result.run.diagnosis.verdict}: ${result.run.diagnosis.remedies.map((a) => a.name).join(', ')}`,
          ).toBeDefined();
          const files = await remediedFiles(result.model, action as RemedyAction, result.run);
          const json = JSON.parse(files.modelJson) as tf.io.ModelJSON;
          const loaded = await tfl.loadLayersModel(
            tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]?.weights, weightData: files.weights }),
          );
          const activations = loaded.layers.map((l) => (l.getConfig() as { activation?: string }).activation);
          loaded.dispose();
          expect(activations).toEqual([...Array(6).fill(action?.name === 'relu-he' ? 'relu' : 'tanh'), 'softmax']);
        } finally {
          result.model.dispose();
        }
      });
    },
  );

  it('turns a model.json that is not JSON into a DoctorInputError naming it, without leaking', async () => {
    const bad = await input({ modelJson: new TextEncoder().encode('{ "modelTopology": ') });
    await expectNoLeaks(async () => {
      await expect(runDoctorOnFiles(bad)).rejects.toThrow(DoctorInputError);
    });
    await expect(runDoctorOnFiles(bad)).rejects.toThrow(/^model\.json is not valid JSON/);
  });
});
