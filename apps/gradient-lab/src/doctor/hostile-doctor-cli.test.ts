// The hostile user of `gradient-lab doctor`: every bad input the issue lists (a missing or corrupt
// model.json, weights that do not match, data of the wrong width, labels that do not fit the output,
// an empty file, a non-numeric cell), bad flags, names of remedies the diagnosis did not offer, and
// output folders holding the user's files. Each is one message on stderr (`gradient-lab: …`), exit 1
// (2 for usage errors, with `see: gradient-lab help doctor`), no stack trace, and nothing of the
// user's files changed. Then runDoctor's (the browser entry's) bad arguments as typed errors.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostileCases } from '@gradkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../main.js';
import { readDataset } from './data-files.js';
import { backend, capture, classesCsv, deepSigmoid, removeTempDirs, savedModel, tempDir } from './doctor-test-support.js';
import { runDoctor } from './run-doctor.js';

afterAll(removeTempDirs);

let modelDir: string;
let deepDir: string;
let csv: string;
beforeAll(async () => {
  modelDir = await savedModel(deepSigmoid(2));
  deepDir = await savedModel(deepSigmoid(6));
  csv = classesCsv(24);
});

const TINY = ['--budget', '2', '--batch', '8', '--backend', backend];

/** A copy of the saved model, changed by `edit(dir)`. */
function brokenModel(edit: (dir: string) => void): string {
  const dir = join(tempDir(), 'model');
  cpSync(modelDir, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** A data file holding `text`. */
function dataFile(text: string, name = 'data.csv'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

const HEADER = 'x0,x1,x2,x3,species';

/** Runs the doctor and returns exit code and outputs; checks one `gradient-lab:` message and no stack trace. */
async function doctor(args: string[]) {
  const { io, stdout, stderr } = capture();
  const code = await main(['doctor', ...args], io);
  const err = stderr();
  expect(err.startsWith('gradient-lab: ')).toBe(true);
  expect(err).not.toMatch(/\n\s+at /);
  return { code, err, out: stdout() };
}

describe('gradient-lab doctor: bad files are one message and exit 1', () => {
  const cases: [string, () => string[], RegExp[]][] = [
    ['a model folder that does not exist', () => ['--model', join(tempDir(), 'nope'), '--data', csv], [/nope/]],
    ['a folder without model.json', () => ['--model', tempDir(), '--data', csv], [/model\.json/]],
    ['a corrupt model.json', () => ['--model', brokenModel((d) => writeFileSync(join(d, 'model.json'), '{"modelTopology": ')), '--data', csv], [/model\.json/]],
    [
      'a model.json without weights',
      () => ['--model', brokenModel((d) => writeFileSync(join(d, 'model.json'), '{"format":"layers-model"}')), '--data', csv],
      [/model\.json/],
    ],
    [
      'a truncated weights.bin',
      () => ['--model', brokenModel((d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join(d, 'weights.bin')).subarray(0, 40))), '--data', csv],
      [/weights\.bin/],
    ],
    ['an empty weights.bin', () => ['--model', brokenModel((d) => writeFileSync(join(d, 'weights.bin'), '')), '--data', csv], [/weights\.bin/]],
    ['a missing weights.bin', () => ['--model', brokenModel((d) => rmSync(join(d, 'weights.bin'))), '--data', csv], [/weights\.bin/]],
    ['a data file that does not exist', () => ['--model', modelDir, '--data', join(tempDir(), 'none.csv')], [/none\.csv: no such file/]],
    ['a folder as --data', () => ['--model', modelDir, '--data', tempDir()], [/is a folder/]],
    ['an empty data file', () => ['--model', modelDir, '--data', dataFile('')], [/data\.csv/, /empty/i]],
    ['data of the wrong width', () => ['--model', modelDir, '--data', dataFile('a,b,y\n1,2,a\n3,4,b\n')], [/data\.csv/, /\b4\b/]],
    ['a non-numeric cell', () => ['--model', modelDir, '--data', dataFile(`${HEADER}\n1,2,3,4,a\n1,2,abc,4,b\n`)], [/row 2/, /x2/, /abc/]],
    [
      'class labels the output cannot hold',
      () => ['--model', modelDir, '--data', dataFile(`${HEADER}\n1,2,3,4,0\n1,2,3,4,5\n`), '--task', 'classify'],
      [/\b5\b/],
    ],
    ['a --label column that is not there', () => ['--model', modelDir, '--data', csv, '--label', 'kind'], [/kind/]],
    ['an --out that is a file', () => ['--model', modelDir, '--data', csv, '--out', dataFile('x', 'out.txt')], [/out\.txt is a file/]],
    [
      'an --out holding the user’s report.html',
      () => {
        const out = tempDir();
        writeFileSync(join(out, 'report.html'), '<p>my notes</p>');
        return ['--model', modelDir, '--data', csv, '--out', out];
      },
      [/report\.html exists and is not a report of gradient-lab doctor/],
    ],
  ];
  it.each(cases)('%s', async (_what, args, messages) => {
    const before = readFileSync(join(modelDir, 'weights.bin'));
    const { code, err, out } = await doctor([...args(), ...TINY]);
    expect(code).toBe(EXIT.failure);
    for (const m of messages) expect(err).toMatch(m);
    expect(out).not.toContain('report:');
    expect(readFileSync(join(modelDir, 'weights.bin')).equals(before)).toBe(true);
  });
});

describe('gradient-lab doctor: remedy names the diagnosis did not offer (exit 1, the offered ones listed)', () => {
  // These need a baseline fit (the names are checked against the diagnosis): on webgpu (SwiftShader, where
  // the first fit compiles every shader, ~30 s) they are left to doctor-examples.test.ts's one run.
  it.skipIf(backend === 'webgpu').each([
    [['--apply', 'more-layers', '--save', 'SAVE'], /--apply more-layers: not a remedy for this model: the diagnosis offered .*relu-he/, undefined],
    ...(backend === 'webgpu'
      ? []
      : [
          [
            ['--remedies', 'relu-he,more-layers'],
            /--remedies: 'more-layers' is not a remedy for this model: the diagnosis offered .*relu-he/,
            undefined,
          ] as const,
        ]),
    // (on webgpu, SwiftShader, one baseline fit is all this file can afford: the first case)
    ...(backend === 'webgpu'
      ? []
      : [[['--apply', 'more-layers', '--save', 'SAVE'], /the diagnosis \(verdict healthy\) offered no remedies/, 'healthy'] as const]),
  ] as const)('%j', { timeout: 60_000 }, async (extra, message, healthy?: string) => {
    const save = join(tempDir(), 'fixed');
    const { code, err, out } = await doctor([
      '--model',
      healthy ? modelDir : deepDir,
      '--data',
      csv,
      ...TINY,
      '--out',
      join(tempDir(), 'r'),
      ...extra.map((a) => (a === 'SAVE' ? save : a)),
    ]);
    expect(code).toBe(EXIT.failure);
    expect(err).toMatch(message);
    expect(out).not.toContain('report:');
  });
});

describe('gradient-lab doctor: usage errors are exit 2 with the help topic', () => {
  it.each([
    [['--data', 'd.csv'], 'doctor needs --model'],
    [['--model', 'm'], 'doctor needs --data'],
    [['--model', 'm', '--data', 'd.csv', '--save', 'x'], '--save needs --apply'],
    [['--model', 'm', '--data', 'd.csv', '--apply', 'relu-he'], '--apply needs --save'],
    [['--model', 'm', '--data', 'd.csv', '--epochs', '3'], 'did you mean --budget?'],
    [['--model', 'm', '--data', 'd.csv', '--lr', '-1'], '--lr must be a number > 0'],
    [['--model', 'm', '--data', 'd.csv', '--budget', 'ten'], "--budget must be a whole number ≥ 1, got 'ten'"],
  ])('%j', async (args, message) => {
    const { code, err, out } = await doctor(args);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain(message);
    expect(err.endsWith('  see: gradient-lab help doctor\n')).toBe(true);
    expect(out).toBe('');
  });

  it('prints the stack of a doctor error only when asked (debug)', async () => {
    const { io, stderr } = capture({ debug: true });
    expect(await main(['doctor', '--model', join(tempDir(), 'nope'), '--data', csv, ...TINY], io)).toBe(EXIT.failure);
    expect(stderr()).toMatch(/\n\s+at /);
  });
});

describe('runDoctor (the browser entry), hostile', () => {
  const model = () => deepSigmoid(1);
  const dataset = () =>
    readDataset(new TextEncoder().encode(`${HEADER}\n1,2,3,4,a\n1,2,3,4,b\n`), 'data.csv', { inputShape: [4], outputUnits: 3, outputActivation: 'softmax' });
  const call =
    (options: unknown, over: { model?: unknown; dataset?: unknown } = {}) =>
    async () => {
      const built = model();
      try {
        return await runDoctor(('model' in over ? over.model : built) as never, ('dataset' in over ? over.dataset : dataset()) as never, options as never);
      } finally {
        built.dispose();
      }
    };
  hostileCases([
    { input: 'runDoctor(model, dataset, { lr: 0.1 }) (PyTorch spelling)', names: 'lr', run: call({ lr: 0.1 }) },
    { input: 'runDoctor(model, dataset, { epochs: 3 })', names: 'epochs', run: call({ epochs: 3 }) },
    { input: 'runDoctor(model, dataset, { batch_size: 8 })', names: 'batch_size', run: call({ batch_size: 8 }) },
    { input: "runDoctor(model, dataset, { task: 'classification' })", names: 'task', run: call({ task: 'classification' }) },
    { input: "runDoctor(model, dataset, { remedies: 'relu-he' })", names: 'remedies', run: call({ remedies: 'relu-he' }) },
    { input: 'runDoctor(model, dataset, { remedies: [1] })', names: 'remedies', run: call({ remedies: [1] }) },
    { input: 'runDoctor(model, dataset, { onProgress: true })', names: 'onProgress', run: call({ onProgress: true }) },
    { input: 'runDoctor(model, dataset, null)', names: 'options', run: call(null) },
    { input: 'runDoctor(model, dataset, 100)', names: 'options', run: call(100) },
    { input: 'runDoctor(null, dataset)', names: 'model', run: call({}, { model: null }) },
    { input: 'runDoctor(model, "data.csv")', names: 'dataset', run: call({}, { dataset: 'data.csv' }) },
    { input: 'runDoctor(model, { x: [[1, 2, 3, 4]] })', names: 'dataset', run: call({}, { dataset: { x: [[1, 2, 3, 4]] } }) },
  ]);
});
