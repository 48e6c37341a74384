// A TransformOptimizer's tfjs serialization config: its transformation as JSON (core's config
// registry), written so that it survives tfjs-layers' save and load.
import {
  checkOptions,
  type GradientTransformation,
  HyperParameterError,
  type OptimizerOptions,
  type TransformConfig,
  transformationFromConfig,
  transformationToConfig,
} from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

const KEYS = ['transform', 'transformJson', 'fused'] as const;
const EXAMPLE = "{ transform: { name: 'adamw', learningRate: 0.001 } }";

/** Throws a HyperParameterError naming the first number JSON cannot hold (model files are JSON). */
function checkFinite(x: unknown, path: string): void {
  if (typeof x === 'number' && !Number.isFinite(x))
    throw new HyperParameterError(path, `'${path}' is ${x}, which a model file (JSON) cannot hold: this optimizer cannot be saved`);
  if (x !== null && typeof x === 'object') for (const [k, v] of Object.entries(x)) checkFinite(v, `${path}.${k}`);
}

/**
 * Whether tfjs-layers' load leaves `x` unchanged: `loadLayersModel` passes the optimizer's config
 * through `convertPythonicToTs`, which camel-cases every key and every string (except the value of a
 * `name` key) that contains `_`, and replaces `{ type: 'ndarray', value: n }` by `n`.
 */
function survivesLoad(x: unknown, key = ''): boolean {
  if (typeof x === 'string') return key === 'name' || !x.includes('_');
  if (x === null || typeof x !== 'object') return true;
  if (!Array.isArray(x) && (x as { type?: unknown }).type === 'ndarray') return false;
  return Object.entries(x).every(([k, v]) => !k.includes('_') && survivesLoad(v, Array.isArray(x) ? key : k));
}

/**
 * The config `getConfig` returns: `{ transform }`, the transformation's JSON config (every part's
 * name and options, schedules as their configs), or `{ transformJson }`, the same as a JSON string
 * with `_` escaped (`\u005f`) when it holds a key or string that tfjs-layers' load would rewrite;
 * plus `fused` when it was set.
 *
 * @throws HyperParameterError naming the option that cannot be written (a function such as a mask
 *   predicate or a schedule without config, a transformation whose name is not registered, ±∞, NaN).
 */
export function configOf(tx: GradientTransformation, options: OptimizerOptions): tf.serialization.ConfigDict {
  const transform = transformationToConfig(tx, 'transform');
  checkFinite(transform, 'transform');
  const out: Record<string, unknown> = survivesLoad(transform) ? { transform } : { transformJson: JSON.stringify(transform).replace(/_/g, '\\u005f') };
  if (options.fused !== undefined) out.fused = options.fused;
  return out as tf.serialization.ConfigDict;
}

/**
 * The transformation and runner options of a config from `configOf` (after tfjs-layers' load, which
 * adds `customObjects`).
 *
 * @throws UnknownOptionError for another key; HyperParameterError for a config without exactly one
 *   of `transform` and `transformJson`, or with an unknown transformation or schedule name.
 */
export function fromConfigOf(config: unknown): { transform: GradientTransformation; options: OptimizerOptions } {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new HyperParameterError('config', `a GradkitTransformOptimizer config is an object such as ${EXAMPLE}`);
  const { customObjects: _, ...rest } = config as Record<string, unknown>;
  const o = checkOptions('GradkitTransformOptimizer config', rest, KEYS, { example: EXAMPLE }) as Partial<Record<(typeof KEYS)[number], unknown>>;
  if ((o.transform === undefined) === (o.transformJson === undefined))
    throw new HyperParameterError('transform', `a GradkitTransformOptimizer config has one of 'transform' and 'transformJson', e.g. ${EXAMPLE}`);
  if (o.fused !== undefined && typeof o.fused !== 'boolean') throw new HyperParameterError('fused', `fused must be true or false, got ${String(o.fused)}`);
  let tc = o.transform;
  if (o.transformJson !== undefined) {
    try {
      if (typeof o.transformJson !== 'string') throw new TypeError();
      tc = JSON.parse(o.transformJson);
    } catch {
      throw new HyperParameterError('transformJson', 'transformJson must be the JSON text of a transformation config');
    }
  }
  return { transform: transformationFromConfig(tc as TransformConfig, 'transform'), options: o.fused === undefined ? {} : { fused: o.fused as boolean } };
}
