// The learning rate of a transformation, for Keras-style code that reads and sets
// `model.optimizer.learningRate`: found in the one part that has a `learningRate` option, and changed
// by rebuilding the transformation from its config with the new constant rate.
import {
  type GradientTransformation,
  HyperParameterError,
  type Schedule,
  scheduleConfigOf,
  type TransformConfig,
  transformationFromConfig,
  transformationToConfig,
} from '@gradkit/core';

/** A part of a transformation that has a `learningRate` option, with its place ('adamw', 'applyIfFinite/adam', 'partition/head/adamw'). */
interface RatePart {
  readonly key: string;
  readonly rate: number | Schedule;
}

const hasRate = (o: unknown): o is { learningRate: number | Schedule } =>
  o !== null && typeof o === 'object' && !Array.isArray(o) && Object.hasOwn(o, 'learningRate');

/**
 * Every part (chains' parts, wrappers' inner, routed groups) with a `learningRate` option, depth-first.
 * A routing optimizer with a rate of its own (`muon`: its groups are built from its options) counts
 * as its options say: its rate, and each nested options object with one (`muon/adamw`).
 */
function rateParts(t: GradientTransformation, prefix = ''): RatePart[] {
  if (t.parts) return t.parts.flatMap((p) => rateParts(p, prefix));
  const key = prefix === '' ? t.name : `${prefix}/${t.name}`;
  const options = t.options as Record<string, unknown>;
  const here = hasRate(options) ? [{ key, rate: options.learningRate }] : [];
  const below = t.inner ? rateParts(t.inner, key) : [];
  if (t.groups && here.length > 0)
    return [...here, ...Object.entries(options).flatMap(([k, o]) => (hasRate(o) ? [{ key: `${key}/${k}`, rate: o.learningRate }] : [])), ...below];
  const groups = t.groups ? Object.entries(t.groups.transforms).flatMap(([label, g]) => rateParts(g, `${key}/${label}`)) : [];
  return [...here, ...below, ...groups];
}

/** The one part with a learning rate; a HyperParameterError naming `learningRate` when there is none or several. */
export function theRatePart(t: GradientTransformation): RatePart {
  const found = rateParts(t);
  if (found.length === 1) return found[0] as RatePart;
  throw new HyperParameterError(
    'learningRate',
    found.length === 0
      ? `no part of this transformation has a learningRate option: build it with one (e.g. adamw({ learningRate })) or use setTransform`
      : `${found.length} parts have a learning rate (${found.map((p) => p.key).join(', ')}): there is no single learningRate; build the transformation with the rates you want and call setTransform`,
  );
}

/** The config nodes (`{ name, …options }`) that have a `learningRate`, in any nesting. */
function rateNodes(config: unknown): Record<string, unknown>[] {
  if (Array.isArray(config)) return config.flatMap(rateNodes);
  if (config === null || typeof config !== 'object') return [];
  const node = config as Record<string, unknown>;
  if (Object.hasOwn(node, 'schedule')) return [];
  const here = typeof node.name === 'string' && Object.hasOwn(node, 'learningRate') ? [node] : [];
  return [...here, ...Object.values(node).flatMap(rateNodes)];
}

/**
 * The same transformation with the constant learning rate `value` in its one part that has a learning
 * rate: rebuilt from its config (`transformationToConfig`), so everything else is unchanged.
 *
 * @throws HyperParameterError naming `learningRate`: a value that is not a finite number > 0, no or
 *   several parts with a rate, a rate that is a schedule; or naming the option that keeps the
 *   transformation from being written as a config.
 */
export function withLearningRate(t: GradientTransformation, value: unknown): GradientTransformation {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new HyperParameterError(
      'learningRate',
      `learningRate must be a finite number > 0, got ${typeof value === 'number' ? value : `a ${value === null ? 'null' : typeof value} (${JSON.stringify(value)})`}`,
    );
  const part = theRatePart(t);
  if (typeof part.rate !== 'number') {
    const name = typeof part.rate === 'function' ? scheduleConfigOf(part.rate)?.schedule : undefined;
    throw new HyperParameterError(
      'learningRate',
      `the learning rate of '${part.key}' is a schedule${name ? ` (${name})` : ''}: setting a constant would replace it; build the transformation with the schedule you want and call setTransform`,
    );
  }
  const config = transformationToConfig(t, 'transform');
  const nodes = rateNodes(config);
  if (nodes.length !== 1) throw new HyperParameterError('learningRate', `the config of this transformation has ${nodes.length} learning rates, expected 1`);
  (nodes[0] as Record<string, unknown>).learningRate = value;
  return transformationFromConfig(config as TransformConfig, 'transform');
}
