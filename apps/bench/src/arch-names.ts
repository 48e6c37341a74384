// The architecture benchmark's nets and variants (issue 14), kept free of tfjs so that the tables
// (report-arch.ts, loaded by main.ts, which never starts a backend) can name them.

/** The conv net of tfjs-examples' mnist `createConvModel`: 28×28×1 → conv 3×3 16 → pool 2 → conv 3×3 32 → pool 2 → conv 3×3 32 → dense 64 → 10. */
export interface ConvSizes {
  readonly batch: number;
  /** Image height and width (28). */
  readonly size: number;
  /** Output channels of the three conv layers (16, 32, 32). */
  readonly filters: readonly [number, number, number];
  /** Width of the hidden dense layer (64). */
  readonly dense: number;
  readonly classes: number;
}

/** An LSTM or GRU over `[batch, time, features]`, its last hidden state → dense 1, mean squared error. */
export interface RecurrentSizes {
  readonly batch: number;
  readonly time: number;
  readonly features: number;
  readonly hidden: number;
}

/** Transformer encoder blocks (pre-norm) over `[batch, tokens, dim]`, mean over the tokens → dense `classes`, softmax cross-entropy. */
export interface TransformerSizes {
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
  readonly heads: number;
  readonly ffn: number;
  readonly layers: number;
  readonly classes: number;
}

/** The sizes of each net, by name. */
export interface ArchSizesOf {
  readonly conv: ConvSizes;
  readonly lstm: RecurrentSizes;
  readonly gru: RecurrentSizes;
  readonly transformer: TransformerSizes;
}

/** The nets of the architecture benchmark, in the order of the tables. */
export const ARCH_MODELS = ['conv', 'lstm', 'gru', 'transformer'] as const;
/** One of `ARCH_MODELS`. */
export type ArchModel = (typeof ARCH_MODELS)[number];

/** Issue 14's sizes of every net. */
export const ARCH_SIZES: { readonly [M in ArchModel]: ArchSizesOf[M] } = {
  conv: { batch: 64, size: 28, filters: [16, 32, 32], dense: 64, classes: 10 },
  lstm: { batch: 32, time: 100, features: 8, hidden: 64 },
  gru: { batch: 32, time: 100, features: 8, hidden: 64 },
  transformer: { batch: 16, tokens: 64, dim: 64, heads: 4, ffn: 256, layers: 2, classes: 10 },
};

/** The variants, in the order of the tables. */
export const ARCH_VARIANTS = ['gradkit', 'tfjs-layers', 'tfjs-layers + gradkit'] as const;
/** One of `ARCH_VARIANTS`. */
export type ArchVariant = (typeof ARCH_VARIANTS)[number];

/** Whether gradkit's training fast paths (and kernels) are on while a variant runs: off, tfjs-layers is tfjs-layers without gradkit. */
export const ARCH_FAST_PATHS: Readonly<Record<ArchVariant, boolean>> = {
  gradkit: true,
  'tfjs-layers': false,
  'tfjs-layers + gradkit': true,
};

/** A net in words: `conv net 28×28×1, 16-32-32 filters, dense 64, batch 64`. */
export function archLabel<M extends ArchModel>(model: M, sizes: ArchSizesOf[M]): string {
  if (model === 'conv') {
    const s = sizes as ConvSizes;
    return `conv net ${s.size}×${s.size}×1, conv 3×3 ${s.filters.join('-')}, dense ${s.dense}, batch ${s.batch}`;
  }
  if (model === 'transformer') {
    const s = sizes as TransformerSizes;
    return `transformer ${s.layers} × [dim ${s.dim}, ${s.heads} heads, ffn ${s.ffn}], ${s.tokens} tokens, batch ${s.batch}`;
  }
  const s = sizes as RecurrentSizes;
  return `${model.toUpperCase()} ${s.time} steps, ${s.features} → hidden ${s.hidden}, batch ${s.batch}`;
}
