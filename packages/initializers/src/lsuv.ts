import { HyperParameterError, ValueError, withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkNumber } from './internal.js';
import { orthogonal } from './orthogonal.js';

/**
 * One layer of a sequential network for `lsuv`: the weight it rescales and the layer's linear part.
 * Layer i's input is layer i−1's output after its `activation`; the first layer's is the batch.
 *
 * @example
 * ```ts
 * const layer: LsuvLayer = { weight: w1, forward: (x) => tf.add(tf.matMul(x, w1), b1), activation: tf.tanh };
 * ```
 */
export interface LsuvLayer {
  /** The weight (a float32 `tf.Variable` of rank ≥ 2), orthogonally initialised and rescaled in place. */
  readonly weight: tf.Variable;
  /** The layer's linear part, `x ↦ x·W + b` (or a convolution): its output's variance is made 1. */
  readonly forward: (x: tf.Tensor) => tf.Tensor;
  /** The nonlinearity after the layer, applied before the next layer (not part of the measured output). Default: none. */
  readonly activation?: (x: tf.Tensor) => tf.Tensor;
}

/**
 * A whole model for `lsuv`: a forward pass that marks each layer's output with core's `tap`, and the
 * weight behind each tap. Use it for models that are not a plain chain (residual blocks, `@gradkit/nn`
 * modules, which tap every layer).
 *
 * @example
 * ```ts
 * const model: LsuvModel = {
 *   forward: (x) => tf.tanh(tap(tf.matMul(tf.tanh(tap(tf.matMul(x, w0), 'l0')), w1), 'l1')),
 *   layers: [{ weight: w0, tap: 'l0' }, { weight: w1, tap: 'l1' }],
 * };
 * ```
 */
export interface LsuvModel {
  /** The forward pass of the whole model; it calls `tap(output, name)` on every layer listed in `layers`. */
  readonly forward: (x: tf.Tensor) => tf.Tensor;
  /** The layers, input to output: the weight to rescale and the name of the tap on its output. */
  readonly layers: readonly { readonly weight: tf.Variable; readonly tap: string }[];
}

/** Options of `lsuv`. @example `{ tolerance: 0.01, maxIterations: 10, seed: 0 }` */
export interface LsuvOptions {
  /** Stop when |Var(output) − 1| < tolerance (the paper's Tol_var; default 0.1). */
  readonly tolerance?: number;
  /** At most this many rescalings per layer (the paper's T_max; default 10). */
  readonly maxIterations?: number;
  /** Start from orthogonal weights (the paper's step 1; default true). `false` keeps the current weights. */
  readonly orthogonalInit?: boolean;
  /** Seed of the orthogonal initialisation (random when absent). */
  readonly seed?: number;
}

/** What `lsuv` did to one layer. @example `{ index: 0, initialVariance: 0.31, variance: 1.0000002, iterations: 1, scale: 1.796 }` */
export interface LsuvLayerResult {
  /** Position of the layer, input to output. */
  readonly index: number;
  /** The tap name (model form only). */
  readonly tap?: string;
  /** Output variance after the orthogonal initialisation, before rescaling. */
  readonly initialVariance: number;
  /** Output variance when LSUV stopped. */
  readonly variance: number;
  /** Rescalings applied. */
  readonly iterations: number;
  /** The total factor the weight was multiplied by. */
  readonly scale: number;
}

/** What `lsuv` did, layer by layer. @example `report.layers.map((l) => l.variance)` */
export interface LsuvReport {
  /** One entry per layer, input to output. */
  readonly layers: readonly LsuvLayerResult[];
}

/** The population variance of every element of the tensor `make` returns, read back on the host. */
async function varianceOf(make: () => tf.Tensor): Promise<number> {
  const v = tf.tidy(() => tf.moments(make()).variance);
  const value = (await v.data())[0] as number;
  v.dispose();
  return value;
}

function checkWeight(w: tf.Variable, where: string): void {
  if (!(w instanceof tf.Variable)) throw new ValueError(where, `lsuv: ${where}.weight must be a tf.Variable (it is rescaled in place)`);
  if (w.dtype !== 'float32' || w.rank < 2)
    throw new ValueError(where, `lsuv: ${where}.weight must be a float32 variable of rank ≥ 2, got ${w.dtype} [${w.shape.join(', ')}]`);
}

/**
 * Layer-sequential unit-variance initialisation (Mishkin & Matas 2016, "All you need is a good
 * init"): (1) every weight gets an orthogonal initialisation; (2) layer by layer, input to output, a
 * forward pass on `batch` measures the variance of the layer's output B (all elements), and the
 * weight is divided by √Var(B) until |Var(B) − 1| < tolerance or `maxIterations` rescalings. Earlier
 * layers are final when a layer is measured, so every layer's output ends with unit variance on the
 * batch. Biases are left alone (start them at 0, as the paper does).
 *
 * Two forms: a list of `{ weight, forward, activation }` layers chained in order, or a model
 * `{ forward, layers: [{ weight, tap }] }` whose forward pass taps each layer's output with core's
 * `tap`. It reads each variance back with `await data()`, hence async; call it once before training.
 *
 * @param model - the layers (`LsuvLayer[]`) or an `LsuvModel`.
 * @param batch - a representative minibatch of inputs (not disposed).
 * @param options - `{ tolerance = 0.1, maxIterations = 10, orthogonalInit = true, seed }`.
 * @returns per-layer variances and scales.
 * @throws HyperParameterError (field `tolerance`, `maxIterations` or `seed`) for bad options;
 *   ValueError when a weight is not a float32 variable of rank ≥ 2, a tap is missing, or a layer's
 *   output has zero or non-finite variance (a dead layer cannot be rescaled).
 * @example
 * ```ts
 * const report = await lsuv(
 *   [
 *     { weight: w0, forward: (x) => tf.matMul(x, w0), activation: tf.relu },
 *     { weight: w1, forward: (x) => tf.matMul(x, w1), activation: tf.relu },
 *     { weight: w2, forward: (x) => tf.matMul(x, w2) },
 *   ],
 *   xBatch,
 *   { seed: 0 },
 * );
 * ```
 */
export async function lsuv(model: readonly LsuvLayer[] | LsuvModel, batch: tf.Tensor, options: LsuvOptions = {}): Promise<LsuvReport> {
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0.1, 'lsuv', true);
  const maxIterations = options.maxIterations ?? 10;
  if (!Number.isInteger(maxIterations) || maxIterations < 0)
    throw new HyperParameterError('maxIterations', `lsuv: maxIterations must be a non-negative integer, got ${String(maxIterations)}`);
  const sequential = Array.isArray(model);
  const layers = sequential ? (model as readonly LsuvLayer[]) : (model as LsuvModel).layers;
  for (const [i, l] of layers.entries()) checkWeight(l.weight, `layers[${i}]`);
  if (options.orthogonalInit ?? true) {
    const init = orthogonal({ seed: options.seed });
    for (const l of layers) {
      const w = init(l.weight.shape);
      l.weight.assign(w);
      w.dispose();
    }
  }

  const results: LsuvLayerResult[] = [];
  let input: tf.Tensor = batch;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as LsuvLayer & { tap?: string };
    const where = sequential ? `layers[${i}]` : `tap '${layer.tap}'`;
    const current = input;
    const measure = sequential ? () => varianceOf(() => layer.forward(current)) : () => tappedVariance(model as LsuvModel, batch, layer.tap as string);
    let variance = await measure();
    const initialVariance = variance;
    let iterations = 0;
    let scale = 1;
    while (Math.abs(variance - 1) >= tolerance && iterations < maxIterations) {
      if (!(variance > 0) || !Number.isFinite(variance))
        throw new ValueError(
          where,
          `lsuv: the output of ${where} has variance ${variance} on the batch; a dead or diverging layer cannot be rescaled to unit variance`,
        );
      const factor = 1 / Math.sqrt(variance);
      const w = layer.weight;
      tf.tidy(() => {
        w.assign(tf.mul(w, factor));
      });
      scale *= factor;
      iterations += 1;
      variance = await measure();
    }
    results.push({ index: i, ...(sequential ? {} : { tap: layer.tap }), initialVariance, variance, iterations, scale });
    if (sequential && i < layers.length - 1) {
      input = tf.tidy(() => {
        const out = layer.forward(current);
        return layer.activation ? layer.activation(out) : out;
      });
      if (current !== batch) current.dispose();
    }
  }
  if (input !== batch) input.dispose();
  return { layers: results };
}

/** The variance of the output tapped as `name` in one forward pass of `model` on `batch`. */
async function tappedVariance(model: LsuvModel, batch: tf.Tensor, name: string): Promise<number> {
  const v = tf.tidy(() => {
    const { result, taps } = withTaps(model.forward)(batch);
    const record = taps[name];
    const variance = record ? tf.moments(record.activation).variance : undefined;
    const found = Object.keys(taps);
    tf.dispose([result, ...Object.values(taps).flatMap((t) => (t.grad ? [t.activation, t.grad] : [t.activation]))]);
    if (!variance)
      throw new ValueError(name, `lsuv: the forward pass has no tap '${name}' (taps seen: ${found.join(', ') || 'none'}); call tap(output, '${name}') in it`);
    return variance;
  });
  const value = (await v.data())[0] as number;
  v.dispose();
  return value;
}
