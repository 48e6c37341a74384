import { checkOptions, describeValue, HyperParameterError, resolveSeed, ValueError, Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { booleanOption } from './internal/base.js';

/** Options of `batches`. @example `{ batchSize: 32, shuffle: true, seed: 1, dropLast: false }` */
export interface BatchOptions {
  /** Samples per batch (a positive integer, at most the number of samples). */
  readonly batchSize: number;
  /** Shuffle the samples anew at every epoch (default true). */
  readonly shuffle?: boolean;
  /** Seed of the shuffles (an integer); default: a fresh random seed (not reproducible). */
  readonly seed?: number;
  /** Skip the last, smaller batch of an epoch when the batch size does not divide the number of samples (default false). */
  readonly dropLast?: boolean;
}

/** A data set for `batches`: named tensors sharing their first (sample) axis. @example `{ x: tf.zeros([100, 8]), y: tf.zeros([100, 1]) }` */
export type Dataset = { readonly [key: string]: tf.Tensor };

/**
 * A seeded minibatch iterator over a data set (see `batches`). Iterating it runs one epoch; every
 * new iteration is the next epoch, with the next permutation.
 *
 * @example
 * ```ts
 * const loader: Batches<{ x: tf.Tensor; y: tf.Tensor }> = batches({ x, y }, { batchSize: 32, seed: 1 });
 * loader.length; // batches per epoch
 * ```
 */
export interface Batches<D extends Dataset> extends Iterable<D> {
  /** Number of samples in the data set. */
  readonly numSamples: number;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Batches per epoch (⌈n / batchSize⌉, or ⌊n / batchSize⌋ with `dropLast`). */
  readonly length: number;
  /** Whether every epoch visits the samples in a new order. */
  readonly shuffle: boolean;
  /** Whether the short last batch of an epoch is skipped. */
  readonly dropLast: boolean;
  /** The seed the shuffles started from. */
  readonly seed: number;
  /** Epochs started so far (iterators made: `for … of` makes one per epoch). */
  readonly epoch: number;
  /** The sample indices of the next epoch, without starting it (a copy; what the next iteration will use). */
  peekOrder(): number[];
}

class BatchIterator<D extends Dataset> implements Batches<D> {
  readonly numSamples: number;
  readonly batchSize: number;
  readonly length: number;
  private epochs = 0;
  private readonly random: Xoshiro128;
  private nextOrder: number[] | null = null;

  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  private readonly data: D;

  constructor(data: D, numSamples: number, options: { batchSize: number; shuffle: boolean; dropLast: boolean; seed: number }) {
    this.data = data;
    this.numSamples = numSamples;
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle;
    this.dropLast = options.dropLast;
    this.seed = options.seed;
    this.length = this.dropLast ? Math.floor(numSamples / this.batchSize) : Math.ceil(numSamples / this.batchSize);
    this.random = Xoshiro128.fromSeed(this.seed);
  }

  get epoch(): number {
    return this.epochs;
  }

  peekOrder(): number[] {
    this.nextOrder ??= this.drawOrder();
    return [...this.nextOrder];
  }

  private drawOrder(): number[] {
    const order = Array.from({ length: this.numSamples }, (_, i) => i);
    return this.shuffle ? this.random.shuffle(order) : order;
  }

  /** Starts an epoch: draws its order now (so an iterator closed unread still moves the shuffle on), then yields its batches. */
  [Symbol.iterator](): Iterator<D> {
    const order = this.nextOrder ?? this.drawOrder();
    this.nextOrder = null;
    this.epochs++;
    return this.epochBatches(order);
  }

  private *epochBatches(order: readonly number[]): Generator<D> {
    const { batchSize, numSamples, data } = this;
    for (let b = 0; b < this.length; b++) {
      const start = b * batchSize;
      const size = Math.min(batchSize, numSamples - start);
      yield tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        if (!this.shuffle) {
          for (const key of Object.keys(data)) {
            const t = data[key] as tf.Tensor;
            out[key] = tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]);
          }
        } else {
          const idx = tf.tensor1d(order.slice(start, start + size), 'int32');
          for (const key of Object.keys(data)) out[key] = tf.gather(data[key] as tf.Tensor, idx);
        }
        return out as D;
      }) as D;
    }
  }
}

/**
 * A seeded minibatch iterator: splits named tensors that share their first axis (`{ x, y }`) into
 * batches of `batchSize` samples. Each `for … of` over it is one epoch; with `shuffle` (default) every
 * epoch visits the samples in a new order, a Fisher–Yates permutation drawn on the host by
 * `Xoshiro128.fromSeed(seed).shuffle` of @gradkit/core (one generator for all epochs), so the same
 * seed gives the same sequence of epochs on every backend. Every sample appears exactly once per epoch; the last batch is smaller unless
 * `dropLast`. Without `shuffle`, batches are contiguous slices in order. PyTorch:
 * `DataLoader(TensorDataset(x, y), batch_size, shuffle, drop_last, generator=…)`.
 *
 * Ownership: each batch's tensors are new and belong to the caller: dispose them when done
 * (`tf.dispose(batch)`), or create them inside a `tf.tidy`. The iterator keeps (and never
 * disposes) the data set's tensors.
 *
 * @throws HyperParameterError naming `batchSize` (not a positive integer, or larger than the number
 *   of samples), `shuffle`/`dropLast` (not booleans) or `seed` (not an integer, or given with
 *   `shuffle: false`); UnknownOptionError for another option (`batch_size` suggests `batchSize`); ValueError naming
 *   the data set key whose tensor is missing, a scalar, or has another number of samples.
 * @example
 * ```ts
 * const loader = batches({ x, y }, { batchSize: 32, seed: 1 });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const batch of loader) {
 *     await opt.minimize((p) => tf.losses.meanSquaredError(batch.y, model.apply(batch.x)));
 *     tf.dispose(batch);
 *   }
 * }
 * ```
 */
export function batches<D extends Dataset>(data: D, options: BatchOptions): Batches<D> {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || data instanceof tf.Tensor)
    throw new ValueError('data', 'batches needs an object of tensors sharing their first axis, e.g. batches({ x, y }, { batchSize: 32 })');
  const keys = Object.keys(data);
  if (keys.length === 0) throw new ValueError('data', 'the data set has no tensors: pass e.g. { x, y }');
  let numSamples = -1;
  let first = '';
  for (const key of keys) {
    const t = data[key];
    if (!(t instanceof tf.Tensor)) throw new ValueError(key, `data.${key} must be a tf.Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.isDisposed) throw new ValueError(key, `data.${key} was disposed`);
    if (t.rank < 1) throw new ValueError(key, `data.${key} is a scalar: samples are the first axis, so it needs rank ≥ 1`);
    const n = t.shape[0] as number;
    if (numSamples < 0) {
      numSamples = n;
      first = key;
    } else if (n !== numSamples) throw new ValueError(key, `data.${key} has ${n} samples (first axis) but data.${first} has ${numSamples}`);
  }
  const o = checkOptions('batches', options, ['batchSize', 'shuffle', 'seed', 'dropLast'], { example: 'batches({ x, y }, { batchSize: 32 })', required: true });
  const { batchSize } = o;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)
    throw new HyperParameterError('batchSize', `batchSize must be a positive integer, got ${describeValue(batchSize)}`);
  if (batchSize > numSamples)
    throw new HyperParameterError('batchSize', `batchSize ${batchSize} is larger than the data set (${numSamples} samples): use a batchSize ≤ ${numSamples}`);
  const shuffle = booleanOption('shuffle', o.shuffle, true);
  const dropLast = booleanOption('dropLast', o.dropLast, false);
  if (!shuffle && o.seed !== undefined)
    throw new HyperParameterError('seed', 'batches: seed seeds the shuffles, which shuffle: false turns off; drop seed or shuffle: false');
  const seed = resolveSeed(o.seed, 'batches');
  return new BatchIterator(data, numSamples, { batchSize, shuffle, dropLast, seed });
}
