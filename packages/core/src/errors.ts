/**
 * Base class of every error gradkit throws on purpose. `code` is stable and machine-readable; the
 * message says what was wrong and what to do about it.
 *
 * @example
 * ```ts
 * try { opt.step(grads); } catch (e) { if (e instanceof GradkitError) console.error(e.code, e.message); }
 * ```
 */
export class GradkitError extends Error {
  /** Stable identifier of the kind of error, for example `'TREE_MISMATCH'`. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Two trees that must have the same structure do not (a missing or extra key, a leaf of another
 * shape or dtype). `path` is the tree path where they first differ, for example `layers.2.kernel`.
 *
 * @example
 * ```ts
 * // grads lacks layers.1.bias → TreeMismatchError, e.path === 'layers.1.bias'
 * ```
 */
export class TreeMismatchError extends GradkitError {
  /** Tree path of the first difference (`''` is the root). */
  readonly path: string;

  constructor(path: string, message: string) {
    super('TREE_MISMATCH', message);
    this.path = path;
  }
}

/**
 * A hyper-parameter or argument is out of range, not finite or of the wrong type. `field` names it,
 * for example `learningRate`.
 *
 * @example
 * ```ts
 * sgd({ learningRate: -1 }); // HyperParameterError: field 'learningRate' …
 * ```
 */
export class HyperParameterError extends GradkitError {
  /** Name of the offending option or argument. */
  readonly field: string;

  constructor(field: string, message: string, code = 'BAD_HYPERPARAMETER') {
    super(code, message);
    this.field = field;
  }
}

/**
 * An options object has a key the function does not know (a typo, or another library's spelling such
 * as PyTorch's `lr`). `field` is the unknown key, `validKeys` the names it takes and `suggestion` the
 * closest one, if any. Unknown keys are never ignored: a typo would otherwise train with a default.
 *
 * @example
 * ```ts
 * adam({ lr: 0.5 } as never); // UnknownOptionError: adam: unknown option 'lr' (did you mean 'learningRate'?) …
 * ```
 */
export class UnknownOptionError extends HyperParameterError {
  /** The options the function takes. */
  readonly validKeys: readonly string[];
  /** The valid option the unknown key most likely means. */
  readonly suggestion: string | undefined;

  constructor(field: string, message: string, validKeys: readonly string[], suggestion?: string) {
    super(field, message, 'UNKNOWN_OPTION');
    this.validKeys = validKeys;
    this.suggestion = suggestion;
  }
}

/**
 * A backend could not be selected or started: an unknown name, a missing backend package (the
 * message names the npm package to install) or a platform without the needed API.
 *
 * @example
 * ```ts
 * await useBackend('webgl' as never); // BackendError: unknown backend 'webgl' …
 * ```
 */
export class BackendError extends GradkitError {
  /** The backend that failed. */
  readonly backend: string;

  constructor(backend: string, message: string) {
    super('BACKEND', message);
    this.backend = backend;
  }
}

/**
 * Saved optimizer state does not fit the optimizer it is loaded into (another transformation, other
 * parameter paths, shapes or dtypes, or not gradkit state at all). `path` names the first mismatch.
 *
 * @example
 * ```ts
 * opt.loadState(savedFromAnotherModel); // StateError naming the first parameter path that differs
 * ```
 */
export class StateError extends GradkitError {
  /** Path (or field) of the first mismatch. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('STATE_MISMATCH', message);
    this.path = path;
  }
}

/**
 * A value that must be a tensor, a scalar or a finite number is not (for example a loss function
 * that returns a vector). `what` names the value.
 *
 * @example
 * ```ts
 * valueAndGrad((p) => p.w)({ w }); // ValueError: the loss must be a scalar tensor …
 * ```
 */
export class ValueError extends GradkitError {
  /** Name of the offending value. */
  readonly what: string;

  constructor(what: string, message: string) {
    super('BAD_VALUE', message);
    this.what = what;
  }
}

/**
 * An object used after it was disposed, for example `Optimizer.step` after `dispose()`, or a
 * parameter disposed while an optimizer still updates it (`what` is then its path).
 *
 * @example
 * ```ts
 * opt.dispose(); opt.step(grads); // DisposedError
 * ```
 */
export class DisposedError extends GradkitError {
  /** What was disposed: an object (`'Optimizer'`) or a tree path (`'dense.kernel'`). */
  readonly what: string;

  constructor(what: string, message = `${what} was used after dispose(); create a new one`) {
    super('DISPOSED', message);
    this.what = what;
  }
}
