// readDataset on CSV, JSON and .npy bytes (values checked cell by cell against the text), the task
// rule, the class numbering, the reshaping to the model's input, and toDoctorData's tensors for each
// loss kind; bad files: DoctorInputError with the exact message.
import { expectNoLeaks } from '@gradkit/testing';
import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type DatasetExpect, readDataset, toDoctorData } from './data-files.js';
import { csvRecords } from './data-parse.js';
import { DoctorInputError } from './doctor-errors.js';

const text = (s: string) => new TextEncoder().encode(s);
const four: DatasetExpect = { inputShape: [2], outputUnits: 3, outputActivation: 'softmax' };

/** A .npy file (format 1.0) of a little-endian `descr` array, built by hand from the NumPy format spec (numpy/lib/format.py). */
function npy(descr: string, shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`; // pad so that data starts at a multiple of 64
  const size = descr.endsWith('8') ? 8 : 4;
  const out = new Uint8Array(10 + header.length + values.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(text(header), 10);
  const view = new DataView(out.buffer, 10 + header.length);
  for (const [i, v] of values.entries()) {
    if (size === 8) view.setFloat64(i * 8, v, true);
    else if (descr.includes('i')) view.setInt32(i * 4, v, true);
    else view.setFloat32(i * 4, v, true);
  }
  return out;
}

function rejects(run: () => unknown): DoctorInputError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DoctorInputError);
    return e as DoctorInputError;
  }
  throw new Error('expected a DoctorInputError');
}

describe('csvRecords', () => {
  it('reads quoted fields (commas, "" and newlines inside), CRLF, and skips blank lines, keeping line numbers', () => {
    const records = csvRecords('a,"b, c",d\r\n\r\n1,"say ""hi""",3\n"two\nlines",5,6\n\n\n', 'f.csv');
    expect(records).toEqual([
      { fields: ['a', 'b, c', 'd'], line: 1 },
      { fields: ['1', 'say "hi"', '3'], line: 3 },
      { fields: ['two\nlines', '5', '6'], line: 4 },
    ]);
  });
  it('names the line of a quote that is never closed', () => {
    expect(rejects(() => csvRecords('a,b\n1,"2\n', 'f.csv')).message).toBe(
      'f.csv, line 2: a quoted field is never closed: end it with a " (write "" for a quote inside it)',
    );
  });
});

describe('readDataset, CSV', () => {
  it('reads features and integer classes, label last; chooses classify for several output units', () => {
    const d = readDataset(text('x1,x2,y\r\n0.5,-1,2\r\n1e-3,"4",0\r\n\r\n'), 'd.csv', four);
    expect(Array.from(d.x)).toEqual([0.5, -1, Math.fround(1e-3), 4]);
    expect(d.xShape).toEqual([2, 2]);
    expect(d.n).toBe(2);
    expect(Array.from(d.labels ?? [])).toEqual([2, 0]);
    expect(d.task).toBe('classify');
    expect(d.labelColumn).toBe('y');
    expect(d.notes).toEqual([
      'label: the last column, "y" (--label names another)',
      'task: classify (integer labels, 3 output units; --task regress to override)',
      "classes: the data holds 2 of the model's 3 classes",
    ]);
  });

  it('takes the label column by name, maps class names sorted to indices, and says so', () => {
    const d = readDataset(text('kind,a,b\ncat,1,2\nant,3,4\nbee,5,6\ncat,7,8\n'), 'd.csv', { ...four, label: 'kind' });
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(d.classes).toEqual(['ant', 'bee', 'cat']);
    expect(Array.from(d.labels ?? [])).toEqual([2, 0, 1, 2]);
    expect(d.notes).toEqual([
      'task: classify (the labels are names; --task regress to override)',
      'classes: names, sorted and numbered: ant → 0, bee → 1, cat → 2',
    ]);
  });

  it('regresses with one linear unit, and reshapes rows to the input shape [time, features]', () => {
    const d = readDataset(text('a,b,c,d,t\n1,2,3,4,0.5\n5,6,7,8,3\n'), 'seq.csv', { inputShape: [2, 2], outputUnits: 1, outputActivation: 'linear' });
    expect(d.task).toBe('regress');
    expect(Array.from(d.targets ?? [])).toEqual([0.5, 3]);
    expect(d.labels).toBeUndefined();
    expect(d.xShape).toEqual([2, 2, 2]);
    expect(d.notes[1]).toBe('task: regress (the labels are not all integers; --task classify to override)');
    const free = readDataset(text('a,b,c,d,t\n1,2,3,4,1\n'), 'seq.csv', { inputShape: [null, 2], outputUnits: 1, outputActivation: 'sigmoid' });
    expect(free.xShape).toEqual([1, 2, 2]);
    expect(free.task).toBe('classify'); // integer labels and a sigmoid unit
  });

  it('integer labels with one linear unit are regression unless --task classify', () => {
    const bytes = text('a,b,y\n1,2,0\n3,4,1\n');
    expect(readDataset(bytes, 'd.csv', { inputShape: [2], outputUnits: 1 }).task).toBe('regress');
    const c = readDataset(bytes, 'd.csv', { inputShape: [2], outputUnits: 1, task: 'classify' });
    expect(Array.from(c.labels ?? [])).toEqual([0, 1]);
    expect(c.notes).toEqual(['label: the last column, "y" (--label names another)']);
  });

  it('names row, line and column of a bad cell, and what the file lacks', () => {
    const csv = (body: string) => text(`x1,x2,y\n${body}`);
    expect(rejects(() => readDataset(csv('1,2,0\n1,abc,1\n'), 'data.csv', four)).message).toBe(
      'data.csv, row 2 (line 3), column "x2": "abc" is not a number; every feature column must hold numbers',
    );
    expect(rejects(() => readDataset(csv('1,,0\n'), 'data.csv', four)).message).toBe(
      'data.csv, row 1 (line 2), column "x2": is empty; every feature column must hold numbers',
    );
    expect(rejects(() => readDataset(csv('1,2,0\n\n1,2\n'), 'data.csv', four)).message).toBe(
      'data.csv, row 2 (line 4) has 2 fields, but the header has 3 columns: give every row one value per column (quote a value that holds a comma)',
    );
    expect(rejects(() => readDataset(csv('1,2,0\n'), 'data.csv', { ...four, label: 'class' })).message).toBe(
      'data.csv has no column "class"; its columns are: x1, x2, y',
    );
    expect(rejects(() => readDataset(text('x1,x2,y\n\n'), 'data.csv', four)).message).toBe(
      'data.csv has a header row but no data rows: add one row per sample',
    );
    expect(rejects(() => readDataset(text(''), 'data.csv', four)).message).toBe(
      'data.csv is empty: give a CSV with a header row and one row per sample (or JSON, or .npy)',
    );
    expect(rejects(() => readDataset(text('\n\n'), 'data.csv', four)).message).toBe(
      'data.csv is empty: give a header row with the column names, then one row per sample',
    );
    expect(rejects(() => readDataset(text('1,2,0\n3,4,1\n'), 'data.csv', four)).message).toBe(
      'data.csv: the first row (line 1) holds numbers, not column names: add a header row naming the columns',
    );
  });

  it('says the width found and the width the model takes', () => {
    expect(rejects(() => readDataset(text('a,b,c,y\n1,2,3,0\n'), 'data.csv', four)).message).toBe(
      'data.csv has 3 feature columns besides the label "y", but the model takes 2 values per sample (input shape [2]): give one column per input value (flattened row-major for sequences and images), plus the label',
    );
    expect(rejects(() => readDataset(text('a;b;y\n1;2;0\n'), 'data.csv', four)).message).toMatch(
      /has 0 feature columns besides the label "a;b;y" \(the header has one column: is the file separated by ";" or tabs\? use commas\)/,
    );
  });

  it('refuses labels that do not fit the output', () => {
    expect(rejects(() => readDataset(text('a,b,y\n1,2,0\n1,2,3\n'), 'data.csv', four)).message).toBe(
      'data.csv, row 2 (line 3), column "y": class 3 does not fit the model\'s 3 output units (classes 0 to 2): give classes below 3, or a model with more units',
    );
    expect(rejects(() => readDataset(text('a,b,y\n1,2,-1\n'), 'data.csv', four)).message).toBe(
      'data.csv, row 1 (line 2), column "y": class -1 is negative: classes are numbered from 0',
    );
    expect(rejects(() => readDataset(text('a,b,y\n1,2,2\n'), 'data.csv', { inputShape: [2], outputUnits: 1, outputActivation: 'sigmoid' })).message).toBe(
      'data.csv, row 1 (line 2), column "y": class 2 does not fit the model\'s single output unit, which takes two classes (0 or 1): give 0/1 labels, or a model with one unit per class',
    );
    expect(rejects(() => readDataset(text('a,b,y\n1,2,a\n1,2,b\n1,2,c\n1,2,d\n'), 'data.csv', four)).message).toBe(
      'data.csv has 4 classes (a, b, c, d), but the model outputs 3 units, one per class: give a model with 4 output units, or fewer classes',
    );
    expect(rejects(() => readDataset(text('a,b,y\n1,2,1.5\n'), 'data.csv', { ...four, task: 'classify' })).message).toBe(
      'data.csv, row 1 (line 2), column "y": 1.5 is not a class: classes are integers from 0, or names (or use --task regress)',
    );
    expect(rejects(() => readDataset(text('a,b,y\n1,2,cat\n'), 'data.csv', { inputShape: [2], outputUnits: 1, task: 'regress' })).message).toBe(
      'data.csv, row 1 (line 2), column "y": "cat" is not a number: regression takes numeric targets (or use --task classify)',
    );
    expect(rejects(() => readDataset(text('a,b,y\n1,2,0.5\n'), 'data.csv', { ...four, task: 'regress' })).message).toBe(
      'data.csv has one target per sample, but the model outputs 3 values: give 3 targets per sample, or --task classify for class labels',
    );
  });
});

describe('readDataset, JSON', () => {
  it('reads { x, y } with nested rows flattened, and one-hot y rows as classes', () => {
    const d = readDataset(
      text(
        JSON.stringify({
          x: [[[1, 2]], [[3, 4]]],
          y: [
            [0, 0, 1],
            [1, 0, 0],
          ],
        }),
      ),
      'd.json',
      four,
    );
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.labels ?? [])).toEqual([2, 0]);
    expect(d.notes).toEqual(['labels: one-hot rows, read as class indices', "classes: the data holds 2 of the model's 3 classes"]);
    const r = readDataset(text(JSON.stringify({ x: [[1, 2]], y: [[0.5, 1, 2]] })), 'd.json', four);
    expect(r.task).toBe('regress');
    expect(Array.from(r.targets ?? [])).toEqual([0.5, 1, 2]);
  });

  it('reads a list of objects, the label the last key or the one named', () => {
    const rows = [
      { a: 1, b: 2, kind: 'y' },
      { a: 3, b: 4, kind: 'x' },
    ];
    const d = readDataset(text(JSON.stringify(rows)), 'd.json', four);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4]);
    expect(d.classes).toEqual(['x', 'y']);
    expect(Array.from(d.labels ?? [])).toEqual([1, 0]);
    const byName = readDataset(text(JSON.stringify([{ t: 0, a: 5, b: 6 }])), 'd.json', { ...four, label: 't' });
    expect(Array.from(byName.x)).toEqual([5, 6]);
    expect(Array.from(byName.labels ?? [])).toEqual([0]);
  });

  it('names the entry at fault', () => {
    expect(rejects(() => readDataset(text('{"x": [[1, "a"]], "y": [0]}'), 'd.json', four)).message).toBe(
      'd.json, x[0][1]: "a" is not a number; the features must be numbers',
    );
    expect(rejects(() => readDataset(text('{"x": [[1, 2], [1]], "y": [0, 1]}'), 'd.json', four)).message).toBe(
      'd.json, x[1] has 1 values, but x[0] has 2: give every sample the same number of values',
    );
    expect(rejects(() => readDataset(text('{"x": [[1, 2]], "y": [0, 1]}'), 'd.json', four)).message).toBe(
      'd.json: "x" has 1 samples but "y" has 2: give one label per sample',
    );
    expect(rejects(() => readDataset(text('[{"a": 1, "b": 2, "y": 0}, {"a": 1, "y": 0}]'), 'd.json', four)).message).toBe(
      'd.json, [1] has no "b": give every object the keys of the first (a, b, y)',
    );
    expect(rejects(() => readDataset(text('{"x": [[1, 2]], '), 'd.json', four)).message).toMatch(/^d\.json is not valid JSON \(.+\): give \{ "x"/);
    expect(rejects(() => readDataset(text('{"rows": []}'), 'd.json', four)).message).toBe(
      'd.json is not in a form the doctor reads: give { "x": [[…], …], "y": […] } or a list of objects [{ "x1": …, "label": … }, …]',
    );
  });
});

describe('readDataset, .npy', () => {
  it('reads a 2-D float32 or float64 array with the label last', () => {
    for (const descr of ['<f4', '<f8']) {
      const d = readDataset(npy(descr, [2, 3], [1, 2, 2, 3, 4, 0]), 'd.npy', four);
      expect(Array.from(d.x)).toEqual([1, 2, 3, 4]);
      expect(Array.from(d.labels ?? [])).toEqual([2, 0]);
    }
    const t = readDataset(npy('<i4', [1, 5], [1, 2, 0, 1, 0]), 'd.npy', four);
    expect(Array.from(t.labels ?? [])).toEqual([1]); // one-hot label columns
  });

  it('says what is wrong with the array', () => {
    expect(rejects(() => readDataset(npy('<f4', [2, 5], new Array(10).fill(0)), 'd.npy', { ...four, outputUnits: 1 })).message).toBe(
      'd.npy has 5 columns, but the model takes 2 values per sample (input shape [2]): give 2 feature columns and the label last (3 columns)',
    );
    expect(rejects(() => readDataset(npy('<f4', [6], new Array(6).fill(0)), 'd.npy', four)).message).toBe(
      'd.npy holds an array of shape (6): save it with numpy.save(path, array) (a 2-D array: one row per sample, the label in the last column)',
    );
    expect(rejects(() => readDataset(npy('<f4', [2, 3], [1, Number.NaN, 0, 1, 2, 0]), 'd.npy', four)).message).toBe(
      'd.npy, row 0, column 1: NaN is not a finite number; every value must be a finite number',
    );
    expect(rejects(() => readDataset(npy('<f4', [2, 3], [1, 2, 0]), 'd.npy', four)).message).toBe(
      'd.npy is truncated: its header says (2, 3) values of 4 bytes, but 12 bytes follow',
    );
    expect(rejects(() => readDataset(text('not numpy at all'), 'd.npy', four)).message).toMatch(/^d\.npy is not a \.npy file/);
  });
});

describe('toDoctorData', () => {
  async function yOf(
    loss: string,
    units: number,
    data = readDataset(text('a,b,y\n1,2,1\n3,4,0\n'), 'd.csv', { inputShape: [2], outputUnits: units, task: 'classify' }),
  ) {
    let out: { shape: number[]; values: number[]; x: number[] } | undefined;
    await expectNoLeaks(async () => {
      const { x, y } = toDoctorData(data, loss, units);
      out = { shape: y.shape, values: Array.from(await y.data()), x: Array.from(await (x as tf.Tensor).data()) };
      x.dispose();
      y.dispose();
    });
    return out as { shape: number[]; values: number[]; x: number[] };
  }

  it('one-hot for categorical, indices [n, 1] for sparse, a 0/1 column for binary, targets for regression', async () => {
    expect(await yOf('categoricalCrossentropy', 3)).toEqual({ shape: [2, 3], values: [0, 1, 0, 1, 0, 0], x: [1, 2, 3, 4] });
    expect(await yOf('categorical_crossentropy', 3)).toMatchObject({ shape: [2, 3], values: [0, 1, 0, 1, 0, 0] });
    expect(await yOf('sparseCategoricalCrossentropy', 3)).toMatchObject({ shape: [2, 1], values: [1, 0] });
    expect(await yOf('binaryCrossentropy', 1)).toMatchObject({ shape: [2, 1], values: [1, 0] });
    const reg = readDataset(text('a,b,y\n1,2,0.25\n3,4,-2\n'), 'd.csv', { inputShape: [2], outputUnits: 1 });
    expect(await yOf('meanSquaredError', 1, reg)).toMatchObject({ shape: [2, 1], values: [0.25, -2] });
    expect(await yOf('mse', 1, reg)).toMatchObject({ shape: [2, 1], values: [0.25, -2] });
  });

  it('refuses regression targets for a classification loss', () => {
    const reg = readDataset(text('a,b,y\n1,2,0.25\n'), 'd.csv', { inputShape: [2], outputUnits: 1 });
    expect(rejects(() => toDoctorData(reg, 'sparseCategoricalCrossentropy', 1)).message).toBe(
      'd.csv holds regression targets, but the loss sparseCategoricalCrossentropy takes class labels: pass --task classify, or use a regression loss',
    );
  });
});
