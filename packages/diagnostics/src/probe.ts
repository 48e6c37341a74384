// The probe of `gradientCallback({ model, probe })`: a forward pass of a batch of inputs through a
// tfjs-layers model that returns every layer's output, so that dead units, saturation and exploding
// activations are seen for models whose layers cannot be tapped. The probe model is a tfjs-layers
// `LayersModel` over the model's own inputs and layers' outputs (sharing the layers and their
// weights; built once, never disposed, since disposing it would dispose the shared weights).
import { describeValue, HyperParameterError, StateError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { activationKindOf, type LayerLike } from './layers-facts.js';
import type { ActivationKind } from './report.js';

/** What the probe needs of a tfjs-layers model (`tf.LayersModel`, `tf.Sequential`). */
export interface ProbedModel {
  readonly inputs: readonly { readonly shape: readonly (number | null)[] }[];
  readonly outputs: readonly { readonly sourceLayer: { readonly name: string } }[];
  readonly layers: readonly LayerLike[];
}

/**
 * The probe of `gradientCallback`: a batch of inputs for the model, one tensor `[batch, …inputShape]`
 * or, for a model with several inputs, one per input in `model.inputs` order.
 *
 * @example
 * ```ts
 * const probe: ProbeInput = xs.slice(0, 64); // 64 training images
 * gradientCallback({ model, every: 20, probe });
 * ```
 */
export type ProbeInput = tf.Tensor | readonly tf.Tensor[];

/** The layers' outputs for the probe batch, by layer name, with each layer's activation kind. */
export interface ProbeRun {
  readonly activations: Record<string, tf.Tensor>;
  readonly kinds: Record<string, ActivationKind | 'auto'>;
}

/** The probe tensors as a list, checked: live float32/int32 tensors with at least one sample (HyperParameterError naming `probe`). */
function probeTensors(probe: unknown): tf.Tensor[] {
  const list = probe instanceof tf.Tensor ? [probe] : Array.isArray(probe) ? probe : undefined;
  if (list === undefined || list.length === 0)
    throw new HyperParameterError('probe', `probe must be a tensor (a batch of inputs) or an array of them (one per model input), got ${describeValue(probe)}`);
  list.forEach((t, i) => {
    const at = list.length === 1 ? 'probe' : `probe.${i}`;
    if (!(t instanceof tf.Tensor)) throw new HyperParameterError(at, `${at} must be a tensor (a batch of inputs), got ${describeValue(t)}`);
    if (t.isDisposed) throw new HyperParameterError(at, `${at} was disposed: keep the probe batch alive while the callback is used`);
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new ValueError(at, `${at} has dtype ${t.dtype}: a model input is float32 (or int32 indices)`);
    if (t.rank === 0 || (t.shape[0] as number) < 1)
      throw new ValueError(at, `${at} has shape [${t.shape.join(', ')}]: it must be a batch of at least one input`);
  });
  return list as tf.Tensor[];
}

/** Checks the probe's type (at once) and, when the model has inputs (built), its shapes against them. */
export function checkProbe(probe: unknown, model: object): void {
  const tensors = probeTensors(probe);
  const inputs = (model as Partial<ProbedModel>).inputs;
  if (Array.isArray(inputs)) checkShapes(tensors, inputs);
}

function checkShapes(tensors: readonly tf.Tensor[], inputs: ProbedModel['inputs']): void {
  if (tensors.length !== inputs.length)
    throw new ValueError(
      'probe',
      `the model has ${inputs.length} input${inputs.length === 1 ? '' : 's'}, the probe ${tensors.length} tensor${tensors.length === 1 ? '' : 's'}: give one batch per input`,
    );
  tensors.forEach((t, i) => {
    const want = inputs[i]?.shape ?? [];
    const at = tensors.length === 1 ? 'probe' : `probe.${i}`;
    const fits = t.rank === want.length && want.every((d, k) => k === 0 || d === null || d === t.shape[k]);
    if (!fits)
      throw new ValueError(
        at,
        `${at} has shape [${t.shape.join(', ')}], the model's input [${want.map((d) => (d === null ? 'batch' : d)).join(', ')}]: give a batch of inputs of that shape`,
      );
  });
}

/** tfjs-layers' LayersModel class, found on the model's prototype chain (gradkit does not import tfjs-layers). */
function layersModelClass(
  model: object,
): new (args: {
  inputs: unknown;
  outputs: unknown;
  name?: string;
}) => { predictOnBatch(x: unknown): tf.Tensor | tf.Tensor[] } {
  for (let p = Object.getPrototypeOf(model); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor?: { className?: string } }).constructor;
    if (ctor?.className === 'Model') return ctor as never;
  }
  throw new ValueError('model', 'probe needs a tfjs-layers model (tf.sequential or tf.model): this model has no LayersModel class to build the probe from');
}

/**
 * A probe of `model`'s layers: `run()` returns every layer's output for the probe batch (layers
 * called more than once, or with several outputs, are left out), by layer name, with the kinds
 * their activation configs name. The caller disposes the returned tensors.
 *
 * @throws ValueError naming `probe` when its shapes do not fit the model's inputs, `model` when it
 *   is not a built tfjs-layers model.
 */
export function makeProbe(model: object, probe: ProbeInput): { run(): ProbeRun } {
  const m = model as Partial<ProbedModel>;
  if (!Array.isArray(m.inputs) || !Array.isArray(m.layers))
    throw new ValueError('model', 'probe needs a built tfjs-layers model (with inputs and layers): give the first layer an inputShape, or call model.build');
  checkShapes(probeTensors(probe), m.inputs);
  const layers: LayerLike[] = [];
  const outputs: unknown[] = [];
  // The top-level layers only: a nested model's layers belong to its own graph.
  for (const layer of m.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    let out: unknown;
    try {
      out = (layer as unknown as { output: unknown }).output; // throws for a layer called more than once
    } catch {
      continue;
    }
    if (Array.isArray(out)) continue;
    layers.push(layer);
    outputs.push(out);
  }
  const Model = layersModelClass(model);
  const probeModel = new Model({ inputs: m.inputs, outputs, name: 'gradkit_probe' });
  const kinds = Object.fromEntries(layers.map((l) => [l.name, activationKindOf(l)]));
  return {
    run() {
      const tensors = probe instanceof tf.Tensor ? [probe] : [...probe];
      if (tensors.some((t) => t.isDisposed))
        throw new StateError('probe', 'the probe batch was disposed during training: keep it alive while the callback is used');
      const result = probeModel.predictOnBatch(tensors.length === 1 ? tensors[0] : tensors);
      const list = Array.isArray(result) ? result : [result];
      return { activations: Object.fromEntries(layers.map((l, i) => [l.name, list[i] as tf.Tensor])), kinds };
    },
  };
}
