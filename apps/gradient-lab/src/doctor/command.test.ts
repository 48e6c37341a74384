// `gradient-lab doctor` end to end, in-process through `main` (the binary's code path) on the test's
// backend: a tiny deep sigmoid MLP saved with tfjs's own model.save, a CSV of names, the printed
// settings/verdict/table, report.json's fields, report.html, and `--apply … --save` loading back
// with tfjs-layers' loadLayersModel with the remedy in it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../main.js';
import { optimizerCode, remedyNamesProblem } from './command.js';
import { fakeDiagnosis } from './doctor-fixture.js';
import { backend, capture, classesCsv, deepSigmoid, liveTensors, removeTempDirs, savedModel, tempDir } from './doctor-test-support.js';

afterAll(removeTempDirs);

let modelDir: string;
let csv: string;
beforeAll(async () => {
  modelDir = await savedModel(deepSigmoid());
  csv = classesCsv(48);
});

const SMALL = ['--budget', '20', '--batch', '16', '--backend', backend];
// WebGPU runs on SwiftShader in CI, where the first fit compiles every shader (~30 s): the runs here
// are checked on cpu and wasm; webgpu runs doctor-examples.test.ts's one tiny --apply run instead.
const full = backend !== 'webgpu';
const TINY = ['--budget', '2', '--batch', '16', '--backend', backend];

describe('gradient-lab doctor on a tiny deep sigmoid MLP', () => {
  it.skipIf(!full)('prints the model, data, settings with provenance, verdict, ranked table and writes the report', { timeout: 120_000 }, async () => {
    const out = join(tempDir(), 'report');
    const before = liveTensors();
    const { io, stdout, stderr } = capture();
    const code = await main(['doctor', '--model', modelDir, '--data', csv, ...SMALL, '--curvature', '--out', out], io);
    expect(stderr()).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(liveTensors()).toBe(before);
    const text = stdout();
    expect(text).toContain(`backend: ${backend}`);
    expect(text).toMatch(/model: sequential_\d+: 7 layers \(Dense ×7\), 427 parameters, input \[4\] → output \[3\] \(saved without its training config\)/);
    expect(text).toContain(`data: 48 samples of [4] from ${csv}, label column "species": 3 classes (a, b, c)`);
    expect(text).toMatch(
      /loss: categoricalCrossentropy \(inferred: the model was saved without its training config; the output layer dense_\w+ has a softmax activation\)/,
    );
    expect(text).toMatch(/^baseline 20\/20 100%/m);
    expect(text).toMatch(/^verdict: [A-Z]+ {3}loss /m);
    expect(text).toMatch(/^curvature 1\/1 100%/m);
    expect(text).toMatch(
      /^curvature: top Hessian eigenvalue λmax ≈ [\d.e+-]+ \(\d+ power iterations(, not converged)?\); η·λmax\/2 = [\d.e+-]+ \(the edge of stability, 1, is plain SGD's; adam rescales its steps\)$/m,
    );
    expect(text).toMatch(/^rank +remedy +applied +verdict +final loss +×improvement +note$/m);
    expect(text).toMatch(/^ +– +baseline \(the model as given\) +– +\w+ +[\d.e-]+ +×1/m);
    expect(text).toContain(`report: ${join(out, 'report.html')}`);

    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.format).toBe('gradient-lab-doctor-report');
    expect(['healthy', 'vanishing', 'exploding', 'nonfinite']).toContain(json.verdict);
    expect(Array.isArray(json.findings)).toBe(true);
    expect(json.curvature.lambdaMax).toBeGreaterThan(0);
    // η·λmax/2 with Adam's default rate 1e-3
    expect(json.curvature.eosRatio).toBeCloseTo((1e-3 * json.curvature.lambdaMax) / 2, 6);
    expect(typeof json.baseline.finalLoss).toBe('number');
    expect(json.baseline.losses).toHaveLength(20);
    expect(json.settings).toMatchObject({ budget: 20, batchSize: 16, loss: { value: 'categoricalCrossentropy', source: 'inferred' } });
    // 4·8+8 + 5·(8·8+8) + 8·3+3 = 427
    expect(json.model).toMatchObject({ params: 427, inputShape: [4], outputShape: [3], hasTrainingConfig: false });
    expect(json.data).toMatchObject({ source: csv, samples: 48 });
    for (const r of json.remedies) {
      expect(typeof r.name).toBe('string');
      expect(typeof r.applied).toBe('boolean');
      if (r.applied) {
        expect(typeof r.verdict).toBe('string');
        expect(typeof (r.finalLoss?.$nonFinite ?? r.finalLoss)).not.toBe('undefined');
      } else expect(typeof r.whyNot).toBe('string');
    }
    // every remedy the table printed is in report.json, and the other way round
    for (const r of json.remedies) expect(text).toContain(r.name);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta name="generator" content="gradient-lab doctor">');
    expect(html).toContain('Remedies, ranked');
    expect(html).toContain('baseline (the model as given)');
    expect(html).toMatch(/<polyline [^>]*><title>baseline<\/title>/);

    // a second run into the same folder replaces the previous doctor report
    const again = capture();
    expect(await main(['doctor', '--model', modelDir, '--data', csv, ...TINY, '--remedies', json.remedies[0]?.name ?? 'x', '--out', out], again.io)).toBe(
      json.remedies.length > 0 ? EXIT.ok : EXIT.failure,
    );
  });

  it.skipIf(!full)(
    '--apply <remedy> --save <dir> writes a model tfjs-layers loads, with the remedy in it, and says how to compile it',
    { timeout: 120_000 },
    async () => {
      const save = join(tempDir(), 'fixed');
      const out = join(tempDir(), 'report');
      const before = liveTensors();
      const { io, stdout, stderr } = capture();
      const code = await main(['doctor', '--model', modelDir, '--data', csv, ...TINY, '--out', out, '--apply', 'relu-he', '--save', save], io);
      expect(stderr()).toBe('');
      expect(code).toBe(EXIT.ok);
      expect(liveTensors()).toBe(before);
      const text = stdout();
      // with --apply only that remedy is tried
      expect(text).toMatch(/^\[1\/1\] relu-he 2\/2 100%/m);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.baseline.losses).toHaveLength(2);
      expect(report.remedies.filter((r: { applied: boolean }) => r.applied).map((r: { name: string }) => r.name)).toEqual(['relu-he']);
      expect(report.remedies[0]).toMatchObject({ name: 'relu-he', applied: true, rank: 1 });
      expect(typeof report.remedies[0].finalLoss).toBe('number');
      expect(text).toContain(`saved the model with relu-he applied`);
      expect(text).toContain(`const model = await tf.loadLayersModel('file://${join(save, 'model.json')}');`);
      // the doctor trained it with its default, Adam at 1e-3, which tfjs saves in model.json
      expect(text).toContain("model.json holds the compile the doctor trained it with (tf.train.adam(0.001), loss 'categoricalCrossentropy')");
      expect(JSON.parse(readFileSync(join(save, 'model.json'), 'utf8')).trainingConfig).toMatchObject({
        loss: 'categorical_crossentropy',
        optimizer_config: { class_name: 'Adam' },
      });

      const json = readFileSync(join(save, 'model.json'), 'utf8');
      const weights = readFileSync(join(save, 'weights.bin'));
      const parsed = JSON.parse(json) as tf.io.ModelJSON;
      const loaded = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: parsed.modelTopology,
          weightSpecs: parsed.weightsManifest.flatMap((g) => g.weights),
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        }),
      );
      try {
        const activations = loaded.layers.map((l) => (l.getConfig() as { activation?: string }).activation);
        // relu-he: every hidden sigmoid became a relu, the softmax head stayed
        expect(activations).toEqual([...Array(6).fill('relu'), 'softmax']);
        expect(loaded.layers.length).toBe(7);
      } finally {
        loaded.dispose();
      }
      // --save never overwrites: the same folder again is refused before any work
      const twice = capture();
      expect(await main(['doctor', '--model', modelDir, '--data', csv, ...TINY, '--apply', 'relu-he', '--save', save], twice.io)).toBe(EXIT.failure);
      expect(twice.stderr()).toContain(`already holds model.json`);
      expect(twice.stdout()).toBe('');
    },
  );

  it('refuses an --out folder whose report.json or report.html is not a doctor report (exit 1, nothing written)', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'report.json'), '{"mine": true}');
    const { io, stdout, stderr } = capture();
    expect(await main(['doctor', '--model', modelDir, '--data', csv, ...TINY, '--out', out], io)).toBe(EXIT.failure);
    expect(stderr()).toBe(
      `gradient-lab: ${join(out, 'report.json')} exists and is not a report of gradient-lab doctor: it is not overwritten; pick another --out folder (or move the file away)\n`,
    );
    expect(stdout()).toBe('');
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('{"mine": true}');
  });
});

describe('--apply and --remedies name remedies the diagnosis offered', () => {
  const d = fakeDiagnosis();
  const offered = 'the diagnosis offered relu-he, lower-lr, insert-batchnorm (not applicable: the model is not a Sequential stack of Dense layers)';
  it.each([
    [{ apply: 'relu-he' }, undefined],
    [{ remedies: ['lower-lr', 'insert-batchnorm'] }, undefined],
    [
      { apply: 'insert-batchnorm' },
      `--apply insert-batchnorm: cannot be applied to this model: the model is not a Sequential stack of Dense layers; ${offered}`,
    ],
    [{ apply: 'relu_he' }, `--apply relu_he: not a remedy for this model: ${offered}`],
    [{ remedies: ['relu-he', 'dropout'] }, `--remedies: 'dropout' is not a remedy for this model: ${offered}`],
  ])('%j', (cmd, message) => {
    expect(remedyNamesProblem({ apply: undefined, remedies: undefined, ...cmd }, d)).toBe(message);
  });

  it('says when a healthy model was offered nothing', () => {
    expect(remedyNamesProblem({ apply: 'relu-he', remedies: undefined }, fakeDiagnosis({ verdict: 'healthy', findings: [], remedies: [] }))).toBe(
      '--apply relu-he: not a remedy for this model: the diagnosis (verdict healthy) offered no remedies',
    );
  });
});

describe('optimizerCode', () => {
  it("writes tfjs's optimizers as the tf.train call that makes them, and nothing for others", () => {
    const adam = tf.train.adam(0.01);
    const momentum = tf.train.momentum(0.1, 0.9);
    const sgd = tf.train.sgd(0.5);
    try {
      expect(optimizerCode(adam)).toBe('tf.train.adam(0.01)');
      expect(optimizerCode(momentum)).toBe('tf.train.momentum(0.1, 0.9)');
      expect(optimizerCode(sgd)).toBe('tf.train.sgd(0.5)');
      expect(optimizerCode({ getClassName: () => 'GradkitOptimizer', getConfig: () => ({}) })).toBeUndefined();
      expect(optimizerCode({})).toBeUndefined();
    } finally {
      for (const o of [adam, momentum, sgd]) o.dispose();
      // tfjs's MomentumOptimizer.dispose() leaves SGD's −learningRate scalar (`c`) behind
      (momentum as unknown as { c?: tf.Tensor }).c?.dispose();
    }
  });
});
