// The three things profileStep can profile, checked, each turned into "take one training step and
// wait until its loss was read back" (so that the step's GPU work is in its wall-clock time).
import { checkOptions, describeValue, Optimizer, type ParamTree, StateError, unknownOption, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainableModel } from './types.js';

/** One kind of target, ready to run. */
export interface StepRunner {
  readonly kind: 'optimizer' | 'loss' | 'model';
  /** Checks what needs the backend (a dry forward pass of a loss function); trains nothing. */
  check(): void;
  /** One training step, resolved once its loss was read back. */
  step(): Promise<void>;
}

const KINDS = {
  optimizer: ['optimizer', 'loss'],
  model: ['model', 'x', 'y'],
  loss: ['loss', 'params'],
} as const;
const ALL_KEYS = ['optimizer', 'loss', 'params', 'model', 'x', 'y'];
const EXAMPLE = 'profileStep({ optimizer, loss }), profileStep({ loss, params }) or profileStep({ model, x, y })';

/**
 * Checks what can be checked without a backend (the target's keys and types, a compiled model,
 * live tensors) and returns its runner.
 *
 * @throws ValueError naming `target` or the bad field; UnknownOptionError for a key no target takes,
 *   or one the others' kind does not; StateError naming `model` when it is not compiled.
 */
export function targetRunner(target: unknown): StepRunner {
  const proto = target === null || typeof target !== 'object' ? undefined : Object.getPrototypeOf(target);
  if (proto !== Object.prototype && proto !== null)
    throw new ValueError('target', `profileStep takes what to profile as a plain object: ${EXAMPLE}; got ${describeValue(target)}`);
  const t = checkOptions('profileStep target', target as Record<string, unknown>, ALL_KEYS, { example: EXAMPLE });
  const kind = 'model' in t ? 'model' : 'optimizer' in t ? 'optimizer' : 'loss';
  for (const key of Object.keys(t))
    if (!(KINDS[kind] as readonly string[]).includes(key)) throw unknownOption(`profileStep({ ${KINDS[kind].join(', ')} })`, key, KINDS[kind]);
  if (kind === 'model') return modelRunner(t.model, t.x, t.y);
  if (typeof t.loss !== 'function')
    throw new ValueError(
      'loss',
      `profileStep needs the loss function, ${kind === 'optimizer' ? '(params) => scalar tensor' : '() => scalar tensor'}; got ${describeValue(t.loss)}`,
    );
  return kind === 'optimizer' ? optimizerRunner(t.optimizer, t.loss as (p: ParamTree) => tf.Tensor) : lossRunner(t.loss as () => tf.Tensor, t.params);
}

/** Runs `loss` once, outside any tape, and checks that it returns a scalar tensor. */
function checkScalarLoss(loss: () => unknown): void {
  tf.tidy(() => {
    const y = loss();
    if (!(y instanceof tf.Tensor) || y.isDisposed)
      throw new ValueError('loss', `the loss must return a scalar tensor; it returned ${describeValue(y)}: compute it with tf ops (e.g. tf.mean(...))`);
    if (y.rank !== 0)
      throw new ValueError('loss', `the loss must return a scalar tensor; it returned shape [${y.shape.join(', ')}]: reduce it with tf.mean or tf.sum`);
  });
}

function optimizerRunner(optimizer: unknown, loss: (p: ParamTree) => tf.Tensor): StepRunner {
  if (!(optimizer instanceof Optimizer))
    throw new ValueError(
      'optimizer',
      `optimizer must be a gradkit Optimizer (new Optimizer(params, adam())), got ${describeValue(optimizer)}; profile a tf.Optimizer through a compiled model ({ model, x, y }) or a loss ({ loss, params })`,
    );
  const opt = optimizer as Optimizer<ParamTree>;
  return {
    kind: 'optimizer',
    check: () => checkScalarLoss(() => loss(opt.params)),
    step: async () => {
      await opt.minimize(loss);
    },
  };
}

function lossRunner(loss: () => tf.Tensor, params: unknown): StepRunner {
  if (params !== undefined && !Array.isArray(params))
    throw new ValueError('params', `params must be an array of tf.Variables (what tf.variableGrads differentiates), got ${describeValue(params)}`);
  const given = params as unknown[] | undefined;
  given?.forEach((v, i) => {
    if (!(v instanceof tf.Variable) || v.isDisposed) throw new ValueError(`params.${i}`, `params[${i}] must be a live tf.Variable, got ${describeValue(v)}`);
  });
  const variables = () => (given as tf.Variable[] | undefined) ?? Object.values(tf.engine().registeredVariables);
  return {
    kind: 'loss',
    check: () => {
      if (!variables().some((v) => v.trainable))
        throw new ValueError('params', 'no trainable tf.Variable to differentiate: make the parameters with tf.variable(...) and pass them as params');
      checkScalarLoss(loss);
      const connected = tf.tidy(() =>
        tf
          .engine()
          .gradients(
            loss as () => tf.Tensor,
            variables().filter((v) => v.trainable),
            undefined,
            true,
          )
          .grads.some((g) => g != null),
      );
      if (!connected)
        throw new ValueError(
          'loss',
          'the loss does not depend on any of the variables: compute it from tf.Variables (and pass those as params), inside the loss function',
        );
    },
    step: async () => {
      const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, given as tf.Variable[] | undefined);
      try {
        await value.data();
      } finally {
        value.dispose();
        tf.dispose(grads);
      }
    },
  };
}

/** `x` as a list of live tensors, or a ValueError naming `field` (or `field.i`). */
function tensorList(field: string, x: unknown): tf.Tensor[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0) throw new ValueError(field, `${field} must be a tensor or a non-empty array of tensors, got an empty array`);
  list.forEach((t, i) => {
    const at = Array.isArray(x) ? `${field}.${i}` : field;
    if (!(t instanceof tf.Tensor) || t.isDisposed) throw new ValueError(at, `${at} must be a live tf.Tensor, got ${describeValue(t)}`);
  });
  return list as tf.Tensor[];
}

interface LayersShapes {
  readonly inputs?: readonly { readonly shape: readonly (number | null)[] }[];
  readonly outputs?: readonly unknown[];
}

function modelRunner(model: unknown, x: unknown, y: unknown): StepRunner {
  const m = model as TrainableModel & LayersShapes;
  if (m === null || typeof m !== 'object' || typeof m.trainOnBatch !== 'function')
    throw new ValueError('model', `model must be a tfjs-layers model (tf.sequential(...) or tf.model(...)), got ${describeValue(model)}`);
  if (m.optimizer == null) throw new StateError('model', 'the model is not compiled: call model.compile({ optimizer, loss }) first');
  const xs = tensorList('x', x);
  const ys = tensorList('y', y);
  const inputs = m.inputs ?? [];
  if (inputs.length > 0 && xs.length !== inputs.length) throw new ValueError('x', `the model has ${inputs.length} inputs, x has ${xs.length} tensors`);
  xs.forEach((t, i) => {
    const want = inputs[i]?.shape;
    if (want && (want.length !== t.rank || want.some((d, j) => d !== null && d !== t.shape[j])))
      throw new ValueError(
        Array.isArray(x) ? `x.${i}` : 'x',
        `model input ${i} takes shape [${want.map((d) => d ?? 'any').join(', ')}], x has [${t.shape.join(', ')}]`,
      );
  });
  if (m.outputs && ys.length !== m.outputs.length) throw new ValueError('y', `the model has ${m.outputs.length} outputs, y has ${ys.length} tensors`);
  const batch = (xs[0] as tf.Tensor).shape[0];
  const other = ys.findIndex((t) => t.shape[0] !== batch);
  if (other >= 0)
    throw new ValueError(
      'y',
      `x and y must hold the same number of examples: x has ${batch}, y${ys.length > 1 ? `[${other}]` : ''} has ${ys[other]?.shape[0]}`,
    );
  const args = [Array.isArray(x) ? xs : xs[0], Array.isArray(y) ? ys : ys[0]] as [tf.Tensor | tf.Tensor[], tf.Tensor | tf.Tensor[]];
  return {
    kind: 'model',
    check: () => {},
    step: async () => {
      await m.trainOnBatch(...args);
    },
  };
}
