// The doctor's example models (apps/gradient-lab/examples/): the committed files load with
// tfjs-layers, fit their data and are what the generator writes. Regenerate them with
//   GRADKIT_WRITE_EXAMPLES=1 node scripts/pnpm.mjs exec vitest run --project cpu apps/gradient-lab/src/doctor/examples.test.ts
// (see examples/README.md).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBackend, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_NAMES, type ExampleName, SEQUENCE, writeExample } from './examples.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The committed files of an example: model.json's object, weights.bin, data.csv's text. */
async function committed(dir: string) {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const weights = new Uint8Array(await readFile(join(dir, 'weights.bin')));
  const csv = await readFile(join(dir, 'data.csv'), 'utf8');
  return { json, weights, csv };
}

/** tfjs-layers' own loader on the files, as `tf.loadLayersModel('file://…/model.json')` reads them. */
async function load(files: { json: tf.io.ModelJSON; weights: Uint8Array }): Promise<tfl.LayersModel> {
  const manifest = (files.json.weightsManifest as tf.io.WeightsManifestConfig)[0] as tf.io.WeightsManifestConfig[number];
  const buffer = files.weights.buffer.slice(files.weights.byteOffset, files.weights.byteOffset + files.weights.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.json.modelTopology,
      weightSpecs: manifest.weights,
      weightData: buffer,
      ...(files.json.trainingConfig ? { trainingConfig: files.json.trainingConfig } : {}),
    }),
  );
}

const KNOWN: Readonly<Record<ExampleName, { features: number; rows: number; trainingConfig: boolean; classes: readonly number[] }>> = {
  'deep-sigmoid': { features: 196, rows: 300, trainingConfig: true, classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  'simple-rnn': { features: SEQUENCE.steps, rows: SEQUENCE.samples, trainingConfig: true, classes: [0, 1] },
  'small-conv': { features: 196, rows: 300, trainingConfig: false, classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
};

describe('the committed doctor examples', () => {
  for (const name of EXAMPLE_NAMES)
    it(`${name}: model.json + weights.bin load with tfjs-layers, and data.csv fits the model`, async () => {
      const dir = join(EXAMPLES, name);
      const files = await committed(dir);
      const known = KNOWN[name];
      // tfjs's file:// handler layout, small enough to commit.
      expect(files.json.weightsManifest.map((g) => g.paths)).toEqual([['weights.bin']]);
      expect(files.json.trainingConfig !== undefined).toBe(known.trainingConfig);
      const bytes = (await Promise.all(['model.json', 'weights.bin', 'data.csv'].map((f) => stat(join(dir, f))))).reduce((s, f) => s + f.size, 0);
      expect(bytes).toBeLessThan(300_000);
      const model = await load(files);
      const width = ((model.inputs[0] as tfl.SymbolicTensor).shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
      const lines = files.csv.trimEnd().split('\n');
      const header = (lines[0] as string).split(',');
      expect(header.length).toBe(known.features + 1);
      expect(width).toBe(known.features);
      expect(header[header.length - 1]).toBe('label');
      expect(lines.length - 1).toBe(known.rows);
      const labels = new Set(lines.slice(1).map((l) => Number(l.slice(l.lastIndexOf(',') + 1))));
      expect([...labels].sort((a, b) => a - b)).toEqual(known.classes);
      model.dispose();
    });
});

/** model.json's topology and manifest with each generated name (`sequential_1`, `dense_Dense3` …) replaced by its order of appearance. */
function namesInOrder(json: { modelTopology: unknown; weightsManifest: unknown }): unknown {
  const text = JSON.stringify({ topology: json.modelTopology, manifest: json.weightsManifest });
  const names = [...new Set([...text.matchAll(/"name":"([^"/]+)"/g)].map((m) => m[1] as string))];
  const order = new Map(names.map((n, i) => [n, `#${i}`]));
  return JSON.parse(text.replace(/"name":"([^"/]+)(\/[^"]*)?"/g, (_, n: string, rest = '') => `"name":"${order.get(n) ?? n}${rest}"`));
}

describe('writeExample', () => {
  it('writes deep-sigmoid as committed: the same data.csv and model.json, weights to float rounding', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradkit-example-'));
    try {
      const out = join(dir, 'deep-sigmoid');
      const written = await writeExample('deep-sigmoid', out);
      expect(written.hasTrainingConfig).toBe(true);
      const [fresh, saved] = await Promise.all([committed(out), committed(join(EXAMPLES, 'deep-sigmoid'))]);
      expect(fresh.csv).toBe(saved.csv);
      // Layer and model names come from tfjs-layers' process-wide counters (`dense_Dense12` when other
      // models were built before in the same process): compared up to them.
      expect(namesInOrder(fresh.json)).toEqual(namesInOrder(saved.json));
      expect(fresh.json.trainingConfig).toEqual(saved.json.trainingConfig);
      const [a, b] = await Promise.all([load(fresh), load(saved)]);
      const [wa, wb] = [a.getWeights(), b.getWeights()];
      expect(wa.length).toBe(wb.length);
      // Generated on cpu; another backend's float32 training differs by rounding.
      const tolerance = currentBackend() === 'cpu' ? 0 : 1e-4;
      for (const [i, w] of wa.entries()) await expectClose(w, wb[i] as tf.Tensor, { rtol: tolerance, atol: tolerance });
      a.dispose();
      b.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.env.GRADKIT_WRITE_EXAMPLES)(
    'regenerates every example into examples/ (GRADKIT_WRITE_EXAMPLES=1)',
    async () => {
      for (const name of EXAMPLE_NAMES) {
        const dir = join(EXAMPLES, name);
        for (const f of ['model.json', 'weights.bin', 'data.csv']) await rm(join(dir, f), { force: true });
        const { files } = await writeExample(name, dir);
        console.log(`wrote ${files.join(', ')}`);
      }
    },
    300_000,
  );
});
