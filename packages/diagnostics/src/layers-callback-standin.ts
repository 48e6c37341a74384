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
// built on that callback's BaseCallback prototype. The model's `fit` and `fitDataset` are wrapped only
// while one of its gradient callbacks is live (not detached, not garbage-collected).

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

/** A model whose `fit` and `fitDataset` are wrapped: the live callbacks' tokens, and how to unwrap. */
interface Wrapping {
  /** One token per live gradient callback of the model (a token, not the callback: it must stay collectable). */
  readonly live: Set<object>;
  /** Puts the model's own `fit` and `fitDataset` back (or deletes the wrappers, uncovering its class's). */
  readonly unwrap: () => void;
}

/** The models whose `fit` and `fitDataset` are wrapped now. */
const wrappings = new WeakMap<object, Wrapping>();

/** A callback collected without `detach()` stops being live too. */
const collected = new FinalizationRegistry<{ model: object; token: object }>(({ model, token }) => release(model, token));

/** Ends the liveness of one callback of `model`; the last one unwraps the model. */
function release(model: object, token: object): void {
  const w = wrappings.get(model);
  if (!w?.live.delete(token) || w.live.size > 0) return;
  w.unwrap();
  wrappings.delete(model);
}

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

/** Wraps `model`'s `fit` and `fitDataset` (own properties delegating to the current ones); returns how to undo it. */
function wrap(model: object): () => void {
  const undo: (() => void)[] = [];
  for (const [method, at] of [
    ['fit', 2],
    ['fitDataset', 1],
  ] as const) {
    const original = (model as Record<string, unknown>)[method];
    if (typeof original !== 'function') continue;
    const before = Object.getOwnPropertyDescriptor(model, method);
    const wrapper = function (this: unknown, ...args: unknown[]) {
      args[at] = withStandIns(args[at], model);
      return original.apply(this, args);
    };
    Object.defineProperty(model, method, { configurable: true, writable: true, value: wrapper });
    undo.push(() => {
      if (Object.getOwnPropertyDescriptor(model, method)?.value !== wrapper) return; // replaced since: leave it
      if (before) Object.defineProperty(model, method, before);
      else delete (model as Record<string, unknown>)[method];
    });
  }
  return () => {
    for (const u of undo) u();
  };
}

/**
 * Lets `model.fit` and `model.fitDataset` put a stand-in tf.Callback in the place of `cb` in a
 * `callbacks` list that holds a tfjs-layers callback, while `cb` is live: the first live callback of
 * a model wraps them (own properties of the instance), and the returned function (idempotent), or
 * `cb` being garbage-collected, ends `cb`'s liveness; when no callback of the model is live, the
 * model's own properties are put back (the wrappers deleted when it had none), unless `fit` was
 * replaced since. Nothing is wrapped for a model without `fit` or one that cannot take the wrapper
 * (a frozen object).
 */
export function letFitTakeAsCallback(model: object, cb: Hooks): () => void {
  modelOf.set(cb, model);
  if (!Object.isExtensible(model)) return () => undefined;
  let w = wrappings.get(model);
  if (!w) {
    w = { live: new Set(), unwrap: wrap(model) };
    wrappings.set(model, w);
  }
  const token = {};
  w.live.add(token);
  collected.register(cb, { model, token }, token);
  return () => {
    collected.unregister(token);
    release(model, token);
  };
}
