import { checkOptions, type Module, ValueError } from '@gradkit/core';
import { type Initializer, normal } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkCount, checkName } from './internal/base.js';
import { hostValues } from './internal/host-values.js';
import { makeVariable, seededInitializer } from './internal/initialize.js';

/** Options of `embedding`. @example `{ numEmbeddings: 10000, embeddingDim: 64, seed: 1 }` */
export interface EmbeddingOptions {
  /** The number of rows (the vocabulary size): indices run from 0 to numEmbeddings − 1. */
  readonly numEmbeddings: number;
  /** The size of each row (a positive integer). */
  readonly embeddingDim: number;
  /** Initializer of the table `[numEmbeddings, embeddingDim]`; default `normal({ mean: 0, stddev: 1, seed })` (PyTorch's N(0, 1)). */
  readonly initializer?: Initializer;
  /** Seed of the default initializer (an error with `initializer`); default: a fresh random seed. */
  readonly seed?: number;
  /** The module's name, its tap name outside a container (default `'embedding'`). */
  readonly name?: string;
}

/** Parameters of an embedding. @example `{ table } // [numEmbeddings, embeddingDim]` */
export type EmbeddingParams = { readonly table: tf.Variable };

/**
 * A lookup table of trainable rows (see `embedding`).
 *
 * @example
 * ```ts
 * const emb: Embedding = embedding({ numEmbeddings: 100, embeddingDim: 8 });
 * emb.params.table.shape; // [100, 8]
 * ```
 */
export interface Embedding extends Module<EmbeddingParams> {
  /** The number of rows. */
  readonly numEmbeddings: number;
  /** The size of each row. */
  readonly embeddingDim: number;
}

const EMBEDDING_KEYS = ['numEmbeddings', 'embeddingDim', 'initializer', 'seed', 'name'];

class EmbeddingModule extends BaseModule<EmbeddingParams> implements Embedding {
  readonly name: string;
  readonly params: EmbeddingParams;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(embedding: EmbeddingOptions) {
    super();
    const options = checkOptions('embedding', embedding, EMBEDDING_KEYS, {
      example: 'embedding({ numEmbeddings: 10000, embeddingDim: 64 })',
      required: true,
    });
    this.numEmbeddings = checkCount('numEmbeddings', options.numEmbeddings, 'the number of rows, the vocabulary size');
    this.embeddingDim = checkCount('embeddingDim', options.embeddingDim, 'the size of each row');
    this.name = checkName(options.name, 'embedding');
    const init = seededInitializer(
      'embedding',
      'initializer',
      options.initializer,
      options.seed,
      (seed) => normal({ mean: 0, stddev: 1, seed }),
      'initializer: normal({ stddev: 0.02, seed: 1 })',
    );
    this.params = { table: makeVariable('initializer', init, [this.numEmbeddings, this.embeddingDim]) };
  }

  protected forward(x: tf.Tensor): tf.Tensor {
    const n = this.numEmbeddings;
    if (x.dtype !== 'int32')
      throw new ValueError(
        'x',
        `${this.name}: the indices must be an int32 tensor, got ${x.dtype}${x.dtype === 'float32' ? " (tf.tensor makes float32 by default: pass 'int32' as its dtype, or tf.cast(x, 'int32') if the values are whole numbers)" : ''}`,
      );
    const values = hostValues(x);
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        if (v < 0 || v >= n)
          throw new ValueError(
            'x',
            `${this.name}: index ${v} (element ${i} of the input) is out of range: the table has numEmbeddings = ${n} rows, 0 … ${n - 1}`,
          );
      }
      return tf.gather(this.params.table, x);
    }
    // WebGPU, indices that live only on the GPU: no synchronous read is possible. Rows of an
    // out-of-range index are NaN (never a silent wrong row): losses and inspectGradients report them.
    const valid = tf.logicalAnd(tf.greaterEqual(x, 0), tf.less(x, n));
    const rows = tf.gather(this.params.table, tf.where(valid, x, tf.zerosLike(x)));
    return tf.where(tf.expandDims(valid, -1), rows, tf.fill(rows.shape, Number.NaN));
  }
}

/**
 * A table of `numEmbeddings` trainable rows of size `embeddingDim`, looked up by int32 indices of any
 * shape: y[…, k] = table[x[…], k], output `[...x.shape, embeddingDim]`. Params `{ table }`, initialized
 * N(0, 1) as PyTorch; the gradient of a row is the sum of the output gradients at the positions that
 * index it. Its output is tapped.
 *
 * An index outside 0 … numEmbeddings − 1 is a ValueError naming `x` before anything is computed, read
 * from the indices where that needs no wait: always on cpu and wasm, and on webgpu for indices made
 * from JavaScript values that no kernel has used yet. On webgpu, indices that live only on the GPU (a
 * kernel's output, or a tensor already used once) cannot be read synchronously: there an out-of-range
 * index gives a row of NaN (never a wrong row), which losses and `inspectGradients` report; check such
 * indices yourself (`await x.data()`) where an error is needed.
 *
 * PyTorch: `nn.Embedding(num_embeddings, embedding_dim)` (without `padding_idx` or `max_norm`);
 * Keras: `layers.Embedding(input_dim, output_dim)`.
 *
 * @throws HyperParameterError naming the option: non-integer or non-positive sizes, a bad initializer
 *   (as `dense`), a `seed` with `initializer`, `null`; UnknownOptionError for another option
 *   (PyTorch's `num_embeddings`, `embedding_dim`, Keras's `input_dim`, `output_dim`). `apply` throws
 *   a ValueError naming `x` for indices that are not int32 or (where readable) out of range.
 * @example
 * ```ts
 * const emb = embedding({ numEmbeddings: 1000, embeddingDim: 32, seed: 1 });
 * const tokens = tf.tensor2d([[5, 17, 2]], [1, 3], 'int32');
 * const h = emb.apply(tokens); // [1, 3, 32]
 * ```
 */
export function embedding(options: EmbeddingOptions): Embedding {
  return new EmbeddingModule(options);
}
