// `gradient-lab doctor` on the three example models of apps/gradient-lab/examples (saved by tfjs's own
// model.save; see examples.ts), through `main` as a user runs it: the known verdicts and what is
// recommended. The full form (default budget, every remedy) runs on cpu only, the long end-to-end
// check of the test budget; wasm and webgpu run one example with a tiny budget and one remedy (the
// same code path on their kernels).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../main.js';
import { backend, capture, liveTensors, removeTempDirs, tempDir } from './doctor-test-support.js';

afterAll(removeTempDirs);

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const example = (name: string) => ({ model: join(examples, name), data: join(examples, name, 'data.csv') });

interface Report {
  verdict: string;
  findings: { kind: string }[];
  baseline: { finalLoss: number };
  remedies: { name: string; applied: boolean; verdict?: string; finalLoss?: number; improvement?: number; rank?: number }[];
  recommended: string | null;
}

async function doctor(name: string, extra: string[] = []) {
  const { model, data } = example(name);
  expect(existsSync(join(model, 'model.json')), `${model}/model.json (written by the examples script)`).toBe(true);
  const out = join(tempDir(), name);
  const { io, stdout, stderr } = capture();
  const before = liveTensors();
  const code = await main(['doctor', '--model', model, '--data', data, '--backend', backend, '--out', out, ...extra], io);
  expect(stderr()).toBe('');
  expect(code).toBe(EXIT.ok);
  // every tensor made is disposed: the models, the data, the copies (and a loaded model's optimizer)
  expect(liveTensors(), `tensors left by the doctor on ${name}`).toBe(before);
  return { text: stdout(), report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report };
}

/** The best-ranked applied remedy. */
const best = (r: Report) => r.remedies.find((x) => x.applied && x.rank === 1);

describe.skipIf(backend !== 'cpu')('gradient-lab doctor on the examples (full)', () => {
  it('deep-sigmoid: vanishing; the best remedy lowers the final loss measurably and is recommended', { timeout: 300_000 }, async () => {
    const { text, report } = await doctor('deep-sigmoid');
    expect(report.verdict).toBe('vanishing');
    expect(report.findings.map((f) => f.kind)).toContain('vanishing');
    const top = best(report);
    expect(top).toBeDefined();
    expect(top?.finalLoss).toBeLessThanOrEqual(0.9 * report.baseline.finalLoss);
    expect(report.recommended).toBe(top?.name);
    expect(text).toContain(`recommended: ${top?.name}`);
  });

  it('simple-rnn: vanishing through time; the best remedy lowers the final loss measurably and is recommended', { timeout: 300_000 }, async () => {
    const { text, report } = await doctor('simple-rnn');
    expect(report.verdict).toBe('vanishing');
    expect(report.findings.map((f) => f.kind)).toContain('vanishingThroughTime');
    const top = best(report);
    expect(top).toBeDefined();
    expect(top?.finalLoss).toBeLessThanOrEqual(0.9 * report.baseline.finalLoss);
    expect(report.recommended).toBe(top?.name);
    expect(text).toContain(`recommended: ${top?.name}`);
  });

  it('small-conv: healthy; nothing to change', { timeout: 300_000 }, async () => {
    const { text, report } = await doctor('small-conv');
    expect(report.verdict).toBe('healthy');
    expect(report.recommended).toBeNull();
    expect(text).toContain('nothing to change: the model trains healthily');
  });
});

describe.skipIf(backend === 'cpu')('gradient-lab doctor on an example (tiny budget)', () => {
  it('deep-sigmoid: the baseline and relu-he, the report written, the remedied model saved', { timeout: 120_000 }, async () => {
    const save = join(tempDir(), 'fixed');
    const { text, report } = await doctor('deep-sigmoid', ['--budget', '2', '--batch', '16', '--apply', 'relu-he', '--save', save]);
    expect(report.baseline.finalLoss).toBeGreaterThan(0);
    expect(report.remedies.filter((r) => r.applied).map((r) => r.name)).toEqual(['relu-he']);
    expect(text).toMatch(/^\[1\/1\] relu-he 2\/2 100%/m);
    const saved = JSON.parse(readFileSync(join(save, 'model.json'), 'utf8'));
    const activations = JSON.stringify(saved.modelTopology).match(/"activation":"\w+"/g) ?? [];
    expect(activations).toContain('"activation":"relu"');
    expect(activations).not.toContain('"activation":"sigmoid"');
  });
});
