// Temporary method replacement for the profiler's hooks (tfjs's engine, WebGPU's queue and pass
// encoder): install, then put back exactly what was there (an own property, or none).

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Replaces `target[key]` by `make(original)` as an own property, and returns the function that
 * restores it: the previous own property if there was one, else nothing (the inherited method
 * shows through again).
 */
export function patchMethod(target: object, key: string, make: (original: Method) => Method): () => void {
  const own = Object.getOwnPropertyDescriptor(target, key);
  const original = (target as Record<string, Method>)[key] as Method;
  Object.defineProperty(target, key, { configurable: true, writable: true, value: make(original) });
  return () => {
    if (own) Object.defineProperty(target, key, own);
    else delete (target as Record<string, unknown>)[key];
  };
}

/** A `make` for `patchMethod` that calls `count()` before each call of the original method. */
export function countCalls(count: () => void): (original: Method) => Method {
  return (original) =>
    function (this: unknown, ...args: unknown[]) {
      count();
      return original.apply(this, args);
    };
}
