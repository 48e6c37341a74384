// Letting a gradientCallback sit in one `callbacks` list with tfjs-layers' own callbacks, in any
// order, without importing tfjs-layers (not a dependency of this package).
//
// tfjs-layers' `standardizeCallbacks` takes a list as tf.Callbacks when its first entry is an
// instance of its BaseCallback, and otherwise wraps every entry in a CustomCallback as if it were a
// `{ onEpochEnd, … }` config: `[gradientCallback, earlyStopping]` then breaks earlyStopping (its
// methods run on the wrapper: "this.getMonitorValue is not a function"), and `[earlyStopping,
// gradientCallback]` calls methods a config does not have ("setParams is not a function"). A
// gradientCallback is a config (so that alone, or with other configs, it costs nothing per batch),
// and in a list that holds a tfjs-layers callback, the model's `fit` puts in its place a stand-in
// built on that callback's BaseCallback prototype.

/** The methods tfjs-layers' CallbackList calls on a tf.Callback. */
const BASE_METHODS = ['setParams', 'setModel', 'onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** tfjs-layers' BaseCallback.prototype, the root of a tfjs-layers callback's prototype chain; undefined for anything else (configs included). */
function callbackBaseOf(c: unknown): object | undefined {
  if (c === null || typeof c !== 'object') return undefined;
  let p = Object.getPrototypeOf(c) as object | null;
  if (p === null || p === Object.prototype) return undefined;
  for (let up = Object.getPrototypeOf(p); up !== null && up !== Object.prototype; up = Object.getPrototypeOf(up)) p = up;
  const base = p as Record<string, unknown>;
  return BASE_METHODS.every((m) => typeof base[m] === 'function') ? base : undefined;
}

/** What a stand-in runs: the hooks of the gradient callback (which do not use `this`). */
interface Hooks {
  onTrainBegin(logs?: unknown): unknown;
  onTrainEnd(logs?: unknown): unknown;
}

/** Each gradient callback → the model it was made for (whose `fit` may put a stand-in in its place). */
const modelOf = new WeakMap<Hooks, object>();
/** The models whose `fit` and `fitDataset` are wrapped (once per model, however many callbacks it gets). */
const wrapped = new WeakSet<object>();

/** `args` with each gradient callback made for `model` replaced by a tf.Callback stand-in when its `callbacks` list also holds a tfjs-layers callback; else `args` itself. */
function withStandIns(args: unknown, model: object): unknown {
  const callbacks = (args as { callbacks?: unknown } | null)?.callbacks;
  if (!Array.isArray(callbacks)) return args;
  const ours = (c: unknown) => modelOf.get(c as Hooks) === model;
  const base = callbacks.map(callbackBaseOf).find((b) => b !== undefined);
  if (!base || !callbacks.some(ours)) return args;
  const standIn = (cb: Hooks) =>
    Object.assign(Object.create(base) as object, { validationData: null, onTrainBegin: cb.onTrainBegin, onTrainEnd: cb.onTrainEnd });
  return { ...(args as object), callbacks: callbacks.map((c) => (ours(c) ? standIn(c as Hooks) : c)) };
}

/**
 * Lets `model.fit` and `model.fitDataset` (on that instance, wrapped once per model) put a stand-in
 * tf.Callback in the place of `cb` in a `callbacks` list that holds a tfjs-layers callback. Nothing
 * is wrapped for a model without `fit` or one that cannot take the wrapper (a frozen object).
 */
export function letFitTakeAsCallback(model: object, cb: Hooks): void {
  modelOf.set(cb, model);
  if (wrapped.has(model) || !Object.isExtensible(model)) return;
  for (const [method, at] of [
    ['fit', 2],
    ['fitDataset', 1],
  ] as const) {
    const original = (model as Record<string, unknown>)[method];
    if (typeof original !== 'function') continue;
    Object.defineProperty(model, method, {
      configurable: true,
      writable: true,
      value(this: unknown, ...args: unknown[]) {
        args[at] = withStandIns(args[at], model);
        return original.apply(this, args);
      },
    });
  }
  wrapped.add(model);
}
