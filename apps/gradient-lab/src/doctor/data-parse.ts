// The readers behind readDataset (data-files.ts), browser-safe: CSV, JSON and .npy bytes → a `RawData`
// (the features as numbers, row by row, and the label cells, each with where it came from for messages).
// Checks here: the file's own syntax and structure (empty, header only, ragged rows, non-numeric
// feature cells with row and column, unknown label column); data-files.ts checks fit to the model.
import { DoctorInputError } from './doctor-errors.js';

/** One sample's label as read: a cell (number or text), or a row of numbers (JSON `y` rows, several .npy label columns). */
export type LabelCell = number | string | readonly number[];

/** What a reader found: `n` samples of `width` features, one label cell each, and where each came from. */
export interface RawData {
  readonly file: string;
  readonly n: number;
  readonly width: number;
  /** `n × width` features, row-major. */
  readonly features: Float32Array;
  readonly labels: readonly LabelCell[];
  /** The label's column or key (CSV header, JSON key), when it has one. */
  readonly labelColumn?: string;
  /** Where sample `i`'s label is, for messages: `data.csv, row 17 (line 18), column "y"`. */
  readonly at: (i: number) => string;
  /** How the label column was chosen, for the notes. */
  readonly notes: readonly string[];
}

/** The features a file must hold per sample (the product of the model's input shape), or undefined when the shape has a free dimension. */
export interface WidthRule {
  readonly width: number | undefined;
  /** The model's input shape, for messages. */
  readonly shape: string;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a cell holds (a decimal string or a number), or why not. */
export function cellNumber(cell: unknown): number | string {
  const trimmed = typeof cell === 'string' ? cell.trim() : '';
  const v = typeof cell === 'number' ? cell : typeof cell === 'string' && DECIMAL.test(trimmed) ? Number(trimmed) : undefined;
  if (v !== undefined && Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX) return v;
  const shown = typeof cell === 'number' ? String(cell) : (JSON.stringify(cell) ?? String(cell));
  if (v === undefined) return typeof cell === 'string' && trimmed === '' ? 'is empty' : `${shown} is not a number`;
  if (!Number.isFinite(v)) return `${shown} is not a finite number`;
  return `${shown} does not fit a float32 (largest ±3.4e38)`;
}

function utf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new DoctorInputError(file, `${file} is not text (not UTF-8): give a CSV or JSON text file, or a .npy array`);
  }
}

/** CSV records (RFC 4180: quoted fields with "" for a quote, CRLF or LF), each with the line it starts on; blank lines skipped. */
export function csvRecords(text: string, file: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  const end = text.length;
  let i = 0;
  let line = 1;
  while (i < end) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      // one field, then the separator after it
      let field: string;
      let j = i;
      while (j < end && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      if (text.charCodeAt(j) === 34) {
        const from = line;
        field = '';
        j++;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0)
            throw new DoctorInputError(file, `${file}, line ${from}: a quoted field is never closed: end it with a " (write "" for a quote inside it)`);
          const part = text.slice(j, q);
          for (let k = part.indexOf('\n'); k >= 0; k = part.indexOf('\n', k + 1)) line++;
          field += part;
          if (text.charCodeAt(q + 1) === 34) {
            field += '"';
            j = q + 2;
          } else {
            j = q + 1;
            break;
          }
        }
        while (j < end && !/[,\r\n]/.test(text.charAt(j))) field += text.charAt(j++);
      } else {
        j = i;
        while (j < end) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13) break;
          j++;
        }
        field = text.slice(i, j);
      }
      fields.push(field);
      const sep = text.charCodeAt(j);
      i = j + 1;
      if (sep === 44) continue;
      if (sep === 13 && text.charCodeAt(i) === 10) i++;
      if (j < end) line++;
      break;
    }
    if (fields.length > 1 || fields[0]?.trim() !== '') records.push({ fields, line: start });
  }
  return records;
}

function widthMismatch(file: string, found: string, rule: WidthRule, fix: string): DoctorInputError {
  return new DoctorInputError(file, `${file} has ${found}, but the model takes ${rule.width} values per sample (input shape ${rule.shape}): ${fix}`);
}

/** Reads a CSV: a header row, one row per sample; the label is the column `label`, else the last one. */
export function readCsv(bytes: Uint8Array, file: string, rule: WidthRule, label?: string): RawData {
  const records = csvRecords(utf8(bytes, file), file);
  const [header, ...rows] = records;
  if (header === undefined) throw new DoctorInputError(file, `${file} is empty: give a header row with the column names, then one row per sample`);
  const columns = header.fields.map((f) => f.trim());
  if (columns.every((c) => typeof cellNumber(c) === 'number'))
    throw new DoctorInputError(file, `${file}: the first row (line ${header.line}) holds numbers, not column names: add a header row naming the columns`);
  if (rows.length === 0) throw new DoctorInputError(file, `${file} has a header row but no data rows: add one row per sample`);
  const notes: string[] = [];
  let labelAt = columns.length - 1;
  if (label !== undefined) {
    labelAt = columns.indexOf(label);
    if (labelAt < 0) throw new DoctorInputError(file, `${file} has no column "${label}"; its columns are: ${columns.join(', ')}`, label);
    if (columns.indexOf(label, labelAt + 1) >= 0) throw new DoctorInputError(file, `${file} has two columns named "${label}": rename one`, label);
  } else notes.push(`label: the last column, "${columns[labelAt]}" (--label names another)`);
  const labelColumn = columns[labelAt] as string;
  const width = columns.length - 1;
  if (rule.width !== undefined && width !== rule.width) {
    const separator =
      columns.length === 1 && /[;\t]/.test(header.fields[0] ?? '') ? ' (the header has one column: is the file separated by ";" or tabs? use commas)' : '';
    throw widthMismatch(
      file,
      `${width} feature column${width === 1 ? '' : 's'} besides the label "${labelColumn}"${separator}`,
      rule,
      'give one column per input value (flattened row-major for sequences and images), plus the label',
    );
  }
  const features = new Float32Array(rows.length * width);
  const labels: string[] = [];
  const where = (r: number, c: number) => `${file}, row ${r + 1} (line ${rows[r]?.line}), column "${columns[c]}"`;
  for (const [r, row] of rows.entries()) {
    if (row.fields.length !== columns.length)
      throw new DoctorInputError(
        file,
        `${file}, row ${r + 1} (line ${row.line}) has ${row.fields.length} field${row.fields.length === 1 ? '' : 's'}, but the header has ${columns.length} columns: give every row one value per column (quote a value that holds a comma)`,
      );
    let k = r * width;
    for (let c = 0; c < row.fields.length; c++) {
      const cell = row.fields[c] as string;
      if (c === labelAt) {
        labels.push(cell.trim());
        continue;
      }
      const v = cellNumber(cell);
      if (typeof v === 'string') throw new DoctorInputError(file, `${where(r, c)}: ${v}; every feature column must hold numbers`, columns[c]);
      features[k++] = v;
    }
  }
  return { file, n: rows.length, width, features, labels, labelColumn, at: (i) => where(i, labelAt), notes };
}

/** The numbers of a (nested) array, flattened row-major; the first bad entry's path and why. */
function flatNumbers(value: unknown, path: string, out: number[]): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const bad = flatNumbers(v, `${path}[${i}]`, out);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  const v = cellNumber(value);
  if (typeof v === 'string') return `${path}: ${v}`;
  out.push(v);
  return undefined;
}

/** Appends one sample's flattened features, checking it has as many as the first sample. */
function pushRow(file: string, rows: { values: number[]; width: number | undefined }, value: unknown, path: string, first: string) {
  const row: number[] = [];
  const bad = flatNumbers(value, path, row);
  if (bad !== undefined) throw new DoctorInputError(file, `${file}, ${bad}; the features must be numbers`);
  if (rows.width !== undefined && row.length !== rows.width)
    throw new DoctorInputError(file, `${file}, ${path} has ${row.length} values, but ${first} has ${rows.width}: give every sample the same number of values`);
  rows.width = row.length;
  for (const v of row) rows.values.push(v);
}

const JSON_FORMATS = '{ "x": [[…], …], "y": […] } or a list of objects [{ "x1": …, "label": … }, …]';

function jsonLabel(file: string, y: unknown, path: string): LabelCell {
  if (typeof y === 'number' || typeof y === 'string') return y;
  const row: number[] = [];
  const bad = Array.isArray(y) ? flatNumbers(y, path, row) : `${path}: ${JSON.stringify(y)} is not a label (a number, a class name or a list of numbers)`;
  if (bad !== undefined) throw new DoctorInputError(file, `${file}, ${bad}`);
  return row;
}

/** Reads JSON: `{ "x": [[…]], "y": […] }`, or a list of objects whose label is the key `label`, else each object's last key. */
export function readJson(bytes: Uint8Array, file: string, rule: WidthRule, label?: string): RawData {
  const text = utf8(bytes, file);
  if (text.trim() === '') throw new DoctorInputError(file, `${file} is empty: give ${JSON_FORMATS}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DoctorInputError(file, `${file} is not valid JSON (${(e as Error).message}): give ${JSON_FORMATS}`);
  }
  const rows = { values: [] as number[], width: undefined as number | undefined };
  const labels: LabelCell[] = [];
  const notes: string[] = [];
  let labelColumn: string | undefined;
  let at: (i: number) => string;
  if (Array.isArray(data)) {
    if (data.length === 0) throw new DoctorInputError(file, `${file} is an empty list: give one object per sample`);
    const first = data[0];
    if (typeof first !== 'object' || first === null || Array.isArray(first))
      throw new DoctorInputError(file, `${file}, [0] is not an object: give ${JSON_FORMATS}`);
    const keys = Object.keys(first);
    labelColumn = label ?? keys[keys.length - 1];
    if (label !== undefined && !keys.includes(label))
      throw new DoctorInputError(file, `${file}: the objects have no key "${label}"; their keys are: ${keys.join(', ')}`, label);
    if (label === undefined) notes.push(`label: the last key, "${labelColumn}" (--label names another)`);
    const featureKeys = keys.filter((k) => k !== labelColumn);
    for (const [i, item] of data.entries()) {
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw new DoctorInputError(file, `${file}, [${i}] is not an object: give ${JSON_FORMATS}`);
      const o = item as Record<string, unknown>;
      const missing = keys.find((k) => !(k in o));
      if (missing !== undefined)
        throw new DoctorInputError(file, `${file}, [${i}] has no "${missing}": give every object the keys of the first (${keys.join(', ')})`, missing);
      pushRow(
        file,
        rows,
        featureKeys.map((k) => o[k]),
        `[${i}]`,
        '[0]',
      );
      labels.push(jsonLabel(file, o[labelColumn as string], `[${i}].${labelColumn}`));
    }
    at = (i) => `${file}, [${i}], "${labelColumn}"`;
  } else if (typeof data === 'object' && data !== null && 'x' in data && 'y' in data) {
    const { x, y } = data as { x: unknown; y: unknown };
    if (label !== undefined) throw new DoctorInputError(file, `${file} holds "x" and "y": its label is "y" (leave --label out)`, label);
    if (!Array.isArray(x) || !Array.isArray(y))
      throw new DoctorInputError(file, `${file}: "x" and "y" must be lists (one entry per sample): give ${JSON_FORMATS}`);
    if (x.length === 0) throw new DoctorInputError(file, `${file}: "x" is empty: give one entry per sample`, 'x');
    if (x.length !== y.length) throw new DoctorInputError(file, `${file}: "x" has ${x.length} samples but "y" has ${y.length}: give one label per sample`, 'y');
    for (const [i, row] of x.entries()) pushRow(file, rows, row, `x[${i}]`, 'x[0]');
    for (const [i, v] of y.entries()) labels.push(jsonLabel(file, v, `y[${i}]`));
    labelColumn = 'y';
    at = (i) => `${file}, y[${i}]`;
  } else throw new DoctorInputError(file, `${file} is not in a form the doctor reads: give ${JSON_FORMATS}`);
  const width = rows.width ?? 0;
  if (rule.width !== undefined && width !== rule.width)
    throw widthMismatch(
      file,
      `${width} feature value${width === 1 ? '' : 's'} per sample`,
      rule,
      'give each sample one value per input (nested lists are flattened row-major)',
    );
  return { file, n: labels.length, width, features: Float32Array.from(rows.values), labels, labelColumn, at, notes };
}

/** The element readers of the .npy dtypes the doctor takes (little-endian or single-byte). */
const NPY: Readonly<Record<string, { bytes: number; read: (v: DataView, o: number) => number }>> = {
  f4: { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  f8: { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o) },
  i2: { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  i4: { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  i8: { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  u1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  u2: { bytes: 2, read: (v, o) => v.getUint16(o, true) },
  u4: { bytes: 4, read: (v, o) => v.getUint32(o, true) },
  b1: { bytes: 1, read: (v, o) => v.getUint8(o) },
};

/** The header of a .npy file (NumPy format 1.0–3.0): dtype, order, shape, and where the data starts. */
function npyHeader(bytes: Uint8Array, file: string) {
  const fix = 'save it with numpy.save(path, array) (a 2-D array: one row per sample, the label in the last column)';
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new DoctorInputError(file, `${file} is not a .npy file (no \\x93NUMPY magic): ${fix}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] as number;
  const [length, start] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  const header = new TextDecoder().decode(bytes.subarray(start, start + length));
  const descr = /'descr':\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shape === undefined) throw new DoctorInputError(file, `${file} has a .npy header the doctor cannot read: ${fix}`);
  const kind = NPY[descr[2] as string];
  if (kind === undefined || (descr[1] === '>' && kind.bytes > 1))
    throw new DoctorInputError(
      file,
      `${file} holds ${descr[1]}${descr[2]} values; the doctor reads little-endian float32/float64/int/uint/bool arrays: convert it with array.astype('<f4')`,
    );
  if (fortran === 'True') throw new DoctorInputError(file, `${file} is in Fortran order: save numpy.ascontiguousarray(array) instead`);
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return { kind, dims, data: start + length, view, fix };
}

/**
 * Reads a .npy: a 2-D array `[n, features + k]`, one row per sample, the label(s) in the last `k`
 * columns: k = 1 (a class index or a target) or k = `outputUnits` (targets or one-hot rows).
 */
export function readNpy(bytes: Uint8Array, file: string, rule: WidthRule, outputUnits: number, label?: string): RawData {
  if (label !== undefined) throw new DoctorInputError(file, `${file} is a .npy array: its label is the last column (leave --label out)`, label);
  const { kind, dims, data, view, fix } = npyHeader(bytes, file);
  if (dims.length !== 2) throw new DoctorInputError(file, `${file} holds an array of shape (${dims.join(', ')}): ${fix}`);
  const [n, cols] = dims as [number, number];
  if (n === 0) throw new DoctorInputError(file, `${file} holds no rows (shape (0, ${cols})): give one row per sample`);
  if (bytes.byteLength - data < n * cols * kind.bytes)
    throw new DoctorInputError(
      file,
      `${file} is truncated: its header says (${n}, ${cols}) values of ${kind.bytes} bytes, but ${bytes.byteLength - data} bytes follow`,
    );
  const k = rule.width === undefined ? 1 : cols - rule.width;
  if (k !== 1 && !(k === outputUnits && k > 1))
    throw new DoctorInputError(
      file,
      `${file} has ${cols} columns, but the model takes ${rule.width} values per sample (input shape ${rule.shape}): give ${rule.width} feature columns and the label last (${(rule.width ?? 0) + 1} columns${outputUnits > 1 ? `, or ${(rule.width ?? 0) + outputUnits} with ${outputUnits} target columns` : ''})`,
    );
  const width = cols - k;
  const features = new Float32Array(n * width);
  const labels: LabelCell[] = [];
  for (let r = 0; r < n; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) {
      const v = kind.read(view, data + (r * cols + c) * kind.bytes);
      const checked = cellNumber(v);
      if (typeof checked === 'string') throw new DoctorInputError(file, `${file}, row ${r}, column ${c}: ${checked}; every value must be a finite number`);
      row.push(v);
    }
    features.set(row.slice(0, width), r * width);
    labels.push(k === 1 ? (row[width] as number) : row.slice(width));
  }
  return { file, n, width, features, labels, at: (i) => `${file}, row ${i}, column ${width}`, notes: [] };
}
