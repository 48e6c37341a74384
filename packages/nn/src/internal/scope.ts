import { type ApplyOptions, type Module, tap } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * The stack of names under which modules are being applied (`['3', 'inner', '1']` while the second
 * layer of the fourth block's inner sequential runs). It lives on `globalThis` so that two copies of
 * `@gradkit/nn` in one bundle agree on it.
 */
const SCOPE_KEY = Symbol.for('gradkit.nn.scope');
const PASSING_KEY = Symbol.for('gradkit.nn.passingOptions');
const holder = globalThis as unknown as { [SCOPE_KEY]?: string[]; [PASSING_KEY]?: { depth: number } };
const stack: string[] = holder[SCOPE_KEY] ?? [];
holder[SCOPE_KEY] = stack;

/**
 * How many containers are passing their `apply` options on to a child right now (`applyChild`
 * calls in progress). Separate from the scope stack: `nameScope` pushes a name but passes no options on.
 */
const passing: { depth: number } = holder[PASSING_KEY] ?? { depth: 0 };
holder[PASSING_KEY] = passing;

/** Marks modules that tap their own output (every module of this package); containers tap the output of the others. */
export const SELF_TAPPING: unique symbol = Symbol.for('gradkit.nn.selfTapping') as never;

/**
 * Whether the current module's options were passed on by a container (`applyChild`), so they may be
 * meant for a sibling. A `nameScope` alone does not count: options given there are the user's own.
 */
export function inContainer(): boolean {
  return passing.depth > 0;
}

/**
 * Runs `fn` (a module's forward pass) as a fresh start for options: a module it applies directly,
 * not through `applyChild`, gets its options from it, not from the container around.
 */
export function unpassed<T>(fn: () => T): T {
  const depth = passing.depth;
  passing.depth = 0;
  try {
    return fn();
  } finally {
    passing.depth = depth;
  }
}

/** Runs `fn` with `key` pushed on the scope stack. */
export function inScope<T>(key: string, fn: () => T): T {
  stack.push(key);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/**
 * The tap name of a module called `name` applied in the current scope: the scope path and the name
 * (`'3.dense'`, `'2.inner.0.layerNorm'`), or the name alone at the root. Ending in the module's name
 * keeps tap names from being integer-like, which would reorder them in the `Taps` object (JavaScript
 * lists integer-like keys first), so taps stay in input-to-output order.
 */
export function tapName(name: string): string {
  return stack.length === 0 ? name : `${stack.join('.')}.${name}`;
}

/** Taps a module's output under `tapName(name)`. */
export function tapOutput<T extends tf.Tensor>(y: T, name: string): T {
  return tap(y, tapName(name));
}

/** Whether `m` taps its own output (a module of this package). */
export function tapsItself(m: Module): boolean {
  return (m as unknown as { [SELF_TAPPING]?: boolean })[SELF_TAPPING] === true;
}

/**
 * Applies a child module under the scope `key` and taps its output there when the child does not
 * tap itself (a module from another package, such as `LayerNorm`), so every layer is tapped once.
 */
export function applyChild(child: Module, key: string, x: tf.Tensor, options: ApplyOptions): tf.Tensor {
  return inScope(key, () => {
    // A module from another package knows only `training`.
    const own = tapsItself(child);
    let y: tf.Tensor;
    if (own) passing.depth++;
    try {
      y = child.apply(x, own ? options : { training: options.training });
    } finally {
      if (own) passing.depth--;
    }
    return own ? y : tapOutput(y, typeof child.name === 'string' && child.name !== '' ? child.name : 'module');
  });
}
