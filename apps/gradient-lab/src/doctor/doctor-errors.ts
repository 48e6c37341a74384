// API: `DoctorInputError(file, message)`: a GradkitError with `file` (the user's file, as they named
// it) and `what` (the part of it at fault: a column, a weight, a field; default `file`). The CLI prints
// `gradient-lab: <message>` and exits 1. Browser-safe.
import { GradkitError } from '@gradkit/core';

/**
 * A file the user gave the doctor (a saved model, a data file, an output directory) cannot be used:
 * the message says what is wrong, where (file, row, line, column, weight name) and what to do. `file`
 * is the file as the user named it; `what` the part of it at fault (a column, a weight name, a field),
 * or the file itself. Thrown before anything was written.
 *
 * @example
 * ```ts
 * throw new DoctorInputError('data.csv', 'data.csv, row 17 (line 18), column "x3": "abc" is not a number', 'x3');
 * ```
 */
export class DoctorInputError extends GradkitError {
  /** The user's file (or directory) at fault, as they named it. */
  readonly file: string;
  /** What in the file is at fault (a column, a weight name, a field), or the file itself. */
  readonly what: string;

  constructor(file: string, message: string, what: string = file) {
    super('DOCTOR_INPUT', message);
    this.file = file;
    this.what = what;
  }
}
