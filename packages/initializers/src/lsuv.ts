import { checkOptions, describeValue, HyperParameterError, optionOr, ValueError, withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { numberOption, POSITIVE } from './internal.js';
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

/** A layer of either form, validated: the weight, and the forward pass or the tap that measures it. */
interface CheckedLayer {
  readonly weight: tf.Variable;
  readonly forward?: LsuvLayer['forward'];
  readonly activation?: LsuvLayer['activation'];
  readonly tap?: string;
}

/** An entry of `layers` (or the model) as a plain object whose keys are all in `keys` (a typo such as `act` would be ignored). */
function checkEntry(entry: unknown, where: string, keys: readonly string[], example: string): Record<string, unknown> {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || entry instanceof tf.Tensor)
    throw new ValueError(where, `lsuv: ${where} must be an object such as ${example}, got ${describeValue(entry)}`);
  return checkOptions(`lsuv ${where}`, entry as Record<string, unknown>, keys, { example, required: true });
}

function checkFunction(value: unknown, where: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'function') throw new ValueError(where, `lsuv: ${where} must be a function of a tensor, got ${describeValue(value)}`);
}

function checkWeight(w: unknown, where: string): tf.Variable {
  if (!(w instanceof tf.Variable)) throw new ValueError(where, `lsuv: ${where} must be a tf.Variable (it is rescaled in place), got ${describeValue(w)}`);
  if (w.isDisposed) throw new ValueError(where, `lsuv: ${where} was disposed`);
  if (w.dtype !== 'float32' || w.rank < 2)
    throw new ValueError(where, `lsuv: ${where} must be a float32 variable of rank ≥ 2, got ${w.dtype} [${w.shape.join(', ')}]`);
  return w;
}

/** Validates both forms of `model` before anything is changed; every weight and tap appears once. */
function checkModel(model: unknown): { layers: CheckedLayer[]; forward?: LsuvModel['forward'] } {
  const sequential = Array.isArray(model);
  let entries: readonly unknown[];
  let forward: LsuvModel['forward'] | undefined;
  if (sequential) entries = model;
  else {
    const m = checkEntry(model, 'model', ['forward', 'layers'], '{ forward, layers: [{ weight, tap }] }');
    checkFunction(m.forward, 'model.forward');
    if (!Array.isArray(m.layers))
      throw new ValueError('model.layers', `lsuv: model.layers must be an array of { weight, tap }, got ${describeValue(m.layers)}`);
    entries = m.layers;
    forward = m.forward as LsuvModel['forward'];
  }
  const seen = new Map<tf.Variable, number>();
  const taps = new Set<string>();
  const layers = entries.map((entry, i): CheckedLayer => {
    const where = `layers[${i}]`;
    const e = sequential
      ? checkEntry(entry, where, ['weight', 'forward', 'activation'], '{ weight, forward, activation }')
      : checkEntry(entry, where, ['weight', 'tap'], "{ weight, tap: 'l0' }");
    const weight = checkWeight(e.weight, `${where}.weight`);
    if (seen.has(weight))
      throw new ValueError(`${where}.weight`, `lsuv: ${where}.weight is also layers[${seen.get(weight)}].weight; each weight is rescaled once`);
    seen.set(weight, i);
    if (sequential) {
      checkFunction(e.forward, `${where}.forward`);
      checkFunction(e.activation, `${where}.activation`, true);
      return { weight, forward: e.forward as LsuvLayer['forward'], activation: e.activation as LsuvLayer['activation'] };
    }
    if (typeof e.tap !== 'string' || e.tap === '')
      throw new ValueError(`${where}.tap`, `lsuv: ${where}.tap must be the name of a tap, got ${describeValue(e.tap)}`);
    if (taps.has(e.tap)) throw new ValueError(`${where}.tap`, `lsuv: tap '${e.tap}' is listed twice`);
    taps.add(e.tap);
    return { weight, tap: e.tap };
  });
  return forward === undefined ? { layers } : { layers, forward };
}

/** Validates lsuv's options; returns them resolved, with the orthogonal initializer (seed checked) when it applies. */
function checkLsuvOptions(options: LsuvOptions | undefined) {
  const o = checkOptions('lsuv', options, ['tolerance', 'maxIterations', 'orthogonalInit', 'seed'], {
    example: 'lsuv(layers, batch, { tolerance: 0.1, seed: 0 })',
  });
  const tolerance = numberOption('tolerance', o.tolerance, 0.1, POSITIVE);
  const maxIterations = optionOr('maxIterations', o.maxIterations, 10);
  if (typeof maxIterations !== 'number' || !Number.isSafeInteger(maxIterations) || maxIterations < 0)
    throw new HyperParameterError('maxIterations', `lsuv: maxIterations must be a non-negative integer, got ${describeValue(maxIterations)}`);
  const orthogonalInit = optionOr('orthogonalInit', o.orthogonalInit, true);
  if (typeof orthogonalInit !== 'boolean')
    throw new HyperParameterError('orthogonalInit', `lsuv: orthogonalInit must be true or false, got ${describeValue(orthogonalInit)}`);
  if (!orthogonalInit && o.seed !== undefined)
    throw new HyperParameterError('seed', 'lsuv: seed seeds the orthogonal initialisation, which orthogonalInit: false skips; drop seed or orthogonalInit');
  return { tolerance, maxIterations, init: orthogonalInit ? orthogonal({ seed: o.seed }) : undefined };
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
 * @throws UnknownOptionError for an unknown key in the options or in a layer (`{ weight, forward,
 *   act }` would drop the activation); HyperParameterError (field `tolerance`, `maxIterations`,
 *   `orthogonalInit` or `seed`, also a seed with `orthogonalInit: false`) for bad options; ValueError
 *   naming the layer when a weight is not a float32 variable of rank ≥ 2 or appears twice, a
 *   `forward`/`activation` is not a function, a tap is missing or listed twice, or a layer's output
 *   has zero or non-finite variance (a dead layer cannot be rescaled). Nothing is changed when it
 *   throws: the weights are put back as they were.
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
  const { tolerance, maxIterations, init } = checkLsuvOptions(options);
  const { layers, forward } = checkModel(model);
  if (!(batch instanceof tf.Tensor) || batch.isDisposed)
    throw new ValueError(
      'batch',
      `lsuv: batch must be a tf.Tensor of inputs (a representative minibatch), got ${batch instanceof tf.Tensor ? 'a disposed tensor' : describeValue(batch)}`,
    );
  // All or nothing: a failure part-way (a dead layer, a missing tap, a forward pass that throws) puts every weight back.
  const before = layers.map((l) => tf.clone(l.weight));
  try {
    if (init)
      for (const l of layers) {
        const w = init(l.weight.shape);
        l.weight.assign(w);
        w.dispose();
      }
    return { layers: await rescaleAll(layers, forward, batch, tolerance, maxIterations) };
  } catch (e) {
    layers.forEach((l, i) => {
      l.weight.assign(before[i] as tf.Tensor);
    });
    throw e;
  } finally {
    tf.dispose(before);
  }
}

/** Step 2 of LSUV, layer by layer; `forward` is the whole model's in the tap form, undefined for a layer list. */
async function rescaleAll(
  layers: readonly CheckedLayer[],
  forward: LsuvModel['forward'] | undefined,
  batch: tf.Tensor,
  tolerance: number,
  maxIterations: number,
): Promise<LsuvLayerResult[]> {
  const results: LsuvLayerResult[] = [];
  let input: tf.Tensor = batch;
  try {
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i] as CheckedLayer;
      const where = forward ? `tap '${layer.tap}'` : `layers[${i}]`;
      const current = input;
      const layerForward = layer.forward as LsuvLayer['forward'];
      const measure = forward ? () => tappedVariance(forward, batch, layer.tap as string) : () => varianceOf(() => layerForward(current));
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
      results.push({ index: i, ...(forward ? { tap: layer.tap } : {}), initialVariance, variance, iterations, scale });
      if (!forward && i < layers.length - 1) {
        input = tf.tidy(() => {
          const out = layerForward(current);
          return layer.activation ? layer.activation(out) : out;
        });
        if (current !== batch) current.dispose();
      }
    }
  } finally {
    if (input !== batch) input.dispose();
  }
  return results;
}

/** The variance of the output tapped as `name` in one forward pass of the model on `batch`. */
async function tappedVariance(forward: LsuvModel['forward'], batch: tf.Tensor, name: string): Promise<number> {
  const v = tf.tidy(() => {
    const { result, taps } = withTaps(forward)(batch);
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
