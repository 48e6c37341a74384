import { flatten, HyperParameterError, type Module, runRestoreHooks } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Brings the host side of a module's buffers up to date after they were assigned from outside
 * (`loadCheckpoint` of @gradkit/core does this itself; call it after assigning buffers some other
 * way): every `dropout` among `module.buffers` (at any depth, in
 * any container that gathers its children's buffers) reads its `rngState` back, so its next mask
 * is the one the saved model would have drawn. Asynchronous because WebGPU reads asynchronously;
 * cheap (four integers per dropout), and a no-op for buffers that were not assigned. Buffers that
 * live on the device alone (BatchNorm's running statistics) need nothing. PyTorch restores its
 * generators with `torch.set_rng_state`; here the generator is part of the module.
 *
 * @throws HyperParameterError naming `module` when it is not a module; StateError naming
 *   `rngState` when a dropout's buffer holds something that is not a dropout state.
 * @example
 * ```ts
 * for (const [path, v] of Object.entries(savedBuffers)) bufferAt(model, path).assign(v);
 * await syncBuffers(model); // dropout continues its mask sequence from there
 * ```
 */
export async function syncBuffers(module: Module): Promise<void> {
  if (module === null || typeof module !== 'object' || !('params' in module))
    throw new HyperParameterError('module', 'syncBuffers needs a module (such as the model given to loadCheckpoint), e.g. await syncBuffers(model)');
  if (module.buffers === undefined) return;
  await runRestoreHooks(flatten(module.buffers).flatMap(({ value }) => (value instanceof tf.Variable ? [value] : [])));
}
