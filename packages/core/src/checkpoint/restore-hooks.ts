import type * as tf from '@tensorflow/tfjs-core';

const hooks = new WeakMap<tf.Variable, () => Promise<void>>();

/**
 * Registers what to do after `variable` was assigned from outside (a checkpoint restore): a module
 * that mirrors one of its buffers on the host (dropout's mask counter) re-reads it there.
 * `loadCheckpoint` runs the hooks of every buffer it restores, so such modules continue exactly.
 *
 * @example
 * ```ts
 * onRestore(this.rngState, () => this.readStateBack());
 * ```
 */
export function onRestore(variable: tf.Variable, hook: () => Promise<void>): void {
  hooks.set(variable, hook);
}

/**
 * Runs the restore hooks of these variables (those that have one), together. `loadCheckpoint` calls
 * it; call it yourself after assigning module buffers some other way.
 *
 * @example
 * ```ts
 * for (const { value } of flatten(model.buffers)) value.assign(saved[path]);
 * await runRestoreHooks(flatten(model.buffers).map((e) => e.value));
 * ```
 */
export async function runRestoreHooks(variables: Iterable<tf.Variable>): Promise<void> {
  const run: Promise<void>[] = [];
  for (const v of variables) {
    const hook = hooks.get(v);
    if (hook) run.push(hook());
  }
  await Promise.all(run);
}
