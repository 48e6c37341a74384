import { describeValue, HyperParameterError } from '@gradkit/core';
import { constant, type Initializer, ones, zeros } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The factories of @gradkit/initializers that take no options object. Passed uncalled, the others
 * (`heNormal`, `orthogonal` …) reject the shape as their options, which `makeVariable` recognises.
 */
const PLAIN_FACTORIES: ReadonlySet<unknown> = new Set([constant, ones, zeros]);

const CALLS: Readonly<Record<string, string>> = { constant: 'constant(0.1)', ones: 'ones()', zeros: 'zeros()' };

/** The message for a factory `name` passed uncalled as `field`, with a call to write instead. */
function uncalled(field: string, name: string): string {
  const call = Object.hasOwn(CALLS, name) ? CALLS[name] : `${name}({ seed: 1 })`;
  return `${field} is the factory ${name} itself, not an initializer: call it, e.g. ${field}: ${call}`;
}

/**
 * Runs an initializer for `shape` and checks what it returned, then wraps it in a trainable variable.
 * A factory passed uncalled (`heNormal` for `heNormal()`) is a HyperParameterError naming `field`:
 * recognised by its rejecting the shape as its options (a HyperParameterError naming `options`), or
 * by identity for `constant`, `ones` and `zeros`. Every other error the initializer throws is
 * rethrown unchanged.
 */
export function makeVariable(field: string, init: Initializer, shape: number[]): tf.Variable {
  if (typeof init !== 'function')
    throw new HyperParameterError(field, `${field} must be a function (shape, dtype) => tf.Tensor such as heNormal() or zeros(), got ${describeValue(init)}`);
  if (PLAIN_FACTORIES.has(init)) throw new HyperParameterError(field, uncalled(field, init.name));
  let value: unknown;
  try {
    value = init([...shape], 'float32');
  } catch (e) {
    if (e instanceof HyperParameterError && e.field === 'options')
      throw new HyperParameterError(field, `${uncalled(field, init.name || 'factory')} (called with the shape [${shape.join(', ')}], it said: ${e.message})`);
    throw e;
  }
  if (typeof value === 'function')
    throw new HyperParameterError(
      field,
      `${field} returned a function, not a tensor: pass the initializer, not its factory (heNormal({ seed: 1 }), not heNormal)`,
    );
  if (!(value instanceof tf.Tensor)) throw new HyperParameterError(field, `${field} must return a tf.Tensor, got ${describeValue(value)}`);
  try {
    if (!tf.util.arraysEqual(value.shape, shape))
      throw new HyperParameterError(field, `${field} returned shape [${value.shape.join(', ')}] for requested shape [${shape.join(', ')}]`);
    if (value.dtype !== 'float32') throw new HyperParameterError(field, `${field} returned dtype ${value.dtype}: parameters must be float32`);
    return tf.variable(value, true);
  } finally {
    value.dispose();
  }
}
