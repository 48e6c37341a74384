// The peer benchmark's variants, kept free of tfjs and jax-js so that the tables (report.ts, loaded by
// main.ts, which never starts a backend) can name them.

/** The variants, in the order of the tables. */
export const PEER_VARIANTS = ['gradkit', 'gradkit, fast paths off', 'tfjs-layers', 'tfjs-layers + gradkit', 'jax-js'] as const;
/** One of `PEER_VARIANTS`. */
export type PeerVariant = (typeof PEER_VARIANTS)[number];

/**
 * Whether gradkit's training fast paths are on while a variant runs (null: not a tfjs variant).
 * tfjs-layers without them runs tfjs's own kernels: tfjs-layers without gradkit.
 */
export const VARIANT_FAST_PATHS: Readonly<Record<PeerVariant, boolean | null>> = {
  gradkit: true,
  'gradkit, fast paths off': false,
  'tfjs-layers': false,
  'tfjs-layers + gradkit': true,
  'jax-js': null,
};
